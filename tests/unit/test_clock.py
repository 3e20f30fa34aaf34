"""oms.domain.clock is the one clock: installable, followed by tokens and the SP-API token cache,
and the date-shift run really moves it."""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from oms.domain import clock
from oms.domain.clock import ManualClock, epoch, iso, now_iso, parse_iso, reset_clock, set_clock, use_clock

START = datetime(2031, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _system_clock_after() -> Iterator[None]:
    yield
    reset_clock()


def test_by_default_the_clock_is_the_system_clock(frozen_clock: Any) -> None:
    now = datetime.now(UTC)
    assert clock.utcnow() == now and epoch() == now.timestamp()
    assert now_iso() == iso(now) and parse_iso(now_iso()) == now.replace(
        microsecond=now.microsecond // 1000 * 1000
    )


def test_an_installed_clock_is_everyone_s_now_until_reset() -> None:
    set_clock(lambda: START)
    assert clock.utcnow() == START and now_iso() == "2031-02-03T04:05:06.789Z"
    assert epoch() == START.timestamp()
    seen: list[datetime] = []
    other = threading.Thread(target=lambda: seen.append(clock.utcnow()))
    other.start()
    other.join()
    assert seen == [START]  # process-wide, not per thread
    reset_clock()
    assert abs(clock.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_use_clock_nests_and_restores_the_clock_before_it() -> None:
    later = START + timedelta(days=1)
    with use_clock(lambda: START):
        with use_clock(lambda: later):
            assert clock.utcnow() == later
        assert clock.utcnow() == START
    assert abs(clock.utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_other_time_zones_come_back_as_utc_and_naive_clocks_are_refused() -> None:
    paris = START.astimezone(ZoneInfo("Europe/Paris"))
    with use_clock(lambda: paris):
        assert clock.utcnow().tzinfo == UTC and clock.utcnow() == START
    with use_clock(lambda: START.replace(tzinfo=None)), pytest.raises(ValueError, match="naive"):
        clock.utcnow()
    with pytest.raises(ValueError):
        ManualClock(START.replace(tzinfo=None))


def test_a_manual_clock_moves_only_when_told() -> None:
    manual = ManualClock(START)
    with use_clock(manual):
        assert clock.utcnow() == clock.utcnow() == START
        assert manual.advance(seconds=90) == START + timedelta(seconds=90)
        assert manual.advance(timedelta(days=1), hours=1) == START + timedelta(days=1, hours=1, seconds=90)
        assert iso(clock.utcnow()) == "2031-02-04T05:06:36.789Z"
        with pytest.raises(ValueError):
            manual.advance(seconds=-1)
        manual.move_to(START)
        assert epoch() == START.timestamp()


# ------------------------------------------------------------------ the clock's users
@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from oms import config
    from oms.adapters import tokens

    monkeypatch.setenv("JWT_SECRET", "unit-test-secret-unit-test-secret-0123")
    monkeypatch.setenv("TOKEN_TTL_SECONDS", "600")
    config.settings.cache_clear()
    tokens.reset_signing_key()
    yield
    monkeypatch.undo()
    config.settings.cache_clear()
    tokens.reset_signing_key()


def _principal() -> Any:
    from oms.domain.models import Principal, Role

    return Principal(user_id="u1", email="a@example.com", tenant_id="demo", role=Role.SUPERADMIN)


def test_tokens_are_issued_and_expire_on_the_injected_clock(signing_key: None) -> None:
    import jwt

    from oms.adapters import tokens
    from oms.domain.errors import Unauthenticated

    manual = ManualClock(START)  # years away from the real date: only the injected clock can pass this
    with use_clock(manual):
        token, ttl = tokens.issue(_principal())
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["iat"], claims["exp"]) == (int(START.timestamp()), int(START.timestamp()) + 600)
        assert ttl == 600 and tokens.verify(token).tenant_id == "demo"
        manual.advance(seconds=599)
        assert tokens.verify(token).user_id == "u1"
        manual.advance(seconds=1)
        with pytest.raises(Unauthenticated) as expired:
            tokens.verify(token)
        assert expired.value.code == "token_expired"
        manual.move_to(START - timedelta(seconds=1))  # issued "in the future"
        with pytest.raises(Unauthenticated) as early:
            tokens.verify(token)
        assert early.value.code == "invalid_token"


def test_a_token_with_non_integer_times_is_invalid(signing_key: None) -> None:
    import jwt

    from oms.adapters import tokens
    from oms.config import settings
    from oms.domain.errors import Unauthenticated

    claims = {
        "iss": "cirrus-oms",
        "aud": settings().token_audience,
        "ver": 0,
        "sub": "u",
        "tid": "demo",
        "role": "USER",
        "iat": "soon",
        "exp": "later",
    }
    forged = jwt.encode(claims, "unit-test-secret-unit-test-secret-0123", algorithm="HS256")
    with pytest.raises(Unauthenticated) as raised:
        tokens.verify(forged)
    assert raised.value.code == "invalid_token"


def test_the_sp_api_access_token_is_cached_until_a_minute_before_its_expiry() -> None:
    from oms.adapters import spapi
    from tests.fakes import FakeSpApi

    fake = FakeSpApi([])  # its LWA endpoint grants tokens for 3600 s
    config = {
        "lwa_client_id": f"amzn1.clock-test.{id(fake)}",
        "lwa_client_secret": "s",
        "refresh_token": "Atzr|clock",
        "token_url": f"{fake.url}/auth/o2/token",
        "endpoint": fake.url,
    }
    manual = ManualClock(START)

    def grants() -> int:
        return sum(r["path"] == "/auth/o2/token" for r in fake.requests)

    try:
        with use_clock(manual):
            client = spapi.SpApiClient(config)
            assert client.access_token() == "Atza|fake" and grants() == 1
            manual.advance(seconds=3600 - 60 - 1)
            client.access_token()
            assert grants() == 1  # still cached
            manual.advance(seconds=1)
            client.access_token()
            assert grants() == 2  # a minute before expiry: refreshed
    finally:
        fake.close()


# ------------------------------------------------------------------ the date-shift run itself
def _real_now() -> datetime:
    hatch = time_machine.escape_hatch
    return datetime.fromtimestamp(hatch.time.time() if hatch.is_travelling() else time.time(), UTC)


@pytest.mark.date_sensitive
def test_the_date_shift_run_moves_the_clock_for_date_sensitive_tests(request: pytest.FixtureRequest) -> None:
    from tests.conftest import clock_shift_days

    days = clock_shift_days(request.config)
    assert time_machine.escape_hatch.is_travelling() == bool(days)
    assert abs(clock.utcnow() - (_real_now() + timedelta(days=days))) < timedelta(minutes=5)


def test_tests_not_marked_date_sensitive_keep_the_real_clock() -> None:
    assert not time_machine.escape_hatch.is_travelling()
    assert abs(clock.utcnow() - _real_now()) < timedelta(minutes=5)


# ------------------------------------------------------------------ nothing else reads the system clock
LAYER = Path(__file__).resolve().parents[2] / "layers" / "oms" / "oms"
_SYSTEM_CLOCKS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
}
# Exceptions, with the count of calls each may keep (none today; keep it that way).
_PENDING: dict[str, int] = {}


def _system_clock_calls(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in _SYSTEM_CLOCKS:
                lines.append(node.lineno)
    return lines


def test_nothing_in_the_layer_reads_the_system_clock_but_oms_domain_clock() -> None:
    found = {
        path.relative_to(LAYER).as_posix(): lines
        for path in sorted(LAYER.rglob("*.py"))
        if path.relative_to(LAYER).as_posix() != "domain/clock.py" and (lines := _system_clock_calls(path))
    }
    unexpected = {f: lines for f, lines in found.items() if len(lines) > _PENDING.get(f, 0)}
    assert not unexpected, f"read now through oms.domain.clock (utcnow/now_iso/epoch), not: {unexpected}"
    assert _system_clock_calls(LAYER / "domain" / "clock.py")  # the scan does see such calls
