"""Schedule expressions (rate, AWS 6-field cron, at) and the ticker that fires them."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest

from infra.local.schedule import (
    CronExpression,
    ScheduledJob,
    ScheduleError,
    Ticker,
    parse_rate,
    parse_schedule,
    scheduled_event,
)

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def next_times(expression: str, start: str, count: int = 3) -> list[str]:
    cron = CronExpression.parse(expression)
    out = []
    moment = at(start)
    for _ in range(count):
        found = cron.next_after(moment)
        assert found is not None
        out.append(found.strftime("%Y-%m-%d %H:%M %a"))
        moment = found
    return out


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        (
            "0 3 * * ? *",
            "2026-03-01T02:59:30",
            ["2026-03-01 03:00 Sun", "2026-03-02 03:00 Mon", "2026-03-03 03:00 Tue"],
        ),
        (
            "*/15 * * * ? *",
            "2026-03-01T10:07:00",
            ["2026-03-01 10:15 Sun", "2026-03-01 10:30 Sun", "2026-03-01 10:45 Sun"],
        ),
        (
            "0/20 9-10 ? * * *",
            "2026-03-01T10:50:00",
            ["2026-03-02 09:00 Mon", "2026-03-02 09:20 Mon", "2026-03-02 09:40 Mon"],
        ),
        # 2-6 = MON-FRI (1 = SUN)
        (
            "30 8 ? * 2-6 *",
            "2026-03-06T09:00:00",
            ["2026-03-09 08:30 Mon", "2026-03-10 08:30 Tue", "2026-03-11 08:30 Wed"],
        ),
        (
            "0 12 ? * MON,FRI *",
            "2026-03-03T00:00:00",
            ["2026-03-06 12:00 Fri", "2026-03-09 12:00 Mon", "2026-03-13 12:00 Fri"],
        ),
        (
            "15 0 1,15 * ? *",
            "2026-03-02T00:00:00",
            ["2026-03-15 00:15 Sun", "2026-04-01 00:15 Wed", "2026-04-15 00:15 Wed"],
        ),
        (
            "0 0 L * ? *",
            "2026-02-10T00:00:00",
            ["2026-02-28 00:00 Sat", "2026-03-31 00:00 Tue", "2026-04-30 00:00 Thu"],
        ),
        (
            "0 6 1 JAN-MAR/2 ? *",
            "2026-01-05T00:00:00",
            ["2026-03-01 06:00 Sun", "2027-01-01 06:00 Fri", "2027-03-01 06:00 Mon"],
        ),
        (
            "10-40/15 23 ? * SAT 2026",
            "2026-12-25T00:00:00",
            ["2026-12-26 23:10 Sat", "2026-12-26 23:25 Sat", "2026-12-26 23:40 Sat"],
        ),
    ],
)
def test_cron_next_times(expression: str, start: str, expected: list[str]) -> None:
    assert next_times(expression, start) == expected


def test_cron_with_a_past_year_never_fires_again() -> None:
    assert CronExpression.parse("0 0 1 1 ? 2020").next_after(at("2026-01-01T00:00:00")) is None


@pytest.mark.parametrize(
    "bad",
    [
        "0 3 * * *",  # 5 fields
        "0 3 * * MON *",  # day-of-month and day-of-week both set
        "61 * * * ? *",
        "* 24 * * ? *",
        "0 0 1W * ? *",
        "0 0 ? * 6#3 *",
        "0 0 ? * 6L *",
        "0 0 ? * MON-SUNDAY *",
        "*/0 * * * ? *",
        "5-1 * * * ? *",
    ],
)
def test_cron_rejects_what_it_cannot_serve(bad: str) -> None:
    with pytest.raises(ScheduleError):
        CronExpression.parse(bad)


def test_rate_and_at() -> None:
    assert parse_rate("1 minute") == 60
    assert parse_rate("5 minutes") == 300
    assert parse_rate("2 hours") == 7200
    assert parse_rate("1 day") == 86400
    with pytest.raises(ScheduleError):
        parse_rate("5 weeks")
    with pytest.raises(ScheduleError):
        parse_schedule("every(5 minutes)")
    one_time = parse_schedule("at(2026-05-01T10:00:00)", "Europe/Paris")
    assert one_time.at == dt.datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_scheduled_event_envelope() -> None:
    event = scheduled_event(
        "arn:aws:events:us-east-1:123456789012:rule/R", "123456789012", "us-east-1", at("2026-01-02T03:04:05")
    )
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/R"]
    assert event["time"] == "2026-01-02T03:04:05Z"
    assert event["detail"] == {}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _ticker(jobs: list[ScheduledJob], speed: float = 1.0) -> tuple[Ticker, list[tuple[str, Any]], FakeClock]:
    calls: list[tuple[str, Any]] = []
    done = threading.Event()

    def invoke(function: str, event: Any) -> None:
        calls.append((function, event))
        done.set()

    clock = FakeClock()
    return Ticker(jobs, invoke, speed=speed, clock=clock), calls, clock


def _settle(calls: list[Any], expected: int) -> None:
    deadline = threading.Event()
    for _ in range(200):
        if len(calls) >= expected:
            return
        deadline.wait(0.01)


def test_ticker_fires_rate_jobs_with_their_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIRRUS_LOCAL_SCHEDULE_SPEEDUP", raising=False)
    job = ScheduledJob("Sweep", "MaintenanceFunction", "rate(5 minutes)", input='{"job": "reservations"}')
    ticker, calls, clock = _ticker([job])
    assert ticker.tick() == pytest.approx(300)
    clock.now += 299
    ticker.tick()
    assert calls == []
    clock.now += 1
    ticker.tick()
    _settle(calls, 1)
    assert calls == [("MaintenanceFunction", {"job": "reservations"})]
    clock.now += 3 * 300 + 10  # a stalled host: one catch-up run, not three
    ticker.tick()
    _settle(calls, 2)
    assert len(calls) == 2
    assert ticker.fired["Sweep"] == 2


def test_ticker_speed_and_envelope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIRRUS_LOCAL_SCHEDULE_SPEEDUP", raising=False)
    job = ScheduledJob(
        "Every", "Tick", "rate(1 minute)", resource_arn="arn:aws:events:us-east-1:1:rule/Every"
    )
    ticker, calls, clock = _ticker([job], speed=60)
    assert ticker.tick() == pytest.approx(1.0)
    clock.now += 1.0
    ticker.tick()
    _settle(calls, 1)
    function, event = calls[0]
    assert function == "Tick"
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"] == ["arn:aws:events:us-east-1:1:rule/Every"]


def test_speed_can_be_overridden_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIRRUS_LOCAL_SCHEDULE_SPEEDUP", "120")
    ticker, _, _ = _ticker([ScheduledJob("E", "F", "rate(2 minutes)")], speed=1)
    assert ticker.speed == 120
    assert ticker.tick() == pytest.approx(1.0)


def test_cron_job_fires_on_the_virtual_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIRRUS_LOCAL_SCHEDULE_SPEEDUP", raising=False)
    job = ScheduledJob("Q", "F", "cron(*/10 * * * ? *)", input=json.dumps({"k": 1}))
    ticker, calls, clock = _ticker([job], speed=600)  # 10 virtual minutes per real second
    wait = ticker.tick()
    assert 0 < wait <= 1.0
    clock.now += 1.01
    ticker.tick()
    _settle(calls, 1)
    assert calls == [("F", {"k": 1})]
