"""The one clock: every "now" Cirrus uses comes from here, and every timestamp it stores or returns is
UTC ISO-8601 with a Z suffix.

By default the clock is the system's. `set_clock(source)` installs another one process-wide (a
callable returning an aware datetime), `reset_clock()` removes it, and `use_clock(source)` does both
around a block; `ManualClock` is a clock that moves only when told to. Tests may instead patch the
system clock itself (time-machine), which this module follows, since it reads the system clock
through `datetime.now` on each call.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

ClockSource = Callable[[], datetime]

_source: ClockSource | None = None


def utcnow() -> datetime:
    if _source is None:
        return datetime.now(UTC)
    now = _source()
    if now.tzinfo is None:
        raise ValueError("the installed clock returned a naive datetime; return an aware one (UTC)")
    return now.astimezone(UTC)


def epoch() -> float:
    """Now in seconds since the Unix epoch (token buckets, expiries, JWT claims, DynamoDB TTLs)."""
    return time.time() if _source is None else utcnow().timestamp()


def iso(dt: datetime) -> str:
    """Millisecond precision keeps lexicographic order equal to time order in sort keys."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso(utcnow())


def parse_iso(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def set_clock(source: ClockSource) -> None:
    """Make `source()` the process's "now" (every thread) until `reset_clock()`."""
    global _source  # noqa: PLW0603 - the one process-wide clock, by design
    _source = source


def reset_clock() -> None:
    """Back to the system clock."""
    global _source  # noqa: PLW0603
    _source = None


@contextlib.contextmanager
def use_clock(source: ClockSource) -> Iterator[ClockSource]:
    """`source` is the clock inside the block; the one before it is restored after."""
    global _source  # noqa: PLW0603
    before = _source
    _source = source
    try:
        yield source
    finally:
        _source = before


class ManualClock:
    """A clock that stands still until moved: `clock = ManualClock(start)`, `use_clock(clock)`,
    `clock.advance(seconds=2)`. Safe to read and move from several threads."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by `delta` or by timedelta keyword parts (seconds=2, days=1); returns now."""
        step = (delta or timedelta()) + timedelta(**parts)
        if step < timedelta():
            raise ValueError("a clock does not run backwards; use move_to() to set it")
        with self._lock:
            self._now += step
            return self._now

    def move_to(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)


def last_days(days: int, since: str | None = None) -> list[str]:
    """The last `days` UTC days as ISO dates, today included, oldest first; from `since`'s day
    when that is later (the day partitions a time window reads)."""
    today = utcnow().date()
    start = today - timedelta(days=days - 1)
    if since:
        start = max(start, parse_iso(since).date())
    return [(start + timedelta(days=k)).isoformat() for k in range((today - start).days + 1)]
