"""Asking a maintenance job to run now instead of at its next scheduled tick."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("lambda", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def request_backorder_resource(tenant_id: str, skus: list[str]) -> bool:
    """Fire-and-forget (asynchronous invoke): stock arrived, so backorders of these SKUs may be
    sourced now. Best effort by design: if the request is lost, the scheduled run catches up."""
    name = settings().maintenance_function
    if not name:
        return False
    payload = {"job": "resource_backorders", "tenant_id": tenant_id, "skus": sorted(set(skus))}
    try:
        _client().invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload).encode())
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not trigger the backorder job (the schedule will): %s", exc)
        return False
    return True
