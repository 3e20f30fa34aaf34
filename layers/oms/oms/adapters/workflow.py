"""Starting fulfilment executions (Step Functions, Express)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.errors import TransientStoreError

log = logging.getLogger("oms.adapters")


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("stepfunctions", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def _execution_name(order_id: str, label: str) -> str:
    """Always name executions: a name makes a retried start recognisable (and moto needs one).
    The label is hashed so distinct events never collide after the 80-character cut."""
    digest = hashlib.sha256(label.encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_-]", "-", label)[:20]
    return f"{order_id}-{readable}-{digest}"[:80]


def start(tenant_id: str, order_id: str, event: dict[str, Any], label: str) -> str:
    arn = settings().state_machine_arn
    if not arn:
        raise RuntimeError("FULFILMENT_STATE_MACHINE_ARN is not configured")
    payload = {"tenant_id": tenant_id, "order_id": order_id, "event": event, "attempt": 0}
    try:
        response = _client().start_execution(
            stateMachineArn=arn, name=_execution_name(order_id, label), input=json.dumps(payload)
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("StartExecution failed: %s", exc)  # names the state machine ARN: log only
        raise TransientStoreError(f"could not start fulfilment ({type(exc).__name__}); retry") from exc
    return str(response["executionArn"])
