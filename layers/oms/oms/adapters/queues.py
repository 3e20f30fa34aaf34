"""Sending work to SQS queues."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.errors import TransientStoreError

MAX_DELAY_SECONDS = 900  # SQS DelaySeconds limit; longer waits are re-queued when received early
_PER_REQUEST = 10  # SendMessageBatch's limit
_ATTEMPTS = 3

log = logging.getLogger("oms.adapters")


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sqs", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def send(queue_url: str, body: dict[str, Any], delay_seconds: float = 0) -> None:
    delay = max(0, min(MAX_DELAY_SECONDS, math.ceil(delay_seconds)))  # never early
    try:
        _client().send_message(QueueUrl=queue_url, MessageBody=json.dumps(body), DelaySeconds=delay)
    except (ClientError, BotoCoreError) as exc:
        log.warning("SQS send failed: %s", exc)  # the queue URL names the account: log only
        raise TransientStoreError(f"could not queue work ({type(exc).__name__}); retry") from exc


def send_batch(queue_url: str, bodies: Sequence[dict[str, Any]]) -> None:
    """Send every body (10 per request), or raise; see `send_messages`."""
    send_messages(queue_url, [(json.dumps(body), None) for body in bodies])


def send_messages(queue_url: str, messages: Sequence[tuple[str, dict[str, Any] | None]]) -> None:
    """Send every (body, message attributes or None), 10 per SendMessageBatch, or raise
    TransientStoreError. Entries a batch refused are sent again a few times; a message sent twice
    is a duplicate its consumer tolerates."""
    for start in range(0, len(messages), _PER_REQUEST):
        pending = [
            {"Id": str(i), "MessageBody": body, **({"MessageAttributes": attrs} if attrs else {})}
            for i, (body, attrs) in enumerate(messages[start : start + _PER_REQUEST])
        ]
        for _ in range(_ATTEMPTS):
            try:
                response = _client().send_message_batch(QueueUrl=queue_url, Entries=pending)
            except (ClientError, BotoCoreError) as exc:
                log.warning("SQS batch send failed: %s", exc)  # the queue URL names the account: log only
                raise TransientStoreError(f"could not queue work ({type(exc).__name__}); retry") from exc
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = [p for p in pending if p["Id"] in failed]
            if not pending:
                break
        else:
            log.warning("%d messages refused %d times", len(pending), _ATTEMPTS)
            raise TransientStoreError(f"{len(pending)} messages refused {_ATTEMPTS} times; retry")


def depth(queue_url: str) -> dict[str, int]:
    attrs = _client().get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
        "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
    }


def peek(queue_url: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` messages without taking them (visibility 0: they stay available)."""
    response = _client().receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=max(1, min(limit, 10)),
        VisibilityTimeout=0,
        AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
    )
    return list(response.get("Messages", []))


def move(source_url: str, target_url: str, limit: int) -> int:
    """Move up to `limit` messages (send to the target, then delete from the source). A crash in
    between repeats a message, which every consumer here tolerates (they are idempotent)."""
    moved = 0
    while moved < limit:
        messages = (
            _client()
            .receive_message(
                QueueUrl=source_url,
                MaxNumberOfMessages=min(10, limit - moved),
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
            )
            .get("Messages", [])
        )
        if not messages:
            break
        entries = [
            {
                "Id": str(i),
                "MessageBody": m["Body"],
                **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {}),
            }
            for i, m in enumerate(messages)
        ]
        sent = _client().send_message_batch(QueueUrl=target_url, Entries=entries)
        ok = {s["Id"] for s in sent.get("Successful", [])}
        done = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if str(i) in ok
        ]
        if done:
            _client().delete_message_batch(QueueUrl=source_url, Entries=done)
        moved += len(done)
        if len(done) < len(messages):
            break  # the rest reappear in the source after the visibility timeout
    return moved


def receive(queue_url: str, limit: int = 10, visibility_seconds: int = 120) -> list[tuple[str, str]]:
    """Take up to 10 messages for `visibility_seconds`: (receipt handle, body) each."""
    try:
        response = _client().receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=max(1, min(limit, 10)),
            VisibilityTimeout=visibility_seconds,
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("SQS receive failed: %s", exc)
        raise TransientStoreError(f"could not take work ({type(exc).__name__}); retry") from exc
    return [(m["ReceiptHandle"], m["Body"]) for m in response.get("Messages", [])]


def delete(queue_url: str, receipt_handles: Sequence[str]) -> None:
    """Delete handled messages (10 per request); one not deleted comes back, which is harmless."""
    for start in range(0, len(receipt_handles), _PER_REQUEST):
        chunk = receipt_handles[start : start + _PER_REQUEST]
        try:
            _client().delete_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning("SQS delete failed (the messages will come again): %s", exc)
