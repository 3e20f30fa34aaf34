"""The built-in email templates (ADR 0036): `<name>.subject.txt`, `<name>.html`, `<name>.txt` for
each template, and the layouts they extend (`_layout.html`, `_layout.txt`), which a tenant's own
template may extend too (they are the only "files" the sandbox can load)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent
LAYOUTS = ("_layout.html", "_layout.txt")


@lru_cache(maxsize=1)
def layouts() -> dict[str, str]:
    return {name: (_HERE / name).read_text(encoding="utf-8") for name in LAYOUTS}


@lru_cache(maxsize=16)
def default(name: str) -> dict[str, str]:
    """{"subject","html","text"} of a built-in template (FileNotFoundError for an unknown name)."""
    return {
        "subject": (_HERE / f"{name}.subject.txt").read_text(encoding="utf-8").strip(),
        "html": (_HERE / f"{name}.html").read_text(encoding="utf-8"),
        "text": (_HERE / f"{name}.txt").read_text(encoding="utf-8"),
    }
