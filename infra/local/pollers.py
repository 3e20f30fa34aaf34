"""Poll SQS queues for their event source mappings, the way the Lambda service does.

moto's own SQS event source mappings invoke the function synchronously inside ``SendMessage`` and
ignore ``ReportBatchItemFailures``; the template's mappings are therefore not created in moto (see
``template_loader``) and each one gets a :class:`QueuePoller` thread instead:

* receive up to ``BatchSize`` messages (in calls of at most 10, waiting up to
  ``MaximumBatchingWindowInSeconds`` to fill the batch), with all attributes; ``concurrency``
  threads do so at once (the local cloud uses the function's container count), as Lambda runs
  several pollers per mapping;
* build the standard SQS event (``Records`` with ``messageId``, ``receiptHandle``, ``body``,
  ``attributes`` incl. ``ApproximateReceiveCount``, ``messageAttributes``, ``md5OfBody``,
  ``eventSource``, ``eventSourceARN``, ``awsRegion``) and invoke the function;
* success deletes the batch; an error leaves the whole batch for redelivery after the visibility
  timeout; with ``FunctionResponseTypes: [ReportBatchItemFailures]`` a response
  ``{"batchItemFailures": [{"itemIdentifier": id}]}`` deletes every other message, and a malformed
  response fails the whole batch, as in AWS;
* dead-lettering is left to the queue: moto moves a message to the ``RedrivePolicy`` DLQ on the
  receive after ``ApproximateReceiveCount`` reached ``maxReceiveCount``.

``speed`` > 1 shortens the wait before a failed message is retried (its visibility timeout is set
to ``VisibilityTimeout / speed``), so retry-and-DLQ paths can be watched in a demo.

With a chaos plan (``chaos.py``), a share of the processed messages is left undeleted (SQS delivers
it again, as at-least-once delivery allows), and every delivery that did not consume a message is
written to the plan's ledger with its reason (an injected fault, or the function's own failure and
the throttles injected into it), which explains a message that ends in a dead-letter queue.

DynamoDB stream mappings get a :class:`StreamPoller`, which reads the table's stream records in
this process (moto's own stream mappings would invoke the function synchronously *inside* the write,
under the DynamoDB lock) and behaves like Lambda's stream processing: ``StartingPosition``,
``BatchSize``, ``FilterCriteria`` (EventBridge patterns, matched by moto's matcher), in-order
retries of a failed batch (``MaximumRetryAttempts``, ``BisectBatchOnFunctionError``), partial
batch responses (``itemIdentifier`` = the record's ``SequenceNumber``: processing resumes there),
and an SQS ``OnFailure`` destination once retries are exhausted.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from infra.local import chaos, moto_patches
from infra.local.stack import QueueSource, StreamSource

log = logging.getLogger("infra.local.pollers")

__all__ = ["QueuePoller", "StreamPoller", "sqs_event_record", "stream_event_record"]


def _message_attributes(raw: dict[str, Any]) -> dict[str, Any]:
    import base64

    out: dict[str, Any] = {}
    for name, value in (raw or {}).items():
        entry: dict[str, Any] = {
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": [
                base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v
                for v in value.get("BinaryListValues", [])
            ],
            "dataType": value.get("DataType"),
        }
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            binary = value["BinaryValue"]
            entry["binaryValue"] = (
                base64.b64encode(binary).decode("ascii") if isinstance(binary, bytes) else binary
            )
        out[name] = entry
    return out


def sqs_event_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, from a ``ReceiveMessage`` message."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": _message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class QueuePoller:
    """One thread feeding one SQS queue to one function."""

    def __init__(
        self,
        source: QueueSource,
        invoke: Callable[[str, Any], Any],
        *,
        region: str = "us-east-1",
        speed: float = 1.0,
        wait_seconds: int = 1,
        sqs_client: Any = None,
        concurrency: int = 1,
    ) -> None:
        import boto3

        self.source = source
        # batches in flight at once, as Lambda runs several pollers per SQS mapping (FIFO queues
        # stay ordered per message group: SQS holds a group back while one of its messages is out)
        self.concurrency = max(1, concurrency)
        self.invoke = invoke
        self.region = region
        self.speed = max(float(speed), 1.0)
        self.wait_seconds = wait_seconds
        self.sqs = sqs_client or boto3.client("sqs", region_name=region)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._visibility: int | None = None
        self.batches = 0
        self.succeeded = 0
        self.failed = 0
        self.redelivered = 0  # processed, but left in the queue by the chaos plan
        self._count_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"QueuePoller({self.source.name}: {self.source.queue_url} -> {self.source.function})"

    # ----------------------------------------------------------------- one round
    def receive_batch(self) -> list[dict[str, Any]]:
        wanted = max(1, self.source.batch_size)
        window = self.source.maximum_batching_window
        deadline = time.monotonic() + window
        messages: list[dict[str, Any]] = []
        while len(messages) < wanted and not self._stop.is_set():
            wait = self.wait_seconds if not messages else 0
            response = self.sqs.receive_message(
                QueueUrl=self.source.queue_url,
                MaxNumberOfMessages=min(10, wanted - len(messages)),
                WaitTimeSeconds=wait,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            )
            got = [dict(m) for m in response.get("Messages", [])]
            messages.extend(got)
            if not got and (not messages or time.monotonic() >= deadline):
                break
            if got and len(got) < 10 and time.monotonic() >= deadline:
                break
        return messages

    def process(self, messages: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        """Invoke the function for one batch; return (deleted message ids, failed message ids)."""
        if not messages:
            return [], []
        event = {"Records": [sqs_event_record(m, self.source.queue_arn, self.region) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        with self._count_lock:
            self.batches += 1
        outcome = self.invoke(self.source.function, event)
        failed = self._failed_ids(outcome, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        retry = [m for m in messages if m["MessageId"] in failed]
        again: list[dict[str, Any]] = []  # processed, but SQS will deliver them again (chaos)
        plan = chaos.current()
        if plan is not None:
            why = plan.failure_outcome(outcome)
            for message in retry:
                plan.note(message["MessageId"], why)
            again = [m for m in done if plan.redeliver(self.source.function, m["MessageId"])]
        deletions = [m for m in done if m not in again]
        for start in range(0, len(deletions), 10):
            chunk = deletions[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        if (retry or again) and self.speed > 1:
            timeout = max(0, int(self._queue_visibility() / self.speed))
            for message in retry + again:
                try:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.source.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=timeout,
                    )
                except Exception:
                    log.debug("could not shorten visibility of %s", message["MessageId"], exc_info=True)
        with self._count_lock:
            self.succeeded += len(done)
            self.failed += len(retry)
            self.redelivered += len(again)
        return [m["MessageId"] for m in done], [m["MessageId"] for m in retry]

    def _failed_ids(self, outcome: Any, ids: list[str]) -> set[str]:
        if getattr(outcome, "errored", False):
            log.warning(
                "%s: batch of %d failed; messages return to the queue", self.source.function, len(ids)
            )
            return set(ids)
        if not self.source.reports_batch_item_failures:
            return set()
        payload = getattr(outcome, "payload", outcome)
        if (
            payload is None
            or payload == ""
            or (isinstance(payload, dict) and not payload.get("batchItemFailures"))
        ):
            return set()
        failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
        if not isinstance(failures, list):
            log.warning("%s: malformed batch response %r; whole batch fails", self.source.function, payload)
            return set(ids)
        failed: set[str] = set()
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or identifier not in ids:
                log.warning("%s: bad itemIdentifier %r; whole batch fails", self.source.function, identifier)
                return set(ids)
            failed.add(identifier)
        return failed

    def _queue_visibility(self) -> int:
        if self._visibility is None:
            attrs = self.sqs.get_queue_attributes(
                QueueUrl=self.source.queue_url, AttributeNames=["VisibilityTimeout"]
            )["Attributes"]
            self._visibility = int(attrs.get("VisibilityTimeout", 30))
        return self._visibility

    def poll_once(self) -> tuple[list[str], list[str]]:
        return self.process(self.receive_batch())

    # ----------------------------------------------------------------- thread
    def _loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self.poll_once()
                backoff = 0.5
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("poller %s: %s (retrying in %.1fs)", self.source.name, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def start(self) -> QueuePoller:
        if self.source.enabled:
            for n in range(self.concurrency):
                thread = threading.Thread(
                    target=self._loop, name=f"poller-{self.source.name}-{n}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        return self

    def request_stop(self) -> None:
        """Ask the threads to stop after their current round (``stop`` waits for them)."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)


# --------------------------------------------------------------------------- DynamoDB streams


def stream_event_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One record of a Lambda DynamoDB stream event, from a moto stream record."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=value.tzinfo or dt.UTC).timestamp()
        if isinstance(value, (bytes, bytearray)):  # binary attributes: base64, as Lambda sends them
            return base64.b64encode(bytes(value)).decode()
        raise TypeError(f"cannot serialise {type(value).__name__}")

    event: dict[str, Any] = json.loads(json.dumps(record, default=plain))
    event["awsRegion"] = region
    event["eventSourceARN"] = stream_arn
    return event


class StreamPoller:
    """One thread feeding one DynamoDB stream to one function, in order."""

    def __init__(
        self,
        source: StreamSource,
        invoke: Callable[[str, Any], Any],
        *,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        speed: float = 1.0,
        poll_interval: float = 0.1,
        sqs_client: Any = None,
    ) -> None:
        from moto.events.models import EventPattern

        self.source = source
        self.invoke = invoke
        self.account_id = account_id
        self.region = region
        self.speed = max(float(speed), 1.0)
        self.poll_interval = poll_interval
        self._sqs = sqs_client
        self._patterns = [EventPattern.load(p) for p in source.filters]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        shard = self._shard()
        if shard is None:
            raise ValueError(f"{source.table_name} has no stream")
        start = shard.starting_sequence_number
        self.position: int = start if source.starting_position == "TRIM_HORIZON" else start + len(shard.items)
        self._limit = max(1, source.batch_size)
        self._attempts = 0
        self.batches = 0
        self.delivered = 0
        self.filtered = 0
        self.discarded = 0

    def __repr__(self) -> str:
        return f"StreamPoller({self.source.name}: {self.source.table} -> {self.source.function})"

    def _shard(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        table = dynamodb_backends[self.account_id][self.region].tables.get(self.source.table_name)
        return getattr(table, "stream_shard", None)

    def _read(self) -> list[dict[str, Any]]:
        with moto_patches.DYNAMODB_LOCK:
            shard = self._shard()
            if shard is None:
                return []
            index = self.position - shard.starting_sequence_number
            if index < 0:
                log.warning("%s: %d stream records were trimmed before being read", self.source.name, -index)
                self.position, index = shard.starting_sequence_number, 0
            return [r.to_json() for r in shard.items[index : index + self._limit]]

    def resume(self) -> StreamPoller:
        """Start again after stop(), from where it stood."""
        self._stop.clear()
        return self.start()

    def skip_to_latest(self) -> int:
        """Move past every record now in the stream (a bulk load the outbox should not replay,
        e.g. a benchmark's preloaded history); return how many were skipped."""
        with moto_patches.DYNAMODB_LOCK:
            shard = self._shard()
            if shard is None:
                return 0
            latest = shard.starting_sequence_number + len(shard.items)
            skipped, self.position = max(0, latest - self.position), latest
            return skipped

    def _matches(self, record: dict[str, Any]) -> bool:
        event: Any = record
        return not self._patterns or any(p.matches_event(event) for p in self._patterns)

    def poll_once(self) -> int:
        """Process at most one batch; return how many records it consumed (0: nothing new)."""
        raw = self._read()
        if not raw:
            return 0
        if self.source.maximum_batching_window and len(raw) < self._limit:
            time.sleep(min(self.source.maximum_batching_window, 1.0) / self.speed)
            raw = self._read()
        records = [stream_event_record(r, self.source.stream_arn, self.region) for r in raw]
        last = int(records[-1]["dynamodb"]["SequenceNumber"])
        wanted = [r for r in records if self._matches(r)]
        self.filtered += len(records) - len(wanted)
        if not wanted:
            self.position = last + 1
            return len(records)
        self.batches += 1
        outcome = self.invoke(self.source.function, {"Records": wanted})
        resume_at = self._resume_at(outcome, wanted)
        if resume_at is None:
            self.delivered += len(wanted)
            self.position, self._attempts, self._limit = last + 1, 0, max(1, self.source.batch_size)
            return len(records)
        self._attempts += 1
        plan = chaos.current()
        if plan is not None:
            first = wanted[0]["dynamodb"]["SequenceNumber"]
            plan.note(f"stream:{self.source.name}:{first}", plan.failure_outcome(outcome))
        if 0 <= self.source.maximum_retry_attempts < self._attempts:
            self._give_up(wanted, outcome)
            self.position, self._attempts, self._limit = last + 1, 0, max(1, self.source.batch_size)
            return len(records)
        consumed = resume_at - self.position
        self.position = resume_at
        if self.source.bisect_on_error and consumed == 0 and len(wanted) > 1:
            self._limit = max(1, len(raw) // 2)
        self._stop.wait(min(2 ** (self._attempts - 1), 30) / self.speed)
        return max(consumed, 0)

    def _resume_at(self, outcome: Any, records: list[dict[str, Any]]) -> int | None:
        """None if the batch succeeded, else the sequence number to retry from."""
        first = int(records[0]["dynamodb"]["SequenceNumber"])
        if getattr(outcome, "errored", False):
            log.warning("%s: stream batch failed; it will be retried", self.source.function)
            return first
        if not self.source.reports_batch_item_failures:
            return None
        payload = getattr(outcome, "payload", outcome)
        failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
        if not failures:
            return None
        numbers = {r["dynamodb"]["SequenceNumber"] for r in records}
        identifiers = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if not all(i in numbers for i in identifiers):
            log.warning(
                "%s: bad itemIdentifier in %r; the whole batch is retried", self.source.function, payload
            )
            return first
        return min(int(str(i)) for i in identifiers)

    def _give_up(self, records: list[dict[str, Any]], outcome: Any) -> None:
        self.discarded += len(records)
        log.warning(
            "%s: %d stream records skipped after %d attempts",
            self.source.function,
            len(records),
            self._attempts,
        )
        destination = self.source.on_failure_arn
        if not destination or ":sqs:" not in destination:
            return
        import boto3

        sqs = self._sqs or boto3.client("sqs", region_name=self.region)
        queue_name = destination.rsplit(":", 1)[-1]
        queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        body = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.source.function,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled" if getattr(outcome, "errored", False) else None,
            },
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": "shardId-local",
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(records),
                "streamArn": self.source.stream_arn,
            },
        }
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))

    # ----------------------------------------------------------------- thread
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once() == 0:
                    self._stop.wait(self.poll_interval)
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("stream poller %s: %s", self.source.name, exc)
                self._stop.wait(1.0)

    def start(self) -> StreamPoller:
        if self.source.enabled:
            self._thread = threading.Thread(target=self._loop, name=f"stream-{self.source.name}", daemon=True)
            self._thread.start()
        return self

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
