"""Poll SQS queues for their event source mappings, the way the Lambda service does.

moto's own SQS event source mappings invoke the function synchronously inside ``SendMessage`` and
ignore ``ReportBatchItemFailures``; the template's mappings are therefore not created in moto (see
``template_loader``) and each one gets a :class:`QueuePoller` thread instead:

* receive up to ``BatchSize`` messages (in calls of at most 10, waiting up to
  ``MaximumBatchingWindowInSeconds`` to fill the batch), with all attributes;
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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from infra.local.stack import QueueSource

log = logging.getLogger("infra.local.pollers")

__all__ = ["QueuePoller", "sqs_event_record"]


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
    ) -> None:
        import boto3

        self.source = source
        self.invoke = invoke
        self.region = region
        self.speed = max(float(speed), 1.0)
        self.wait_seconds = wait_seconds
        self.sqs = sqs_client or boto3.client("sqs", region_name=region)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._visibility: int | None = None
        self.batches = 0
        self.succeeded = 0
        self.failed = 0

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
            got = response.get("Messages", [])
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
        self.batches += 1
        outcome = self.invoke(self.source.function, event)
        failed = self._failed_ids(outcome, ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry and self.speed > 1:
            timeout = max(0, int(self._queue_visibility() / self.speed))
            for message in retry:
                try:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.source.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=timeout,
                    )
                except Exception:
                    log.debug("could not shorten visibility of %s", message["MessageId"], exc_info=True)
        self.succeeded += len(done)
        self.failed += len(retry)
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
            self._thread = threading.Thread(target=self._loop, name=f"poller-{self.source.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
