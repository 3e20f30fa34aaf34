"""Fault injection for the embedded local cloud: a switch of the local cloud only.

Nothing in ``layers/`` or ``functions/`` knows about it; the faults are the ones AWS itself
produces, injected where the local cloud stands in for an AWS service, so the application meets
them exactly as it would meet them in AWS:

``lambda=P``
    a share P of Lambda invocations fail (every caller: the HTTP gateway, queue and stream pollers,
    Step Functions tasks, asynchronous invokes, schedules). A share ``lambda_after`` of those
    faults (default 0.5) strikes *after* the handler ran - its writes stay, its result is lost, as
    when a function times out after its last write or the response never reaches the caller; the
    rest strike before the handler runs (throttled, or the Lambda service failed). The caller gets
    an error whose type is ``Lambda.ServiceException``, what a Step Functions task sees when the
    Lambda service fails an invoke (the fulfilment machine retries it); the gateway answers
    ``500 {"message": "Internal Server Error"}`` as API Gateway does for a failed integration, so
    an HTTP client retries (an order create with its ``Idempotency-Key``); a queue or stream batch
    is retried by its poller as Lambda's event source mappings retry it.
``ddb_throttle=P``
    a share P of the DynamoDB data-plane calls *made from inside a function* are answered by the
    moto server with ``400 ProvisionedThroughputExceededException``; botocore (and pynamodb, which
    uses botocore's standard retry mode) retries them with backoff, as on AWS, so only a run of
    throttles longer than the client's attempts reaches the application. With ``--speed N`` the
    backoff between those attempts is N times shorter, like every other wait of the local cloud.
    Calls of the local cloud itself, of tests and of the AWS CLI are never throttled. (A function's
    calls are marked with the ``x-cirrus-local-invocation`` header by a hook in botocore's request
    path.)
``sqs_redeliver=P``
    a share P of the messages a queue consumer processed successfully are not deleted, so SQS
    delivers them again after the (speed-scaled) visibility timeout - the at-least-once delivery
    every SQS consumer must tolerate. Applies to the event source pollers and to the simulated
    warehouse and carrier.

Configure it with ``CIRRUS_CHAOS`` or ``python -m infra.local run --chaos``::

    CIRRUS_CHAOS="lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7" make run
    python -m infra.local run --chaos "all=0.1,seed=7,paused"

``all=P`` sets the three shares at once; ``paused`` starts with injection off (switch it with
``POST /_local/chaos {"active": true}``). ``GET /_local/chaos`` on the gateway returns the plan,
the counters of injected faults and (``?messages=1``) the per-message fault ledger that explains a
message in a dead-letter queue.

Reproducibility: every kind of fault draws from its own ``random.Random(seed)``, so a seed fixes
the sequence of decisions of each kind. Which request meets which decision still depends on the
interleaving of threads, as in any concurrent system, so two runs with one seed inject the same
faults in the same proportions but not necessarily on the same requests.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import random
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger("infra.local.chaos")

__all__ = [
    "ENV_VAR",
    "INJECTED_ERROR_TYPE",
    "INVOCATION_HEADER",
    "ChaosPlan",
    "ChaosSpec",
    "active",
    "configure",
    "current",
    "current_invocation",
    "from_environment",
    "injected_error",
    "invocation",
]

ENV_VAR = "CIRRUS_CHAOS"
INVOCATION_HEADER = "x-cirrus-local-invocation"
INJECTED_ERROR_TYPE = "Lambda.ServiceException"
THROTTLE_ERROR = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
_LEDGER_LIMIT = 200_000  # messages remembered (oldest forgotten first)
_INVOCATIONS_LIMIT = 20_000  # invocations whose throttle count is remembered

#: DynamoDB operations that can be throttled (the data plane; table management never is).
THROTTLED_ACTIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)

_ALIASES = {
    "lambda": "lambda_share",
    "lambda_after": "lambda_after",
    "ddb": "ddb_throttle",
    "ddb_throttle": "ddb_throttle",
    "dynamodb": "ddb_throttle",
    "sqs": "sqs_redeliver",
    "sqs_redeliver": "sqs_redeliver",
}


@dataclass(frozen=True)
class ChaosSpec:
    """What to inject, as shares in [0, 1]."""

    lambda_share: float = 0.0
    lambda_after: float = 0.5
    ddb_throttle: float = 0.0
    sqs_redeliver: float = 0.0
    seed: int = 0
    paused: bool = False

    def __post_init__(self) -> None:
        for name in ("lambda_share", "lambda_after", "ddb_throttle", "sqs_redeliver"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"chaos: {name} must be a share between 0 and 1, got {value}")

    @property
    def enabled(self) -> bool:
        return bool(self.lambda_share or self.ddb_throttle or self.sqs_redeliver)

    @classmethod
    def parse(cls, text: str) -> ChaosSpec:
        """``"lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7"``; ``all=0.1``; ``paused``;
        a share may be written as a percentage (``10%``)."""
        values: dict[str, Any] = {}
        for raw in text.replace(";", ",").split(","):
            part = raw.strip()
            if not part:
                continue
            name, sep, value = (p.strip() for p in part.partition("="))
            name = name.lower()
            if not sep:
                if name == "paused":
                    values["paused"] = True
                    continue
                raise ValueError(f"chaos: expected name=value, got {part!r}")
            if name == "seed":
                try:
                    values["seed"] = int(value)
                except ValueError:
                    raise ValueError(f"chaos: seed must be an integer, got {value!r}") from None
            elif name == "paused":
                values["paused"] = value.lower() in ("1", "true", "yes", "on")
            elif name == "all":
                share = _share(value)
                values.update(lambda_share=share, ddb_throttle=share, sqs_redeliver=share)
            elif name in _ALIASES:
                values[_ALIASES[name]] = _share(value)
            else:
                known = ", ".join(sorted({*_ALIASES, "all", "seed", "paused"}))
                raise ValueError(f"chaos: unknown setting {name!r} (known: {known})")
        return cls(**values)

    def describe(self) -> str:
        parts = [
            f"lambda {self.lambda_share:.0%} ({self.lambda_after:.0%} of them after the handler ran)",
            f"DynamoDB throttles {self.ddb_throttle:.0%}",
            f"SQS redeliveries {self.sqs_redeliver:.0%}",
            f"seed {self.seed}",
        ]
        return ", ".join(parts) + (" [paused]" if self.paused else "")


def _share(value: str) -> float:
    text = value.strip()
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"chaos: {value!r} is not a share (0.1 or 10%)") from None


class ChaosPlan:
    """The decisions and the record of what was injected (thread-safe)."""

    def __init__(self, spec: ChaosSpec, speed: float = 1.0) -> None:
        self.spec = spec
        self.speed = max(float(speed), 1.0)  # the local cloud's --speed: retry backoffs shrink by it
        self.active = not spec.paused
        self._lock = threading.Lock()
        # one generator per kind, so the decisions of one kind do not depend on the others' traffic
        self._rng = {
            kind: random.Random(f"{spec.seed}:{kind}")  # noqa: S311 - fault injection, not security
            for kind in ("lambda", "lambda_after", "ddb", "sqs")
        }
        self.injected: Counter[str] = Counter()
        self.opportunities: Counter[str] = Counter()
        self.by_function: dict[str, Counter[str]] = {}
        self._ledger: OrderedDict[str, list[str]] = OrderedDict()
        self._throttles: OrderedDict[str, int] = OrderedDict()

    def _draw(self, kind: str, share: float) -> bool:
        return share > 0 and self._rng[kind].random() < share

    def _count(self, kind: str, function: str | None) -> None:
        self.injected[kind] += 1
        if function:
            self.by_function.setdefault(function, Counter())[kind] += 1

    # ------------------------------------------------------------------ decisions
    def lambda_fault(self, function: str) -> str | None:
        """None, or where this invocation fails: "before" or "after" the handler."""
        with self._lock:
            if not self.active:
                return None
            self.opportunities["lambda"] += 1
            if not self._draw("lambda", self.spec.lambda_share):
                return None
            where = "after" if self._draw("lambda_after", self.spec.lambda_after) else "before"
            self._count(f"lambda_{where}", function)
            return where

    def throttle(self, marker: str | None, action: str) -> bool:
        """Whether to throttle this DynamoDB call (only calls made from inside a function)."""
        if not marker or action not in THROTTLED_ACTIONS:
            return False
        with self._lock:
            if not self.active:
                return False
            self.opportunities["ddb"] += 1
            if not self._draw("ddb", self.spec.ddb_throttle):
                return False
            function, _, request_id = marker.partition(":")
            self._count("ddb_throttle", function)
            self._throttles[request_id] = self._throttles.get(request_id, 0) + 1
            self._throttles.move_to_end(request_id)
            while len(self._throttles) > _INVOCATIONS_LIMIT:
                self._throttles.popitem(last=False)
            return True

    def redeliver(self, consumer: str, message_id: str) -> bool:
        """Whether to leave this successfully processed message in its queue."""
        with self._lock:
            if not self.active:
                return False
            self.opportunities["sqs"] += 1
            if not self._draw("sqs", self.spec.sqs_redeliver):
                return False
            self._count("sqs_redeliver", consumer)
        self.note(message_id, "sqs_redeliver")
        return True

    # ------------------------------------------------------------------ the ledger
    def note(self, key: str, outcome: str) -> None:
        """Record why a message (or stream batch) was not consumed on one delivery."""
        with self._lock:
            self._ledger.setdefault(key, []).append(outcome)
            self._ledger.move_to_end(key)
            while len(self._ledger) > _LEDGER_LIMIT:
                self._ledger.popitem(last=False)

    def throttles_in(self, request_id: str) -> int:
        with self._lock:
            return self._throttles.get(request_id, 0)

    def failure_outcome(self, invocation: Any) -> str:
        """How to record a delivery whose invocation failed: the injected fault, or the function's
        own failure with the number of throttles injected into it (which may be why it failed)."""
        injected = getattr(invocation, "injected", None)
        if injected:
            return f"lambda_{injected}"
        error = getattr(invocation, "error_type", None) or "item_failure"
        throttles = self.throttles_in(str(getattr(invocation, "request_id", "")))
        return f"{error} (throttles={throttles})" if throttles else str(error)

    def ledger(self, key: str) -> list[str]:
        with self._lock:
            return list(self._ledger.get(key, []))

    def set_active(self, value: bool) -> None:
        with self._lock:
            self.active = bool(value)

    def snapshot(self, *, messages: bool = False) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "spec": asdict(self.spec),
                "active": self.active,
                "injected": dict(self.injected),
                "opportunities": dict(self.opportunities),
                "by_function": {k: dict(v) for k, v in self.by_function.items()},
            }
            if messages:
                out["ledger"] = {k: list(v) for k, v in self._ledger.items()}
        return out


# ---------------------------------------------------------------------- the current plan


class _State:
    plan: ChaosPlan | None = None
    installed = False


_local = threading.local()
_install_lock = threading.Lock()


def configure(spec: ChaosSpec | str | None, speed: float = 1.0) -> ChaosPlan | None:
    """Make ``spec`` the process's plan (None or an empty spec: no chaos); install the hooks.
    ``speed`` is the local cloud's: botocore's retry backoff is that many times shorter."""
    if isinstance(spec, str):
        spec = ChaosSpec.parse(spec) if spec.strip() else None
    if spec is None or not spec.enabled:
        _State.plan = None
        return None
    _install_hooks()
    _State.plan = ChaosPlan(spec, speed)
    log.warning("chaos: injecting faults: %s", spec.describe())
    return _State.plan


def from_environment() -> ChaosSpec | None:
    text = os.environ.get(ENV_VAR, "").strip()
    return ChaosSpec.parse(text) if text else None


def current() -> ChaosPlan | None:
    return _State.plan


def active() -> ChaosPlan | None:
    plan = _State.plan
    return plan if plan is not None and plan.active else None


@contextlib.contextmanager
def invocation(function: str, request_id: str) -> Iterator[None]:
    """Mark the calls this thread makes as made by one invocation of ``function``."""
    previous = getattr(_local, "marker", None)
    _local.marker = f"{function}:{request_id}"
    try:
        yield
    finally:
        _local.marker = previous


def current_invocation() -> str | None:
    return getattr(_local, "marker", None)


# ---------------------------------------------------------------------- hooks


def _install_hooks() -> None:
    with _install_lock:
        if _State.installed:
            return
        _mark_outgoing_requests()
        _throttle_dynamodb()
        _scale_backoff()
        _State.installed = True


def _mark_outgoing_requests() -> None:
    """Every AWS request a function thread sends carries the invocation marker (botocore is the
    one path of boto3 and pynamodb; the hook sits before moto's in-process stubber too)."""
    from botocore.endpoint import Endpoint

    original = Endpoint._do_get_response  # type: ignore[attr-defined]

    @functools.wraps(original)
    def _do_get_response(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
        marker = current_invocation()
        if marker is not None and _State.plan is not None:
            request.headers[INVOCATION_HEADER] = marker
        return original(self, request, operation_model, context)

    Endpoint._do_get_response = _do_get_response  # type: ignore[attr-defined]


def _throttle_dynamodb() -> None:
    """moto's DynamoDB answers a share of marked data-plane calls the way a throttled table does."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        plan = _State.plan
        if plan is not None:
            marker = self.headers.get(INVOCATION_HEADER) if self.headers is not None else None
            if marker and plan.throttle(str(marker), str(self._get_action())):
                body = json.dumps(
                    {
                        "__type": THROTTLE_ERROR,
                        "message": "The level of configured provisioned throughput for the table was "
                        "exceeded. (injected by the local cloud's chaos plan)",
                    }
                )
                return 400, {"Content-Type": "application/x-amz-json-1.0"}, body
        return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def _scale_backoff() -> None:
    """botocore's standard retry mode waits rand(0, 1) * 2^i seconds after a throttle, its legacy
    mode 0.05 * 2^i for DynamoDB (what AWS clients do); the local cloud runs its clocks ``speed``
    times faster, so these waits shrink too (the number of attempts does not change). Clients
    created before the plan keep legacy mode's unscaled waits."""
    from botocore import retryhandler
    from botocore.retries.standard import ExponentialBackoff

    def scaled(delay: Any) -> Any:
        plan = _State.plan
        return delay / plan.speed if plan is not None else delay

    standard = ExponentialBackoff.delay_amount

    @functools.wraps(standard)
    def delay_amount(self: Any, context: Any) -> Any:
        return scaled(standard(self, context))

    ExponentialBackoff.delay_amount = delay_amount  # type: ignore[method-assign]
    legacy = retryhandler.delay_exponential

    @functools.wraps(legacy)
    def delay_exponential(base: Any, growth_factor: Any, attempts: Any) -> Any:
        return scaled(legacy(base, growth_factor, attempts))

    retryhandler.delay_exponential = delay_exponential


def injected_error(where: str, function: str, request_id: str) -> dict[str, Any]:
    """The error payload of an invocation the plan failed."""
    ran = "after the handler ran (its writes stay)" if where == "after" else "before the handler ran"
    return {
        "errorType": INJECTED_ERROR_TYPE,
        "errorMessage": f"Lambda invocation of {function} failed {ran}: injected by the local cloud",
        "requestId": request_id,
        "stackTrace": [],
    }
