"""Write the OpenAPI document of the HTTP API to docs/openapi.json: `make openapi`.

The document is generated from the routes and their pydantic models (oms.api.openapi); the file is
committed so changes to the API show up in review, and tests/contract/test_openapi.py fails when the
file and the code disagree. `--check` only compares (exit 1 and a diff when they differ).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "openapi.json"
sys.path.insert(0, str(ROOT / "layers" / "oms"))


def generate() -> str:
    from oms.api.app import app
    from oms.api.openapi import document_json

    return document_json(app)


def diff(committed: str, generated: str, limit: int = 80) -> str:
    lines = list(
        difflib.unified_diff(
            committed.splitlines(),
            generated.splitlines(),
            "docs/openapi.json (committed)",
            "docs/openapi.json (generated from the code)",
            lineterm="",
        )
    )
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if the file is stale")
    args = parser.parse_args(argv)
    generated = generate()
    committed = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        if committed == generated:
            print("openapi: docs/openapi.json is up to date")
            return 0
        print(diff(committed, generated))
        print("openapi: docs/openapi.json is stale; run `make openapi`")
        return 1
    if committed == generated:
        print("openapi: docs/openapi.json unchanged")
    else:
        TARGET.write_text(generated, encoding="utf-8")
        print(f"openapi: wrote docs/openapi.json ({len(generated):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
