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


class JobFailed(Exception):
    """The job function ran and raised, or could not be reached."""


def run_learning_job(job: str, tenant_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a learning job now, for one tenant, and wait for its figures (synchronous invoke).
    `params`: the job's own parameters (the invoice jobs' lookback_hours, days_back, dry_run)."""
    name = settings().learning_function
    if not name:
        raise JobFailed("the learning function is not configured here")
    payload = {**(params or {}), "job": job, "tenant_id": tenant_id}
    try:
        response = _client().invoke(
            FunctionName=name, InvocationType="RequestResponse", Payload=json.dumps(payload).encode()
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not run learning job %s: %s", job, exc)
        raise JobFailed(f"could not reach the job function ({type(exc).__name__})") from exc
    body = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        log.warning("learning job %s failed: %s", job, body)
        raise JobFailed(f"the job failed: {body.get('errorType', 'error')!s}")
    return dict(body)
