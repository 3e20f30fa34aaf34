"""Read-only probes of the stack's own resources, for the deep health check.

Each probe is one cheap control-plane read (DescribeTable, GetQueueAttributes, DescribeStateMachine,
DescribeRule) and never raises: it answers whether the resource is usable and a short detail that
names no resource (no table name, URL or ARN), because the detail goes into an HTTP response.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.adapters import queues
from oms.config import settings

_MISSING = frozenset(
    {"ResourceNotFoundException", "StateMachineDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}
)
_SERVING_TABLE = frozenset({"ACTIVE", "UPDATING"})  # UPDATING (an index being built) still serves


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str


class Probes:
    """The probes of one check run: one boto3 session (sessions are not shared across threads)."""

    def __init__(self) -> None:
        self._session = boto3.session.Session(region_name=settings().region)

    @cached_property
    def _dynamodb(self) -> Any:
        return self._session.client("dynamodb")

    @cached_property
    def _stepfunctions(self) -> Any:
        return self._session.client("stepfunctions")

    @cached_property
    def _events(self) -> Any:
        return self._session.client("events")

    def table(self, name: str) -> Probe:
        try:
            status = self._dynamodb.describe_table(TableName=name)["Table"]["TableStatus"]
        except (ClientError, BotoCoreError) as exc:
            return _failed(exc)
        return Probe(status in _SERVING_TABLE, str(status))

    def dead_letters(self, queue_url: str) -> Probe:
        """A dead-letter queue is healthy when empty: anything in it is work that failed for good."""
        try:
            depth = queues.depth(queue_url)
        except (ClientError, BotoCoreError) as exc:
            return _failed(exc)
        waiting = depth["visible"] + depth["in_flight"]
        return Probe(waiting == 0, "empty" if waiting == 0 else f"{waiting} message(s) waiting")

    def state_machine(self, arn: str) -> Probe:
        try:
            status = self._stepfunctions.describe_state_machine(stateMachineArn=arn)["status"]
        except (ClientError, BotoCoreError) as exc:
            return _failed(exc)
        return Probe(status == "ACTIVE", str(status))

    def schedule(self, rule_name: str) -> Probe:
        try:
            state = self._events.describe_rule(Name=rule_name)["State"]
        except (ClientError, BotoCoreError) as exc:
            return _failed(exc)
        return Probe(state == "ENABLED", str(state))


def _failed(exc: Exception) -> Probe:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
        return Probe(False, "missing" if code in _MISSING else f"unreachable ({code})")
    return Probe(False, f"unreachable ({type(exc).__name__})")
