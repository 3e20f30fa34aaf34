"""What the SLA radar (ADR 0031) and Invoice Guard (ADR 0032) add to bench_cost's run, measured.

bench_cost drives orders to DELIVERED through the real template in moto in-process and meters every
AWS call. This module makes that run exercise the radar and Invoice Guard as production would, and
takes every request they cause out of bench_cost's figures into its own, so bench_cost's figures
keep their meaning (the order's life, the learning loop, the search and analytics read models):

- the orders stream reaches the radar's and the ledger's read models as it happens: after each
  callback the new stream records are one batch (at 1M orders a month a 2 s stream batch holds
  about one order, ADR 0031), applied in-process with their time measured and billed as the
  projection function's (256 MB) extra duration; bench_cost's batches of 100 for the projection
  skip these two read models;
- ~13 % of the orders breach (issue 11's trouble share): a slow pick, a slow pack or a carrier
  delay, by moving the one clock (oms.domain.clock) past the window before the callback; the sweep
  runs then (an absence breach) and the late callback closes it (through the stream);
- `sla_sweep` (the schedule's event: every tenant) runs after every order and after each jump of
  the clock, the exceptions queue is drained into the ExceptionsFunction (no Claude key: the rule
  analyst's analysis stands, stored with its reason) after each sweep and stream batch;
- after the flow the clock moves on in 24 h steps (each a sweep) until every deadline of every
  order was due; then `generate_invoices` and `validate_invoices` run over the orders' days;
- amortisation: a sweep run with nothing due is measured (3 runs) and so is an invoice run over
  as many days without orders; the runs' measured cost minus that idle cost is per order, the idle
  cost is billed 43,200 times a month (rate(1 minute)) for the sweep and 30 times for each
  invoice job, over 1M orders a month.

A request serves the radar or Invoice Guard when it is made by one of these runs or read models,
or on the radar's or billing table or the exceptions queues. Prices and unit rules: bench_cost.
Not counted: the exceptions queue's empty long polls by the event source mapping (per queue and
month, not per order: about 650k requests, $0.26 a month, whatever the volume).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ORDERS_PER_MONTH = 1_000_000
SWEEPS_PER_MONTH = 43_200  # rate(1 minute)
INVOICE_RUNS_PER_MONTH = 30  # each nightly job
BREACH_SHARE = 0.13
PROJECTION_MB = 256
IDLE_SWEEPS = 3
# (status whose callback comes late, minutes the clock moves first, what it stands for); each past
# the longest window the demo policy can give (x1.5 on a weekend start): pick 180, pack 360, ship 2160
LATE = (
    ("PACKING", 200, "slow pick"),
    ("READY_TO_SHIP", 370, "slow pack"),
    ("SHIPPED", 2200, "carrier delay"),
)
RADAR_PARTS = ("radar: stream", "radar: sweep", "radar: analyst", "radar: other")
INVOICE_PARTS = ("invoice: ledger", "invoice: jobs", "invoice: other")


@dataclass
class Usage:
    wu: float = 0.0
    ru: float = 0.0
    sqs: int = 0
    calls: int = 0
    runs: int = 0  # Lambda invocations (requests, logs)
    gb_s: float = 0.0
    events: int = 0  # EventBridge scheduled events

    def dollars(self) -> float:
        from bench_cost import LOG_KB_PER_INVOCATION, PRICES

        return (
            self.wu * PRICES["ddb_wu"]
            + self.ru * PRICES["ddb_ru"]
            + self.sqs * PRICES["sqs_request"]
            + self.runs * (PRICES["lambda_request"] + LOG_KB_PER_INVOCATION / 1024 / 1024 * PRICES["logs_gb"])
            + self.gb_s * PRICES["lambda_gb_s"]
            + self.events * PRICES["eventbridge_event"]
        )


class TravelClock:
    """Real time passing, plus the time the story jumps (the process's one clock)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel(self, **step: float) -> None:
        self.offset += timedelta(**step)


class Breakdown:
    """Installed over bench_cost's Meter (after it): diverts and counts what the radar and
    Invoice Guard cause, and drives them during bench_cost's order flow (its hooks)."""

    def __init__(self, stack: Any, meter: Any, n_orders: int) -> None:
        from bench_cost import DynamoMeter

        self.stack, self.meter, self.n = stack, meter, n_orders
        self.dynamo = DynamoMeter()
        self.usage: dict[str, Usage] = {}
        self.clock = TravelClock()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._parts: dict[str, str] = {}  # request id -> part
        self._calls: Counter[str] = Counter()  # AWS calls per request id (or read-model run)
        self.tables = {str(stack["RadarTable"]): "radar: other", str(stack["BillingTable"]): "invoice: other"}
        self.queues = {str(stack["ExceptionsQueue"]), str(stack["ExceptionsDeadLetterQueue"])}
        k = max(1, round(n_orders * BREACH_SHARE))
        self.late = {int((j + 0.5) * n_orders / k): LATE[j % len(LATE)] for j in range(k)}
        self.seen: set[str] = set()
        self.sweeps = 0
        self.idle_sweeps = Usage()
        self.idle_jobs = Usage()
        self.jobs: dict[str, Any] = {}
        self.first_day = ""
        self.active = False
        self._restore: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ interception
    def part(self, name: str) -> Usage:
        return self.usage.setdefault(name, Usage())

    def _resource_part(self, service: str, params: dict[str, Any]) -> str | None:
        if service == "sqs":
            return "radar: analyst" if str(params.get("QueueUrl", "")) in self.queues else None
        if service != "dynamodb":
            return None
        names = {params.get("TableName")}
        names |= set(params.get("RequestItems") or {})
        for entry in params.get("TransactItems") or []:
            names |= {op.get("TableName") for op in entry.values()}
        for name in names:
            if name in self.tables:
                return self.tables[name]
        return None

    def _call(self, inner: Any, client: Any, operation: str, params: dict[str, Any]) -> Any:
        meter, service = self.meter, client.meta.service_model.service_name
        name = getattr(self._local, "part", None)
        if name is None and self.active and not getattr(meter._local, "ignore", False):
            name = self._resource_part(service, params)
        if name is None or not self.active or not meter.enabled:
            return inner(client, operation, params)
        usage = self.part(name)
        usage.calls += 1
        usage.sqs += service == "sqs"
        with self._lock:
            self._calls[getattr(self._local, "key", "") or ""] += 1
        previous = getattr(meter._local, "ignore", False)
        meter._local.ignore = True  # not bench_cost's: it is counted here
        try:
            if service != "dynamodb":
                return inner(client, operation, params)
            with meter._lock:
                targets = self.dynamo.snapshot(operation, params)
                before = (self.dynamo.wu + self.dynamo.gsi_wu, self.dynamo.ru)
                try:
                    response = inner(client, operation, params)
                finally:
                    self.dynamo.account_write(targets, params)
                self.dynamo.account_read(operation, params, response)
                usage.wu += self.dynamo.wu + self.dynamo.gsi_wu - before[0]
                usage.ru += self.dynamo.ru - before[1]
                return response
        finally:
            meter._local.ignore = previous

    def _invoke(self, inner: Any, runtime: Any, event: Any, kwargs: dict[str, Any]) -> Any:
        from bench_cost import NETWORK_MS_PER_AWS_CALL

        name, meter = getattr(self._local, "part", None), self.meter
        if name is None or not self.active or not meter.enabled:
            return inner(runtime, event, **kwargs)
        request_id = kwargs.get("request_id") or f"{name}-{uuid.uuid4()}"
        self._parts[request_id] = name
        previous = getattr(meter._local, "ignore", False)
        meter._local.ignore = True  # bench_cost's meter leaves the invocation uncounted
        try:
            outcome = inner(runtime, event, **{**kwargs, "request_id": request_id})
        finally:
            meter._local.ignore = previous
        usage = self.part(name)
        usage.runs += 1
        ms = outcome.duration_ms + NETWORK_MS_PER_AWS_CALL * self._calls[request_id]
        usage.gb_s += ms / 1000 * runtime.memory_mb / 1024
        return outcome

    def _run(self, inner: Any, runtime: Any, event: Any, request_id: str | None) -> Any:
        """On the container thread: the invocation's requests serve what it was invoked for."""
        name = self._parts.get(request_id or "")
        before = (getattr(self._local, "part", None), getattr(self._local, "key", None))
        if name is not None:
            self._local.part, self._local.key = name, request_id
        try:
            return inner(runtime, event, request_id)
        finally:
            self._local.part, self._local.key = before

    def install(self) -> None:
        import botocore.client

        from infra.local import lambda_runtime
        from oms.services import projections

        client_cls, runtime_cls = botocore.client.BaseClient, lambda_runtime.FunctionRuntime
        inner_call, inner_invoke, inner_run = client_cls._make_api_call, runtime_cls.invoke, runtime_cls._run
        inner_models = projections.read_models

        def read_models() -> list[Any]:  # bench_cost's projection runs: without the two fed here
            return [(n, f) for n, f in inner_models() if n not in ("sla_radar", "billing_ledger")]

        client_cls._make_api_call = lambda client, op, params: self._call(inner_call, client, op, params)  # type: ignore[method-assign]
        runtime_cls.invoke = lambda runtime, event, **kw: self._invoke(inner_invoke, runtime, event, kw)  # type: ignore[method-assign]
        runtime_cls._run = lambda runtime, event, rid: self._run(inner_run, runtime, event, rid)  # type: ignore[method-assign]
        projections.read_models = read_models  # type: ignore[assignment]

        def restore() -> None:
            client_cls._make_api_call = inner_call  # type: ignore[method-assign]
            runtime_cls.invoke = inner_invoke  # type: ignore[method-assign]
            runtime_cls._run = inner_run  # type: ignore[method-assign]
            projections.read_models = inner_models

        self._restore.append(restore)

    def uninstall(self) -> None:
        self.active = False
        while self._restore:
            self._restore.pop()()

    @contextmanager
    def serving(self, name: str, key: str = "") -> Iterator[None]:
        """Requests made on this thread inside the block serve `name`."""
        before = (getattr(self._local, "part", None), getattr(self._local, "key", None))
        self._local.part, self._local.key = name, key
        try:
            yield
        finally:
            self._local.part, self._local.key = before

    @contextmanager
    def uncounted(self) -> Iterator[None]:
        previous = getattr(self.meter._local, "ignore", False)
        self.meter._local.ignore = True
        try:
            yield
        finally:
            self.meter._local.ignore = previous

    # ------------------------------------------------------------------ what runs
    def _sweep(self, name: str = "radar: sweep") -> None:
        with self.serving(name):
            outcome = self.stack.invoke("LearningFunction", {"job": "sla_sweep"})  # the schedule's event
        assert not outcome.errored, outcome.payload
        self.part(name).events += 1
        self.sweeps += name == "radar: sweep"
        self.drain()

    def drain(self) -> None:
        """The exceptions queue's event source mapping: batches of up to 10 to the consumer."""
        import boto3

        from tests.component.helpers import sqs_records

        sqs, url = boto3.client("sqs"), self.stack["ExceptionsQueue"]
        while True:
            with self.uncounted():  # the mapping's long poll waits for a message: empty polls are
                waiting = sqs.get_queue_attributes(  # per queue and month, not per order
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
            if waiting == "0":
                return
            with self.serving("radar: analyst"):
                messages = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
                ).get("Messages", [])
                outcome = self.stack.invoke(
                    "ExceptionsFunction", {"Records": sqs_records(self.stack, "ExceptionsQueue", messages)}
                )
                assert not outcome.errored and not outcome.payload["batchItemFailures"], outcome.payload
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
                    ],
                )

    def feed_stream(self) -> None:
        """The stream records since the last batch, to the radar's and the ledger's read models."""
        from bench_cost import NETWORK_MS_PER_AWS_CALL

        from oms.data.stream import order_changes
        from oms.services import billing_ledger, radar_stream
        from tests.component.helpers import stream_records

        with self.uncounted():
            records = [
                r for r in stream_records(self.stack) if r["dynamodb"]["SequenceNumber"] not in self.seen
            ]
        self.seen |= {r["dynamodb"]["SequenceNumber"] for r in records}
        changes = order_changes(records)
        if not changes:
            return
        for name, apply in (("radar: stream", radar_stream.apply), ("invoice: ledger", billing_ledger.apply)):
            key = f"{name}-{uuid.uuid4()}"
            with self.serving(name, key):
                began = time.perf_counter()
                apply(changes)
                ms = (time.perf_counter() - began) * 1000 + NETWORK_MS_PER_AWS_CALL * self._calls[key]
            self.part(name).gb_s += ms / 1000 * PROJECTION_MB / 1024
        self.drain()

    # ------------------------------------------------------------------ bench_cost's hooks
    def start(self) -> None:
        from tests.component.helpers import sqs_records, stream_records

        with self.uncounted():
            self.seen = {r["dynamodb"]["SequenceNumber"] for r in stream_records(self.stack)}
            self.stack.invoke("LearningFunction", {"job": "sla_sweep"})  # warm, first watermark
            from oms.services import analyst

            analyst.analyst()  # what a warm container has loaded: the analyst's modules (no key: None)
            warm = json.dumps({"tenant_id": "demo", "exception_id": "warm-up", "event": "created"})
            self.stack.invoke(
                "ExceptionsFunction", {"Records": sqs_records(self.stack, "ExceptionsQueue", [warm])}
            )
        self.first_day = self.clock().date().isoformat()
        self.active = True
        for _ in range(IDLE_SWEEPS):
            self._sweep("radar: idle sweep")
        self.idle_sweeps = self.usage.pop("radar: idle sweep")

    def before(self, index: int, status: str) -> bool:
        """Before the callback that reaches `status`: True when the clock moved (a new token)."""
        late = self.late.get(index)
        if late is None or late[0] != status:
            return False
        self.clock.travel(minutes=late[1])
        self._sweep()  # the sweep of the minute the deadline passed: an absence breach
        return True

    def after_step(self) -> None:
        self.feed_stream()

    def after_order(self) -> None:
        self._sweep()

    def finish(self) -> None:
        """Every deadline of every order falls due (6 days in 24 h steps, a sweep each); then
        the invoices of the orders' days, and both jobs again over as many days without orders."""
        self.feed_stream()
        for _ in range(6):
            self.clock.travel(hours=24)
            self._sweep()
        days_back = (self.clock().date() - datetime.fromisoformat(self.first_day).date()).days
        for job in ("generate_invoices", "validate_invoices"):
            self.jobs[job] = self._job(job, days_back, "invoice: jobs")
        self.clock.travel(days=days_back + 1)
        for job in ("generate_invoices", "validate_invoices"):
            self._job(job, days_back, "invoice: idle jobs")
        self.idle_jobs = self.usage.pop("invoice: idle jobs")
        self.active = False

    def _job(self, job: str, days_back: int, name: str) -> Any:
        with self.serving(name):
            outcome = self.stack.invoke("LearningFunction", {"job": job, "days_back": days_back})
        assert not outcome.errored, outcome.payload
        self.part(name).events += 1
        return outcome.payload

    # ------------------------------------------------------------------ figures
    def per_million(self) -> dict[str, float]:
        """$ per 1M orders at 1M orders a month, by part."""
        n, scale = self.n, 1e6
        idle_sweep = self.idle_sweeps.dollars() / IDLE_SWEEPS
        idle_jobs = self.idle_jobs.dollars()  # one run of each job
        out = {name: self.part(name).dollars() / n * scale for name in (*RADAR_PARTS, *INVOICE_PARTS)}
        sweep = self.part("radar: sweep").dollars()
        out["radar: sweep"] = max(0.0, sweep - self.sweeps * idle_sweep) / n * scale
        out["radar: sweep runs (idle, 43,200 a month)"] = (
            idle_sweep * SWEEPS_PER_MONTH / ORDERS_PER_MONTH * scale
        )
        jobs = self.part("invoice: jobs").dollars()
        out["invoice: jobs"] = max(0.0, jobs - idle_jobs) / n * scale
        out["invoice: job runs (idle, 30 a month each)"] = (
            idle_jobs * INVOICE_RUNS_PER_MONTH / ORDERS_PER_MONTH * scale
        )
        return out

    def figures(self) -> list[dict[str, Any]]:
        from benchlib import figure

        from oms.domain.clock import iso
        from oms.services.context import repos

        table = self.per_million()
        radar = sum(v for k, v in table.items() if k.startswith("radar"))
        invoice = sum(v for k, v in table.items() if k.startswith("invoice"))
        since = iso(datetime.fromisoformat(self.first_day).replace(tzinfo=UTC) - timedelta(days=1))
        exceptions = list(repos.exceptions.in_range("demo", since, iso(self.clock())))
        breached = {e["order_ref"] for e in exceptions}
        print(f"  SLA radar and Invoice Guard per 1M orders ({self.n} orders, {self.sweeps} sweeps):")
        for name, value in table.items():
            print(f"    {name:<44} ${value:8.3f}")
        print("  their requests per order (idle runs excluded):")
        for name, u in sorted(self.usage.items()):
            print(
                f"    {name:<20} {u.wu / self.n:6.2f} WU {u.ru / self.n:6.2f} RU {u.sqs / self.n:5.2f} SQS"
                f" {u.runs / self.n:5.2f} runs {u.gb_s / self.n * 1000:7.2f} mGB-s"
            )
        per_idle = self.idle_sweeps
        print(
            f"    an idle sweep: {per_idle.wu / IDLE_SWEEPS:.2f} WU, {per_idle.ru / IDLE_SWEEPS:.2f} RU,"
            f" {per_idle.gb_s / IDLE_SWEEPS * 1000:.1f} mGB-s; idle invoice jobs: {self.idle_jobs}"
        )
        late = ", ".join(f"#{i} {what}" for i, (_, _, what) in sorted(self.late.items()))
        reasons = Counter(str((e.get("analysis") or {}).get("fallback_reason")) for e in exceptions)
        print(
            f"    {len(exceptions)} exceptions on {len(breached)} orders ({late}); analyses: {dict(reasons)}"
        )
        print(f"    invoice jobs: {self.jobs}")
        note = f"{len(breached)}/{self.n} orders breached; sweep and jobs amortised at 1M orders a month"
        return [
            figure("radar_cost_per_1m", radar, "$", note=note),
            figure("invoice_guard_cost_per_1m", invoice, "$", note="ledger from the stream, nightly jobs"),
            figure("radar + Invoice Guard per 1M orders", radar + invoice, "$", target=5),
            figure("SLA exceptions per order", len(exceptions) / self.n, "exceptions"),
        ]
