#!/usr/bin/env bash
# make test-future: the tests marked date_sensitive, with the clock CIRRUS_CLOCK_SHIFT_DAYS days
# ahead (default 365; time-machine, ticking, one test at a time; see tests/conftest.py). It proves
# the suite is not tied to the day it was written: a test that builds "now"-relative data from
# literal dates, or code that reads a clock oms.domain.clock does not follow, fails here first.
# .ci/run runs it after a green `make test`. Extra arguments go to pytest (e.g. -k amazon).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CIRRUS_CLOCK_SHIFT_DAYS="${CIRRUS_CLOCK_SHIFT_DAYS:-365}"
exec bash scripts/test.sh -m date_sensitive "$@"
