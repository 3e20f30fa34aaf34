"""Fire the template's schedules locally: ``rate(...)``, ``cron(...)`` and ``at(...)`` expressions.

moto stores EventBridge rules and Scheduler schedules but never fires them, so the local cloud has
to. Each ``Schedule``/``ScheduleV2`` event of a function (or hand-written ``AWS::Events::Rule`` with a
``ScheduleExpression``, or ``AWS::Scheduler::Schedule``) becomes a :class:`ScheduledJob`; the
:class:`Ticker` invokes the function with the target's ``Input`` or, without one, the standard
"Scheduled Event" envelope, asynchronously like EventBridge does.

Cron follows the AWS 6-field syntax ``minutes hours day-of-month month day-of-week year``: ``*``,
``?``, lists, ranges, steps (``*/5``, ``0/15``, ``10-40/10``), month and weekday names, weekdays
1-7 = SUN-SAT, ``L`` as the last day of the month. ``W``, ``#`` and ``<n>L`` are rejected with a
clear error. Times are UTC unless the schedule has a ``ScheduleExpressionTimezone``.

Speed: schedules run on a virtual clock ``speed`` times faster than real time (constructor argument,
or the environment variable ``CIRRUS_LOCAL_SCHEDULE_SPEEDUP``), so a demo can see ``rate(5
minutes)`` jobs every 5 s at speed 60.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

log = logging.getLogger("infra.local.schedule")

__all__ = ["CronExpression", "ScheduleError", "ScheduledJob", "Ticker", "parse_schedule", "scheduled_event"]

SPEEDUP_ENV = "CIRRUS_LOCAL_SCHEDULE_SPEEDUP"

_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {k.upper(): v for k, v in _MONTHS.items()}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


class ScheduleError(ValueError):
    """An expression the local ticker cannot (or AWS would not) accept."""


def _parse_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()

    def number(token: str) -> int:
        token = token.strip().upper()
        if names and token in names:
            return names[token]
        if not token.isdigit():
            raise ScheduleError(f"bad value {token!r}")
        value = int(token)
        if not low <= value <= high:
            raise ScheduleError(f"{value} outside {low}-{high}")
        return value

    for raw_part in text.split(","):
        part = raw_part.strip()
        if not part:
            raise ScheduleError(f"empty list item in {text!r}")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"bad step in {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
            if start > end:
                raise ScheduleError(f"range {base!r} runs backwards")
        else:
            start = number(base)
            end = high if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class CronExpression:
    """A parsed AWS cron expression; :meth:`next_after` gives the next firing time."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?" or "*" (any)
    last_day_of_month: bool
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1-7 = SUN-SAT; None: "?" or "*"
    years: frozenset[int] | None

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        fields = text.split()
        if len(fields) != 6:
            raise ScheduleError(
                f"cron needs 6 fields (min hour day-of-month month day-of-week year): {text!r}"
            )
        minute, hour, dom, month, dow, year = fields
        for value in (dom, dow):
            if any(marker in value.upper() for marker in ("W", "#")) or re.search(r"\dL", value.upper()):
                raise ScheduleError(f"{value!r}: W, # and <n>L are not supported by the local ticker")
        if dom != "?" and dow != "?":
            raise ScheduleError(f"one of day-of-month and day-of-week must be '?': {text!r}")
        last = dom.upper() == "L"
        return cls(
            minutes=_parse_field(minute, 0, 59),
            hours=_parse_field(hour, 0, 23),
            days_of_month=None if dom in ("?", "*") or last else _parse_field(dom, 1, 31),
            last_day_of_month=last,
            months=_parse_field(month, 1, 12, _MONTHS),
            days_of_week=None if dow in ("?", "*") else _parse_field(dow, 1, 7, _WEEKDAYS),
            years=None if year in ("*", "?") else _parse_field(year, 1970, 2199),
        )

    def _day_matches(self, day: dt.date) -> bool:
        if self.years is not None and day.year not in self.years:
            return False
        if day.month not in self.months:
            return False
        if self.last_day_of_month and day.day != calendar.monthrange(day.year, day.month)[1]:
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        # Python: Monday=0 .. Sunday=6; AWS: Sunday=1 .. Saturday=7.
        return self.days_of_week is None or (day.weekday() + 1) % 7 + 1 in self.days_of_week

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after ``after`` (same tzinfo), None if never."""
        start = (after + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        day = start.date()
        for _ in range(366 * 8):  # enough for any year list up to 8 years ahead
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=after.tzinfo)
                        if candidate >= start:
                            return candidate
            day += dt.timedelta(days=1)
            if self.years is not None and day.year > max(self.years):
                return None
        return None


_RATE = re.compile(r"^(\d+)\s+(minute|minutes|hour|hours|day|days)$")


def parse_rate(text: str) -> float:
    """Seconds between runs of ``rate(<value> <unit>)`` (its inside only)."""
    match = _RATE.match(text.strip().lower())
    if not match:
        raise ScheduleError(f"bad rate expression: rate({text})")
    value, unit = int(match.group(1)), match.group(2)
    if value <= 0:
        raise ScheduleError("rate must be positive")
    return value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


@dataclass(frozen=True)
class ParsedSchedule:
    kind: str  # "rate" | "cron" | "at"
    period: float | None = None
    cron: CronExpression | None = None
    at: dt.datetime | None = None


def parse_schedule(expression: str, timezone: str | None = None) -> ParsedSchedule:
    match = re.fullmatch(r"\s*(rate|cron|at)\((.*)\)\s*", expression)
    if not match:
        raise ScheduleError(f"not a schedule expression: {expression!r}")
    kind, inner = match.group(1), match.group(2)
    if kind == "rate":
        return ParsedSchedule("rate", period=parse_rate(inner))
    if kind == "cron":
        return ParsedSchedule("cron", cron=CronExpression.parse(inner))
    tz = ZoneInfo(timezone) if timezone else dt.UTC
    try:
        moment = dt.datetime.fromisoformat(inner.strip()).replace(tzinfo=tz)
    except ValueError as exc:
        raise ScheduleError(f"bad at() expression: {expression!r}") from exc
    return ParsedSchedule("at", at=moment)


def scheduled_event(resource_arn: str, account_id: str, region: str, when: dt.datetime) -> dict[str, Any]:
    """The event EventBridge sends for a schedule without ``Input``."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [resource_arn],
        "detail": {},
    }


@dataclass
class ScheduledJob:
    name: str
    function: str  # logical id
    expression: str
    input: str | None = None
    timezone: str | None = None
    resource_arn: str = ""

    def __post_init__(self) -> None:
        self.parsed = parse_schedule(self.expression, self.timezone)

    def next_due(
        self, virtual_now: dt.datetime, started: dt.datetime, last: dt.datetime | None
    ) -> dt.datetime | None:
        """Next firing time on the virtual clock (UTC), given the previous one."""
        parsed = self.parsed
        if parsed.kind == "rate":
            assert parsed.period is not None
            base = last or started
            return base + dt.timedelta(seconds=parsed.period)
        if parsed.kind == "at":
            return parsed.at if last is None and parsed.at is not None and parsed.at > started else None
        assert parsed.cron is not None
        tz = ZoneInfo(self.timezone) if self.timezone else dt.UTC
        due = parsed.cron.next_after((last or virtual_now).astimezone(tz))
        return due.astimezone(dt.UTC) if due else None

    def event(self, account_id: str, region: str, when: dt.datetime) -> Any:
        if self.input is not None:
            return json.loads(self.input)
        return scheduled_event(self.resource_arn, account_id, region, when)


class Ticker:
    """Fires scheduled jobs on a virtual clock running ``speed`` times faster than real time."""

    def __init__(
        self,
        jobs: list[ScheduledJob],
        invoke: Callable[[str, Any], Any],
        *,
        speed: float | None = None,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        clock: Callable[[], float] = time.time,
    ) -> None:
        env_speed = os.environ.get(SPEEDUP_ENV)
        self.speed = float(env_speed) if env_speed else float(speed or 1.0)
        if self.speed <= 0:
            raise ScheduleError("schedule speed must be positive")
        self.jobs = list(jobs)
        self.invoke = invoke
        self.account_id = account_id
        self.region = region
        self._clock = clock
        self._origin_real = clock()
        self._origin = dt.datetime.fromtimestamp(self._origin_real, tz=dt.UTC)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired: dict[str, int] = {job.name: 0 for job in self.jobs}
        self.running: dict[str, int] = {}  # scheduled invocations under way, per function
        self._running_lock = threading.Lock()
        self._due: dict[str, dt.datetime | None] = {
            job.name: job.next_due(self._origin, self._origin, None) for job in self.jobs
        }

    def virtual_now(self) -> dt.datetime:
        elapsed = (self._clock() - self._origin_real) * self.speed
        return self._origin + dt.timedelta(seconds=elapsed)

    def _real_seconds_until(self, due: dt.datetime) -> float:
        return max(0.0, (due - self.virtual_now()).total_seconds() / self.speed)

    def describe(self) -> list[str]:
        out = []
        for job in self.jobs:
            due = self._due.get(job.name)
            when = f"next in {self._real_seconds_until(due):.0f}s" if due else "never again"
            out.append(f"{job.name}: {job.expression} -> {job.function} ({when})")
        return out

    def tick(self) -> float:
        """Fire every due job; return real seconds until the next one (or 60 if none)."""
        now = self.virtual_now()
        wait = float("inf")
        for job in self.jobs:
            due = self._due.get(job.name)
            if due is None:
                continue
            if due <= now:
                self._fire(job, due)
                due = job.next_due(now, self._origin, due)
                # A slow host must not cause a burst of catch-up runs.
                while due is not None and due <= now:
                    due = job.next_due(now, self._origin, due)
                self._due[job.name] = due
            if due is not None:
                wait = min(wait, self._real_seconds_until(due))
        return wait if wait != float("inf") else 60.0

    def _fire(self, job: ScheduledJob, when: dt.datetime) -> None:
        self.fired[job.name] += 1
        event = job.event(self.account_id, self.region, when)
        log.info("schedule %s fires %s", job.name, job.function)

        def run() -> None:
            with self._running_lock:
                self.running[job.function] = self.running.get(job.function, 0) + 1
            try:
                outcome = self.invoke(job.function, event)
                if getattr(outcome, "errored", False):
                    log.warning("scheduled %s failed: %s", job.function, getattr(outcome, "payload", ""))
            except Exception:
                log.exception("scheduled invocation of %s failed", job.function)
            finally:
                with self._running_lock:
                    self.running[job.function] -= 1

        threading.Thread(target=run, name=f"schedule-{job.name}", daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.tick()
            self._stop.wait(min(max(wait, 0.01), 1.0))

    def start(self) -> Ticker:
        if self.jobs:
            self._thread = threading.Thread(target=self._loop, name="schedule-ticker", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
