"""Prompt templates, versioned in the repository (ADR 0033): `<name>.v<version>.md`, the system
prompt of one kind of Claude call. A changed prompt is a new file with the next version, so the
version an answer was produced with (`prompt_version`, e.g. "exception_analysis.v1") always names
the exact text; the cache key carries it too, so answers of an older prompt are not reused."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    text: str

    @property
    def ref(self) -> str:
        """What an answer records as its prompt_version."""
        return f"{self.name}.v{self.version}"


@lru_cache(maxsize=16)
def load(name: str, version: int) -> Prompt:
    """The template `<name>.v<version>.md` (FileNotFoundError when there is none)."""
    path = _HERE / f"{name}.v{version}.md"
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError(f"prompt {path.name} is empty")
    return Prompt(name, version, text)


EXCEPTION_ANALYSIS = ("exception_analysis", 1)
POLICY_LINT = ("policy_lint", 1)
