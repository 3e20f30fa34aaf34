"""Dashboard entry point: the built single-page app, served from this function's own package.

`scripts/web.sh` builds `web/` and copies `web/dist` into `static/` next to this file (git-ignored),
so `sam build` packages it and the local cloud serves it from here (ADR 0027). No AWS access.
`DASHBOARD_BUNDLE_DIR` serves another folder instead (tests serve a small fixture bundle)."""

import os
from pathlib import Path
from typing import Any

from oms.api.static_site import StaticSite

site = StaticSite(os.environ.get("DASHBOARD_BUNDLE_DIR") or Path(__file__).resolve().parent / "static")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return site.handle(event)
