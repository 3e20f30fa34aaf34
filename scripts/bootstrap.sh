#!/usr/bin/env bash
# Install everything the project needs, idempotently:
#   .venv      the project (editable) with the `dev` extra (tests, local cloud, linters), Python >= 3.11
#   .venv-sam  AWS SAM CLI, apart: its pins conflict with ours
# uv does the installing; it comes from PyPI into a tiny tool venv in the user cache.
# Fast when nothing changed: each venv carries a stamp keyed on what it was built from.
#
# Environment knobs:
#   PYTHON=python3.12     interpreter for .venv and .venv-sam (default python3, must be >= 3.11)
#   BOOTSTRAP_SAM=0       skip .venv-sam (make run does not need it)
#   BOOTSTRAP_FORCE=1     ignore the stamps and reinstall
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

UV_VERSION="0.13.9"
SAM_CLI_VERSION="1.170.0"
VENV="$ROOT/.venv"
SAM_VENV="$ROOT/.venv-sam"
STAMP_NAME=".cirrus-bootstrap"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

hash_of() { # hash of the named files (missing ones count as absent) plus extra words
  { for f in "$@"; do
      if [ -f "$f" ]; then printf '%s\n' "$f"; cat "$f"; else printf '%s (absent)\n' "$f"; fi
    done; } | sha256sum | cut -c1-16
}

# Each venv is keyed on its inputs; this script is an input of both.
DEV_KEY="$(hash_of pyproject.toml layers/oms/requirements.txt scripts/bootstrap.sh)"
SAM_KEY="$(printf 'aws-sam-cli==%s\n' "$SAM_CLI_VERSION" | cat - scripts/bootstrap.sh | sha256sum | cut -c1-16)"
WANT_SAM="${BOOTSTRAP_SAM:-1}"

fresh() { # fresh VENV_DIR KEY EXE: the venv was built from KEY and its EXE still runs
  [ "${BOOTSTRAP_FORCE:-0}" != 1 ] && [ -x "$1/$3" ] && [ -f "$1/$STAMP_NAME" ] \
    && [ "$(cat "$1/$STAMP_NAME")" = "$2" ]
}

if fresh "$VENV" "$DEV_KEY" bin/python && { [ "$WANT_SAM" = 0 ] || fresh "$SAM_VENV" "$SAM_KEY" bin/sam; }; then
  say "up to date (.venv ${DEV_KEY}$([ "$WANT_SAM" = 0 ] || printf ', .venv-sam %s' "$SAM_KEY"))"
  exit 0
fi

# Only one bootstrap at a time per checkout (make run and make test may start together).
if command -v flock >/dev/null 2>&1; then
  LOCK="${TMPDIR:-/tmp}/cirrus-bootstrap-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
  exec 9>"$LOCK"
  flock 9
fi

START=$SECONDS

# ---- 1. the interpreter
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || die "$PY not found; install Python >= 3.11 or set PYTHON=..."
PY_EXE="$("$PY" -c 'import sys; print(sys.executable)')" || die "$PY does not run"
"$PY_EXE" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "$PY_EXE is Python $("$PY_EXE" -c 'import platform; print(platform.python_version())'); need >= 3.11"
say "python: $PY_EXE ($("$PY_EXE" -c 'import platform; print(platform.python_version())'))"

# ---- 2. uv, in a tiny tool venv in the user cache (shared by every checkout)
export UV_LINK_MODE="${UV_LINK_MODE:-copy}"          # cache and checkout may be on different disks
export UV_PYTHON_DOWNLOADS="${UV_PYTHON_DOWNLOADS:-never}"  # only PyPI is reachable
export UV_NO_PROGRESS=1
[ -n "${SSL_CERT_FILE:-}" ] || export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"  # TLS-intercepting proxies
TOOLS="${CIRRUS_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/cirrus-oms}"
UV="$TOOLS/uv-$UV_VERSION/bin/uv"
if [ -x "$UV" ] && "$UV" --version >/dev/null 2>&1; then
  say "uv: $("$UV" --version) (cached in $TOOLS)"
else
  rm -rf "$TOOLS/uv-$UV_VERSION"
  mkdir -p "$TOOLS"
  "$PY_EXE" -m venv "$TOOLS/uv-$UV_VERSION" || die "python -m venv failed (Debian: apt-get install python3-venv)"
  "$TOOLS/uv-$UV_VERSION/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
  [ -x "$UV" ] || die "could not install uv==$UV_VERSION from PyPI"
  say "uv: installed $("$UV" --version) into $TOOLS/uv-$UV_VERSION"
fi

# ---- 3. .venv: the project and its dev extra
make_venv() { # make_venv DIR: (re)create DIR unless it is a working venv of the chosen interpreter
  local dir="$1" want have=""
  want="$("$PY_EXE" -c 'import platform; print(platform.python_version())')"
  [ -x "$dir/bin/python" ] && have="$("$dir/bin/python" -c 'import platform; print(platform.python_version())' 2>/dev/null || true)"
  if [ "$have" != "$want" ]; then
    "$UV" venv -q --clear --python "$PY_EXE" "$dir"
  fi
}
if fresh "$VENV" "$DEV_KEY" bin/python; then
  say ".venv: up to date"
else
  T=$SECONDS
  make_venv "$VENV"
  rm -f "$VENV/$STAMP_NAME"
  "$UV" pip install -q --python "$VENV/bin/python" -e ".[dev]"
  printf '%s' "$DEV_KEY" > "$VENV/$STAMP_NAME"
  say ".venv: installed -e .[dev] in $((SECONDS - T))s"
fi

# ---- 4. .venv-sam: AWS SAM CLI on its own
if [ "$WANT_SAM" = 0 ]; then
  say ".venv-sam: skipped (BOOTSTRAP_SAM=0)"
elif fresh "$SAM_VENV" "$SAM_KEY" bin/sam; then
  say ".venv-sam: up to date"
else
  T=$SECONDS
  make_venv "$SAM_VENV"
  rm -f "$SAM_VENV/$STAMP_NAME"
  "$UV" pip install -q --python "$SAM_VENV/bin/python" "aws-sam-cli==$SAM_CLI_VERSION"
  SAM_CLI_TELEMETRY=0 "$SAM_VENV/bin/sam" --version >/dev/null || die ".venv-sam/bin/sam does not run"
  printf '%s' "$SAM_KEY" > "$SAM_VENV/$STAMP_NAME"
  say ".venv-sam: installed aws-sam-cli==$SAM_CLI_VERSION in $((SECONDS - T))s"
fi

say "done in $((SECONDS - START))s"
