"""SLA radar (issue 11, ADR 0031): event -> exception latency in the local cloud, and breaches by
absence against the sweep's period. (Its cost per 1M orders, with Invoice Guard's: bench_cost.)

Method: `python -m infra.local run --fresh --no-simulator` in a subprocess (infra/local/launch.py,
as the e2e tier starts it), schedules at the template's rate (speed 1: `sla_sweep` is
rate(1 minute), so the ticker fires it every 60 s), driven over HTTP only:
- the demo tenant's default SLA policy is PATCHed to a 1-minute pick window without multipliers
  (pack 60 min, ship 120 min, delivery 24 h), so deadlines fall within the bench;
- external orders, ingested with an INTEGRATION API key (`POST /ingest/{source}`):
  late event x10: `order_paid` backdated so the pick deadline (read back from the order's
  timeline) is 3 s away, then, once it passed, `pick_completed` now: a late breach. Measured from
  sending `pick_completed` until `GET /exceptions?order_ref=` lists the exception, and until its
  analysis is stored by the ExceptionsFunction (the queue consumer: no Claude key here, so the
  rule analysis stands with its `fallback_reason`, written with a new version);
  absence x3 (staggered over the sweep's minute): `order_paid` backdated so the deadline is a few
  seconds ahead, then nothing: measured from the deadline until the exception is listed;
- one Cirrus order (`POST /orders`; without the simulator nobody picks it): its clock starts from
  the orders stream, the sweep finds the missed pick deadline; measured from that deadline.
Targets (issue 11): exception <= 10 s after the event; absence <= deadline + one sweep period.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import figure

LATE_RUNS = 10
ABSENCE_RUNS = 3
SWEEP_PERIOD_S = 60.0  # rate(1 minute) at speed 1
POLL_S = 0.05
POLICY = {"pick_minutes": 1, "pack_minutes": 60, "ship_minutes": 120, "delivery_hours": 24, "multipliers": []}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Radar:
    def __init__(self, url: str) -> None:
        import requests

        self.url = url
        self.admin = requests.Session()
        login = self.admin.post(
            f"{url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=30
        )
        assert login.status_code == 200, f"login: {login.status_code} {login.text}"
        self.admin.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        key = self.admin.post(f"{url}/api-keys", json={"name": "bench radar"}, timeout=10)
        assert key.status_code == 201, key.text
        self.machine = requests.Session()
        self.machine.headers["X-API-Key"] = key.json()["key"]

    def set_policy(self) -> None:
        policies = self.admin.get(f"{self.url}/sla/policies", timeout=10).json()["items"]
        default = next(p for p in policies if p["is_default"])
        patch = {"expected_version": default["version"], **POLICY}
        reply = self.admin.patch(f"{self.url}/sla/policies/{default['id']}", json=patch, timeout=10)
        assert reply.status_code == 200, reply.text

    def ingest(self, source: str, kind: str, ext: str, at: datetime) -> dict[str, Any]:
        body = {
            "event_id": f"{ext}-{kind}",
            "event_type": kind,
            "external_order_id": ext,
            "occurred_at": _iso(at),
        }
        reply = self.machine.post(f"{self.url}/ingest/{source}", json=body, timeout=10)
        assert reply.status_code == 202, reply.text
        return dict(reply.json())

    def pick_deadline(self, order_ref: str, timeout: float = 30) -> datetime:
        """The pick deadline on the order's timeline (once the radar has its plan)."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            reply = self.admin.get(f"{self.url}/sla/orders/{order_ref}/timeline", timeout=10)
            if reply.status_code == 200:
                for m in reply.json()["milestones"]:
                    if m["milestone"] == "pick_completed" and m.get("deadline"):
                        return _parse(m["deadline"])
            time.sleep(0.2)
        raise TimeoutError(f"{order_ref} got no pick deadline")

    def exception(self, order_ref: str) -> dict[str, Any] | None:
        reply = self.admin.get(f"{self.url}/exceptions", params={"order_ref": order_ref}, timeout=10)
        assert reply.status_code == 200, reply.text
        found = [e for e in reply.json()["items"] if e["milestone"] == "pick_completed"]
        return found[0] if found else None

    def wait_exception(self, order_ref: str, timeout: float, analysed: bool = False) -> dict[str, Any]:
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            found = self.exception(order_ref)
            done = found is not None and (found.get("analysis") or {})
            if found is not None and (
                not analysed or done.get("fallback_reason") or done.get("analyst") == "claude"
            ):
                return found
            time.sleep(POLL_S)
        raise TimeoutError(
            f"no {'analysed ' if analysed else ''}exception for {order_ref} in {timeout:.0f} s"
        )


def _late_event(radar: Radar) -> tuple[float, float, bool]:
    ext = f"BL-{uuid.uuid4().hex[:10]}"
    radar.ingest("shopify", "order_paid", ext, datetime.now(UTC) - timedelta(seconds=57))
    deadline = radar.pick_deadline(f"ext:{ext}")
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds() + 0.2))
    swept_first = radar.exception(f"ext:{ext}") is not None  # a sweep in the last 0.2 s
    began = time.monotonic()
    radar.ingest("wms", "pick_completed", ext, datetime.now(UTC))
    radar.wait_exception(f"ext:{ext}", 30)
    visible = time.monotonic() - began
    analysed_doc = radar.wait_exception(f"ext:{ext}", 60, analysed=True)
    analysed = time.monotonic() - began
    assert analysed_doc["kind"] in ("late", "absence") and analysed_doc["observed_at"], analysed_doc
    return visible, analysed, swept_first


def _absence(radar: Radar, order_ref: str, deadline: datetime, out: list[float]) -> None:
    radar.wait_exception(order_ref, (deadline - datetime.now(UTC)).total_seconds() + 3 * SWEEP_PERIOD_S)
    out.append((datetime.now(UTC) - deadline).total_seconds())


def run() -> list[dict[str, Any]]:
    from infra.local.launch import cloud_process
    from tests.component.helpers import order_body

    env = {
        "CIRRUS_SIM_FEED_SECONDS": "0",
        "CIRRUS_LOCAL_SCHEDULE_SPEEDUP": "1",
        "CIRRUS_LOG_LEVEL": "WARNING",
    }
    with (
        tempfile.TemporaryDirectory(prefix="bench-radar-") as state,
        cloud_process(["--fresh", "--no-simulator"], Path(state), env=env, timeout=120) as url,
    ):
        radar = Radar(url)
        radar.set_policy()
        watchers: list[threading.Thread] = []
        absent: list[float] = []
        own: list[float] = []

        def watch(order_ref: str, deadline: datetime, out: list[float]) -> None:
            thread = threading.Thread(target=_absence, args=(radar, order_ref, deadline, out), daemon=True)
            thread.start()
            watchers.append(thread)

        order = radar.admin.post(
            f"{url}/orders", json=order_body(customer_email="radar-bench@example.com"),
            headers={"Idempotency-Key": f"bench-radar-{uuid.uuid4()}"}, timeout=10,
        )  # fmt: skip
        assert order.status_code in (200, 201), order.text
        order_id = order.json()["id"]
        watch(order_id, radar.pick_deadline(order_id), own)

        late: list[tuple[float, float, bool]] = []
        absence_at = [time.monotonic() + i * SWEEP_PERIOD_S / ABSENCE_RUNS for i in range(ABSENCE_RUNS)]
        for i in range(LATE_RUNS):
            while absence_at and time.monotonic() >= absence_at[0]:
                absence_at.pop(0)
                ext = f"BA-{uuid.uuid4().hex[:10]}"
                radar.ingest("shopify", "order_paid", ext, datetime.now(UTC) - timedelta(seconds=52))
                watch(f"ext:{ext}", radar.pick_deadline(f"ext:{ext}"), absent)
            late.append(_late_event(radar))
            print(
                f"   late event {i + 1}: visible {late[-1][0]:.2f} s, analysed {late[-1][1]:.2f} s",
                flush=True,
            )
        for when in absence_at:  # the staggered absence orders not started yet
            time.sleep(max(0.0, when - time.monotonic()))
            ext = f"BA-{uuid.uuid4().hex[:10]}"
            radar.ingest("shopify", "order_paid", ext, datetime.now(UTC) - timedelta(seconds=52))
            watch(f"ext:{ext}", radar.pick_deadline(f"ext:{ext}"), absent)
        for thread in watchers:
            thread.join(timeout=4 * SWEEP_PERIOD_S)
    assert len(absent) == ABSENCE_RUNS and len(own) == 1, (absent, own)
    visible = [v for v, _, _ in late]
    analysed = [a for _, a, _ in late]
    preempted = sum(1 for _, _, s in late if s)
    note = (
        f"{LATE_RUNS} external orders; {preempted} swept before the event"
        if preempted
        else f"{LATE_RUNS} runs"
    )
    period = f"sla_sweep rate(1 minute) at speed 1: every {SWEEP_PERIOD_S:.0f} s"
    print(f"   absence delays: {', '.join(f'{d:.1f}' for d in absent)} s; Cirrus order {own[0]:.1f} s")
    return [
        figure("late event -> exception listed, median", statistics.median(visible), "s", target=10,
               note=note),
        figure("late event -> exception listed, p95", _p95(visible), "s", target=10),
        figure("late event -> analysis stored, median", statistics.median(analysed), "s", target=10),
        figure("late event -> analysis stored, p95", _p95(analysed), "s", target=10,
               note="ExceptionsQueue -> ExceptionsFunction (rule analyst, no key)"),
        figure("absence: deadline -> exception, max", max(absent), "s", target=SWEEP_PERIOD_S,
               note=f"{ABSENCE_RUNS} external orders over the sweep's minute; {period}"),
        figure("absence: deadline -> exception, median", statistics.median(absent), "s"),
        figure("Cirrus order (stream): deadline -> exception", own[0], "s", target=SWEEP_PERIOD_S,
               note="policy PATCHed to pick_minutes 1; clock from the orders stream"),
    ]  # fmt: skip
