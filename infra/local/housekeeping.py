"""Keep a long local run as fast at the end as at the start, and let tests wait for quiet.

moto keeps every Step Functions execution forever, and ``StartExecution`` scans all of a machine's
executions (name idempotency), so an hour-long demo slowly degrades. Express executions are not
listable or describable in AWS once finished anyway (their history lives in CloudWatch Logs), so
pruning finished ones after a grace period changes nothing an application can observe - except
that an Express execution *name* may be reused afterwards, which AWS allows too.

App authors: always pass ``name`` to ``StartExecution``. moto builds the execution ARN from it and
without one the ARN ends in ``None`` (so every unnamed execution collides with the previous one).

DynamoDB stream records are kept by moto forever as well; tables whose stream nobody polls locally
keep only their most recent records.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("infra.local")

__all__ = [
    "Housekeeper",
    "prune_finished_express_executions",
    "running_executions",
    "trim_stream_records",
    "wait_for_executions",
]


def _sfn_backends() -> Iterator[Any]:
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    backends: Any
    for backends in (stepfunctions_parser_backends, stepfunctions_backends):
        for regions in list(backends.values()):
            yield from list(regions.values())


def _executions() -> Iterator[tuple[Any, Any]]:
    for backend in _sfn_backends():
        for machine in list(backend.state_machines):
            for execution in list(machine.executions):
                yield machine, execution


def _status(execution: Any) -> str:
    status = getattr(execution, "exec_status", None)
    if status is not None:
        return str(getattr(status, "value", status))
    return str(getattr(execution, "status", "RUNNING"))


def running_executions() -> list[str]:
    """ARNs of the executions still running (in any account/region of this process)."""
    return [e.execution_arn for _, e in _executions() if _status(e) == "RUNNING"]


def wait_for_executions(timeout: float = 10.0, poll: float = 0.02) -> bool:
    """Wait until no Step Functions execution is running; False on timeout."""
    deadline = time.monotonic() + timeout
    while running_executions():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def prune_finished_express_executions(older_than_seconds: float = 60.0) -> int:
    """Forget finished executions of EXPRESS machines that stopped a while ago; return how many."""
    cutoff = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(seconds=older_than_seconds)
    pruned = 0
    for backend in _sfn_backends():
        for machine in list(backend.state_machines):
            if str(getattr(machine, "type", "STANDARD")).upper() != "EXPRESS":
                continue
            for execution in list(machine.executions):
                stop = getattr(execution, "stop_date", None)
                if _status(execution) == "RUNNING" or stop is None:
                    continue
                if isinstance(stop, datetime.datetime) and stop.tzinfo is None:
                    stop = stop.replace(tzinfo=datetime.UTC)
                if isinstance(stop, datetime.datetime) and stop > cutoff:
                    continue
                # remove() one by one: start_execution may append concurrently.
                try:
                    machine.executions.remove(execution)
                    pruned += 1
                except ValueError:
                    pass
    return pruned


def trim_stream_records(keep: int = 1000, skip_tables: frozenset[str] = frozenset()) -> int:
    """Drop all but the newest ``keep`` stream records of tables nobody polls; return how many."""
    from moto.dynamodb.models import dynamodb_backends

    from infra.local.moto_patches import DYNAMODB_LOCK

    trimmed = 0
    with DYNAMODB_LOCK:
        for regions in list(dynamodb_backends.values()):
            for backend in list(regions.values()):
                for name, table in list(backend.tables.items()):
                    shard = getattr(table, "stream_shard", None)
                    if shard is None or name in skip_tables or len(shard.items) <= keep:
                        continue
                    drop = len(shard.items) - keep
                    del shard.items[:drop]
                    # Sequence numbers are computed from the list length: keep them increasing.
                    shard.starting_sequence_number += drop
                    trimmed += drop
    return trimmed


class Housekeeper:
    """A daemon thread running the periodic chores above."""

    def __init__(
        self,
        interval: float = 30.0,
        express_grace_seconds: float = 60.0,
        polled_stream_tables: frozenset[str] = frozenset(),
    ) -> None:
        self.interval = interval
        self.polled_stream_tables = polled_stream_tables
        self.express_grace_seconds = express_grace_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.pruned_executions = 0
        self.trimmed_stream_records = 0

    def run_once(self) -> None:
        self.pruned_executions += prune_finished_express_executions(self.express_grace_seconds)
        self.trimmed_stream_records += trim_stream_records(skip_tables=self.polled_stream_tables)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:
                log.exception("housekeeping failed")

    def start(self) -> Housekeeper:
        self._thread = threading.Thread(target=self._loop, name="local-housekeeping", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
