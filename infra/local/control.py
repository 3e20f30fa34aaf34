"""The local cloud's own endpoints on the gateway, under ``/_local/`` (never part of the API):

* ``GET /_local/status`` - whether the cloud is quiet: no message waiting or in flight in any
  queue the cloud consumes, the stream pollers caught up, no Step Functions execution running, no
  function invocation running (scheduled jobs aside: they never end in a long run), the simulator
  idle. ``{"quiet": bool, "busy": {...what is not}, "scheduled_jobs_running": {...}}``.
  Tests and scripts wait for quiet before they check the end state of a run.
* ``GET /_local/chaos`` - the chaos plan (``chaos.py``): its settings, whether it is active, the
  faults injected by kind and by function; ``?messages=1`` adds the per-message ledger.
* ``POST /_local/chaos`` ``{"active": true|false}`` - switch injection on or off (404 when the
  cloud runs without a plan).
* ``GET /_local/resources`` - the AWS endpoint (moto) and the physical name or URL of every
  resource of the stack, for scripts that read tables or queues directly.
* ``GET /_local/dead-letters`` - every message in a dead-letter queue of the stack, read in place
  (not received), with the queues it came from and the chaos ledger of its failed deliveries.
* ``GET /local/mailbox`` - the mail moto's SES kept (``mailbox.py``), for the dashboard's mailbox.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from infra.local import chaos, housekeeping, lambda_runtime, moto_patches

if TYPE_CHECKING:
    from infra.local.cloud import LocalCloud

PREFIX = "/_local/"


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class Control:
    """Answers ``/_local/...`` requests for one :class:`LocalCloud`."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def __call__(self, request: Request) -> Response:
        if request.path.rstrip("/") == "/local/mailbox":
            if request.method != "GET":
                return _json(405, {"message": "GET"})
            from infra.local import mailbox

            stack = self.cloud.resources
            return _json(200, mailbox.messages(stack.account_id, stack.region))
        path = request.path[len(PREFIX) :].strip("/")
        if path == "status" and request.method == "GET":
            return _json(200, self.status())
        if path == "resources" and request.method == "GET":
            return _json(200, self.resources())
        if path == "dead-letters" and request.method == "GET":
            return _json(200, self.dead_letters())
        if path == "chaos":
            plan = chaos.current()
            if plan is None:
                return _json(404, {"message": "the local cloud runs without a chaos plan"})
            if request.method == "POST":
                body = request.get_json(silent=True) or {}
                if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
                    return _json(400, {"message": 'expected {"active": true|false}'})
                plan.set_active(body["active"])
            elif request.method != "GET":
                return _json(405, {"message": "GET or POST"})
            return _json(200, plan.snapshot(messages=request.args.get("messages") in ("1", "true")))
        return _json(404, {"message": f"no local endpoint {request.path}"})

    # ------------------------------------------------------------------ resources
    def resources(self) -> dict[str, Any]:
        stack = self.cloud.resources
        return {
            "aws_endpoint": self.cloud.moto_endpoint,
            "region": stack.region,
            "resources": {
                logical_id: r.url or r.physical_id
                for logical_id, r in stack.resources.items()
                if r.physical_id is not None
            },
        }

    def dead_letters(self) -> dict[str, list[dict[str, Any]]]:
        """Every message in a dead-letter queue of the stack (read in place, not received), with
        its sources and what the chaos ledger knows about its failed deliveries."""
        from moto.sqs.models import sqs_backends

        stack = self.cloud.resources
        backend = sqs_backends[stack.account_id][stack.region]
        logical = {
            str(r.url or r.physical_id).rsplit("/", 1)[-1]: logical_id
            for logical_id, r in stack.resources.items()
            if r.type == "AWS::SQS::Queue" and r.physical_id
        }
        sources: dict[str, list[str]] = {}
        for name, source_queue in list(backend.queues.items()):
            dlq = getattr(source_queue, "dead_letter_queue", None)
            if name in logical and dlq is not None and dlq.name in logical:
                sources.setdefault(dlq.name, []).append(logical[name])
        for poller in self.cloud.stream_pollers:
            destination = poller.source.on_failure_arn
            if destination and ":sqs:" in destination:
                sources.setdefault(destination.rsplit(":", 1)[-1], []).append(f"stream:{poller.source.name}")
        plan = chaos.current()
        out: dict[str, list[dict[str, Any]]] = {}
        for name, from_queues in sorted(sources.items()):
            queue = backend.queues.get(name)
            messages = []
            for message in list(queue._messages) if queue is not None else []:
                key = _ledger_key(message.id, message.body, from_queues)
                messages.append(
                    {
                        "message_id": message.id,
                        "body": message.body,
                        "receive_count": message.approximate_receive_count,
                        "ledger": plan.ledger(key) if plan is not None else [],
                    }
                )
            out[logical.get(name, name)] = messages
        return out

    # ------------------------------------------------------------------ quiet
    def status(self) -> dict[str, Any]:
        busy: dict[str, Any] = {}
        queues = self._queue_depths()
        if queues:
            busy["queues"] = queues
        lag = {p.source.name: n for p in self.cloud.stream_pollers if (n := _stream_lag(p)) > 0}
        if lag:
            busy["streams"] = lag
        executions = len(housekeeping.running_executions())
        if executions:
            busy["executions"] = executions
        ticker = self.cloud.ticker
        scheduled = {k: v for k, v in (ticker.running if ticker is not None else {}).items() if v > 0}
        invocations = {}
        for function in self.cloud.resources.functions.values():
            runtime = lambda_runtime.registered(function.name)
            # a scheduled job running is the schedule, not unfinished work: it does not count
            # (work it starts, an execution or a message, does)
            running = (runtime.running if runtime is not None else 0) - scheduled.get(function.logical_id, 0)
            if running > 0:
                invocations[function.logical_id] = running
        if invocations:
            busy["invocations"] = invocations
        simulator = self.cloud.simulator
        pending = simulator.pending() if simulator is not None and hasattr(simulator, "pending") else 0
        if pending:
            busy["simulator"] = pending
        return {"quiet": not busy, "busy": busy, "scheduled_jobs_running": scheduled}

    def _queue_depths(self) -> dict[str, int]:
        from moto.sqs.models import sqs_backends

        stack = self.cloud.resources
        backend = sqs_backends[stack.account_id][stack.region]
        urls = {s.queue_url for s in stack.queue_sources}
        simulator = self.cloud.simulator
        urls.update(getattr(simulator, "queues", {}).values() if simulator is not None else ())
        depths: dict[str, int] = {}
        for url in sorted(urls):
            name = url.rsplit("/", 1)[-1]
            queue = backend.queues.get(name)
            if queue is None:
                continue
            # the approximate counts GetQueueAttributes reports: waiting, in flight, delayed
            count = (
                queue.approximate_number_of_messages
                + queue.approximate_number_of_messages_not_visible
                + queue.approximate_number_of_messages_delayed
            )
            if count:
                depths[name] = count
        return depths


def _stream_lag(poller: Any) -> int:
    """Records in the stream the poller has not passed yet."""
    with moto_patches.DYNAMODB_LOCK:
        shard = poller._shard()
        if shard is None:
            return 0
        return max(0, shard.starting_sequence_number + len(shard.items) - poller.position)


def _ledger_key(message_id: str, body: str, sources: list[str]) -> str:
    """A stream batch given up on is recorded under its stream and first sequence number."""
    streams = [s for s in sources if s.startswith("stream:")]
    if streams:
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            return f"{streams[0]}:{info['startSequenceNumber']}"
        except (ValueError, KeyError, TypeError):
            pass
    return message_id
