"""Sending work to SQS queues."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.errors import TransientStoreError

MAX_DELAY_SECONDS = 900  # SQS DelaySeconds limit; longer waits are re-queued when received early


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
        raise TransientStoreError(f"could not queue work: {exc}") from exc
