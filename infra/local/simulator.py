"""A warehouse and a carrier for `make run`: they take the pick and shipment requests the
fulfilment machine sends to its queues and answer through the public HTTP API, exactly as a real
WMS or carrier integration would (POST /orders/{id}/fulfillment-events with an INTEGRATION API key
of the order's tenant, issued for the run and revoked when it stops), so demo orders reach
DELIVERED (or PICKED_UP) on their own.

Speed: each step waits `step_seconds / speed` (default 2 s / speed); CIRRUS_SIM_STEP_SECONDS sets
the step directly. An order's callbacks are sent in order, each a step after the previous one was
answered, as a warehouse or carrier sends one shipment's events; callbacks of different orders go
out in parallel. Like real webhook senders, it retries an event the API refused with 409 a few
times (an earlier event of the same order may still be in flight), and retries a 5xx or a failed
connection (up to 8 times, later each time). With a chaos plan, a share of the requests it took
from its queues is left there and comes again, as SQS may deliver a message twice; the repeated
callbacks carry the same event ids.

The carrier bills each shipment (`actual_cost` on SHIPPED): the predicted package cost times a
hidden factor per node and region (`cost_factor`), so the learning loop has something to learn
about cost in `make run` too. Delivery times are the run's own (sped up), so their lessons are
shown by `make simulate` (infra/simulation), whose world has days to spend.

Trouble (issue 11, infra/local/trouble.py): about 13 % of orders (CIRRUS_SIM_TROUBLE_RATE, seeded by
CIRRUS_SIM_SEED) get realistic trouble so the SLA radar has something to show: Cirrus's own orders
get slow picks and carrier delays (their PACKING or DELIVERED callback waits extra steps), and an
external-order feed (one order every CIRRUS_SIM_FEED_SECONDS, default 10 s / speed, at least 3 s;
0: off) sends shopify/wms/carrier events through POST /ingest/{source} with backdated occurred_at,
so the demo policy's windows are really exceeded by the troubled ones (slow pick, carrier delay,
stock-out), some sent out of order, now and then one twice. The feed is not counted in pending(): it never
ends, and the cloud is quiet between its orders.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import requests

from infra.local import chaos, trouble

log = logging.getLogger("cirrus.simulator")

WAREHOUSE_STEPS = ("PICKING", "PACKING")
CARRIERS = ("UPS", "FedEx", "USPS", "DHL")
MAX_RETRIES = 5  # 409s: an earlier event of the order still in flight
SERVER_RETRIES = 8  # 5xx and connection errors
SENDERS = 4


@dataclass(order=True)
class _Step:
    due: float
    seq: int
    order_id: str = field(compare=False)
    tenant_id: str = field(compare=False)
    event: dict[str, Any] = field(compare=False)
    attempt: int = field(default=0, compare=False)
    rest: tuple[dict[str, Any], ...] = field(default=(), compare=False)  # sent after this one


class Simulator:
    def __init__(
        self,
        api_url: str,
        warehouse_queue_url: str,
        carrier_queue_url: str,
        speed: float = 1.0,
        step_seconds: float | None = None,
        trouble_rate: float | None = None,
        seed: int | None = None,
        feed_seconds: float | None = None,
        feed_tenant: str = "demo",
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.queues = {"warehouse": warehouse_queue_url, "carrier": carrier_queue_url}
        if step_seconds is None and os.environ.get("CIRRUS_SIM_STEP_SECONDS"):
            step_seconds = float(os.environ["CIRRUS_SIM_STEP_SECONDS"])
        else:
            step_seconds = (step_seconds if step_seconds is not None else 2.0) / max(speed, 0.01)
        self.step = max(step_seconds, 0.0)
        self._heap: list[_Step] = []
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._keys: dict[str, tuple[str, str]] = {}  # tenant -> (key id, key)
        self._sqs = boto3.client("sqs")
        self._http = requests.Session()  # thread-safe enough for plain POSTs (urllib3 pools)
        # a few callbacks in flight at once, as many warehouses and carriers would send them
        self._senders = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="sim-send")
        self.sent = 0
        self.rejected = 0
        self.retried = 0
        self._sending = 0
        # how long a request the chaos plan leaves in its queue stays invisible (VisibilityTimeout
        # 60 s of the template's queues, sped up like the pollers' retries)
        self.redelivery_wait = max(1, int(60 / max(speed, 1.0)))
        # trouble: a share of orders late on purpose (seeded, so a run can be replayed)
        env = os.environ
        self.trouble_rate = (
            trouble_rate
            if trouble_rate is not None
            else float(env.get("CIRRUS_SIM_TROUBLE_RATE", trouble.TROUBLE_RATE))
        )
        self.seed = seed if seed is not None else int(env.get("CIRRUS_SIM_SEED", "11"))
        if feed_seconds is None:
            raw = env.get("CIRRUS_SIM_FEED_SECONDS")
            feed_seconds = float(raw) if raw else max(3.0, 10.0 / max(speed, 0.01))
        self.feed_seconds = max(feed_seconds, 0.0)
        self.feed_tenant = feed_tenant
        self._feed_rng = random.Random(self.seed)  # noqa: S311 - demo data
        self._feed_run = uuid.uuid4().hex[:6]  # this run's orders: new ids even with saved state
        self._delays: dict[tuple[str, str], int] = {}  # (order id, callback type) -> extra steps
        self.fed_orders = 0
        self.fed_events = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Simulator:
        loops = [("sim-warehouse", self._poll_loop), ("sim-dispatch", self._dispatch_loop)]
        if self.feed_seconds > 0:
            loops.append(("sim-external-feed", self._feed_loop))
        for name, target in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._senders.shutdown(wait=False, cancel_futures=True)
        self._revoke_keys()

    # ------------------------------------------------------------------ queue side
    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            idle = True
            for kind, url in self.queues.items():
                try:
                    messages = self._sqs.receive_message(
                        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                    ).get("Messages", [])
                except Exception:
                    log.debug("simulator receive failed", exc_info=True)
                    messages = []
                for message in messages:
                    idle = False
                    try:
                        self._plan(kind, json.loads(message["Body"]))
                    except (ValueError, KeyError):
                        log.warning("simulator ignored an unreadable %s request", kind)
                    plan = chaos.current()
                    if plan is not None and plan.redeliver(f"simulator-{kind}", message["MessageId"]):
                        # not deleted: SQS hands the request over again, and the warehouse
                        # repeats its callbacks (same event ids, which the API accepts once)
                        self._sqs.change_message_visibility(
                            QueueUrl=url,
                            ReceiptHandle=message["ReceiptHandle"],
                            VisibilityTimeout=self.redelivery_wait,
                        )
                        continue
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            if idle:
                self._stop.wait(0.2)

    def _plan(self, kind: str, request: dict[str, Any]) -> None:
        order_id, tenant_id = request["order_id"], request["tenant_id"]
        now = time.monotonic()
        steps: list[dict[str, Any]] = []
        if kind == "warehouse":
            steps = [{"type": t} for t in WAREHOUSE_STEPS]
            pickup = request.get("fulfillment_type") in ("STORE_PICKUP", "CURBSIDE_PICKUP")
            steps.append({"type": "READY_FOR_PICKUP" if pickup else "READY_TO_SHIP"})
            if pickup:
                steps.append({"type": "PICKED_UP"})
        else:
            nodes = request.get("nodes") or [None]
            billed = _billed(tenant_id, nodes, request.get("ship_to"))
            for node_id in nodes:
                tracking = f"SIM{random.randint(10**9, 10**10 - 1)}"  # noqa: S311 - demo data
                steps.append(
                    {
                        "type": "SHIPPED",
                        "carrier": random.choice(CARRIERS),  # noqa: S311
                        "tracking_number": tracking,
                        **({"node_id": node_id} if len(nodes) > 1 else {}),
                        **({"actual_cost": billed[node_id]} if node_id in billed else {}),
                    }
                )
            steps += [{"type": "OUT_FOR_DELIVERY"}, {"type": "DELIVERED"}]
        for event in steps:
            event["event_id"] = f"sim-{order_id}-{event['type']}-{event.get('node_id', 'all')}"
        delays = trouble.own_order_delays(self.seed, order_id, kind, self.trouble_rate)
        if delays:
            with self._lock:
                for event_type, extra in delays.items():
                    self._delays[(order_id, event_type)] = extra
        # one order's callbacks go out in order: the next once the previous one was answered
        first = _Step(
            now + self._wait(order_id, steps[0]["type"]),
            next(self._seq),
            order_id,
            tenant_id,
            steps[0],
            rest=tuple(steps[1:]),
        )
        with self._lock:
            heapq.heappush(self._heap, first)

    # ------------------------------------------------------------------ HTTP side
    def _dispatch_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self._heap[0] if self._heap and self._heap[0].due <= time.monotonic() else None
                if due is not None:
                    heapq.heappop(self._heap)
                    self._sending += 1
            if due is None:
                self._stop.wait(0.05)
                continue
            self._senders.submit(self._send_counted, due)

    def _send_counted(self, step: _Step) -> None:
        try:
            self._send(step)
        except Exception:
            log.exception("simulator could not send %s", step.event.get("type"))
        finally:
            with self._lock:
                self._sending -= 1

    def _api_key(self, tenant_id: str) -> str:
        """The tenant's INTEGRATION key for this run, issued on first use, as a SUPERADMIN would
        (POST /api-keys) for a real WMS or carrier; revoked again when the simulator stops."""
        with self._lock:
            cached = self._keys.get(tenant_id)
        if cached:
            return cached[1]
        from oms.services import api_keys

        stored, key = api_keys.issue(tenant_id, "local warehouse/carrier simulator", "system:simulator")
        with self._lock:
            self._keys[tenant_id] = (stored.key_id, key)
        return key

    def _revoke_keys(self) -> None:
        from oms.services import api_keys

        with self._lock:
            issued, self._keys = dict(self._keys), {}
        for tenant_id, (key_id, _) in issued.items():
            try:
                api_keys.revoke_key(tenant_id, key_id, "system:simulator")
            except Exception as exc:  # the cloud may be going away under us
                log.debug("simulator key %s not revoked: %s", key_id, exc)

    def _send(self, step: _Step) -> None:
        url = f"{self.api_url}/orders/{step.order_id}/fulfillment-events"
        try:
            response = self._http.post(
                url,
                json=step.event,
                timeout=10,
                headers={"X-API-Key": self._api_key(step.tenant_id)},
            )
        except requests.RequestException as exc:
            log.debug("simulator post failed: %s", exc)
            self._again(step, SERVER_RETRIES)
            return
        if response.status_code in (200, 202):
            self.sent += 1
            self._next(step)
            return
        if response.status_code >= 500 and self._again(step, SERVER_RETRIES):
            # like any webhook sender: a server error is retried (the event id makes it safe)
            return
        if response.status_code == 409 and self._again(step, MAX_RETRIES):
            # an earlier event of this order may still be in flight: try again a little later
            return
        # e.g. the order was cancelled meanwhile: a real warehouse would stop too (the rest of
        # this order's callbacks are not sent)
        self.rejected += 1
        log.info(
            "simulator %s for %s answered %s after %d tries: %s",
            step.event["type"],
            step.order_id,
            response.status_code,
            step.attempt + 1,
            response.text[:300],
        )

    def _next(self, step: _Step) -> None:
        if step.rest:
            following = _Step(
                time.monotonic() + self._wait(step.order_id, step.rest[0]["type"]),
                next(self._seq),
                step.order_id,
                step.tenant_id,
                step.rest[0],
                rest=step.rest[1:],
            )
            with self._lock:
                heapq.heappush(self._heap, following)

    def _wait(self, order_id: str, event_type: str) -> float:
        """How long before this callback: a step, or more for an order with trouble (a slow
        pick holds PACKING, a carrier delay holds DELIVERED)."""
        with self._lock:
            extra = self._delays.pop((order_id, event_type), 0)
        return self.step * (1 + extra)

    # ------------------------------------------------------------------ external-order feed
    def _feed_loop(self) -> None:
        """One external order every feed_seconds, its events sent through POST /ingest/{source}
        one after the other (backdated, so windows are already exceeded for the troubled ones)."""
        from oms.domain.clock import utcnow

        index = 0
        while not self._stop.wait(self.feed_seconds):
            plan = trouble.external_plan(
                index, utcnow(), self._feed_rng, self.trouble_rate, run_tag=self._feed_run
            )
            index += 1
            if not self._feed(plan):
                self._stop.wait(60)  # the API has no ingest route (yet), or refuses the key: later

    def _feed(self, plan: trouble.ExternalPlan) -> bool:
        for event in plan.events:
            if self._stop.is_set():
                return True
            for attempt in range(4):
                try:
                    response = self._http.post(
                        f"{self.api_url}/ingest/{event.source}",
                        json=event.body,
                        timeout=10,
                        headers={"X-API-Key": self._api_key(self.feed_tenant)},
                    )
                except requests.RequestException as exc:
                    log.debug("simulator feed post failed: %s", exc)
                    self._stop.wait(max(self.step, 0.1) * (attempt + 1))
                    continue
                if response.status_code >= 500:
                    self._stop.wait(max(self.step, 0.1) * (attempt + 1))
                    continue
                if response.status_code in (401, 403, 404, 405):
                    log.info(
                        "simulator feed stopped for a while: %s %s", response.status_code, response.text[:200]
                    )
                    return False
                if response.status_code >= 400:
                    log.info(
                        "simulator feed event refused (%s): %s", response.status_code, response.text[:300]
                    )
                else:
                    self.fed_events += 1
                break
            self._stop.wait(min(self.step / 4, 0.5))
        self.fed_orders += 1
        return True

    def _again(self, step: _Step, limit: int) -> bool:
        """Schedule the step once more (later each time); False when it has been tried enough."""
        if step.attempt >= limit:
            return False
        self.retried += 1
        retry = _Step(
            time.monotonic() + max(self.step, 0.1) * (step.attempt + 1),
            next(self._seq),
            step.order_id,
            step.tenant_id,
            step.event,
            step.attempt + 1,
            step.rest,
        )
        with self._lock:
            heapq.heappush(self._heap, retry)
        return True

    def pending(self) -> int:
        """Callbacks planned but not sent yet (0: the warehouse and carrier are idle)."""
        with self._lock:
            return len(self._heap) + self._sending


def start(cloud: Any) -> Simulator:
    """Hook used by the local cloud: find the two queues of the template and start playing."""
    speed = float(getattr(cloud, "speed", 1.0) or 1.0)
    resources = cloud.resources
    warehouse = _queue_url(resources, "WarehouseQueue")
    carrier = _queue_url(resources, "CarrierQueue")
    return Simulator(cloud.api_url, warehouse, carrier, speed=speed).start()


def _queue_url(resources: Any, logical_id: str) -> str:
    entry = resources[logical_id] if isinstance(resources, dict) else getattr(resources, logical_id)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        return str(entry.get("url") or entry.get("QueueUrl") or entry.get("physical_id"))
    return str(getattr(entry, "url", None) or entry.physical_id)


def cost_factor(node_id: str, region: str) -> float:
    """The carrier's hidden truth for a node and a region: how far its bill strays from the
    predicted package cost. Fixed per (node, region), so the learning loop can find it: most
    lanes bill as predicted, some 20 % or 40 % over (a surcharging store, a long zone)."""
    digest = hashlib.sha256(f"{node_id}|{region}".encode()).digest()
    return (1.0, 1.0, 1.0, 1.02, 0.98, 1.2, 1.4)[digest[0] % 7]


def _billed(tenant_id: str, node_ids: list[Any], ship_to: dict[str, Any] | None) -> dict[str, str]:
    """What the carrier bills per node: the predicted package cost times the lane's factor."""
    if not ship_to or ship_to.get("latitude") is None or ship_to.get("longitude") is None:
        return {}
    from oms.domain.geo import haversine_km
    from oms.domain.learning.features import region
    from oms.domain.strategies.base import package_cost
    from oms.services.context import repos

    try:
        nodes = {n.id: n for n in repos.nodes.all(tenant_id)}
    except Exception:
        log.debug("simulator could not read the nodes", exc_info=True)
        return {}
    lane = region(ship_to.get("country"), ship_to.get("state"))
    billed = {}
    for node_id in node_ids:
        node = nodes.get(node_id) if node_id else None
        if node is None:
            continue
        km = haversine_km(ship_to["latitude"], ship_to["longitude"], node.latitude, node.longitude)
        predicted = package_cost(node, km)
        billed[node_id] = str(
            (predicted * Decimal(repr(cost_factor(node_id, lane)))).quantize(Decimal("0.01"))
        )
    return billed
