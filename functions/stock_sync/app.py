"""Channel stock sync (ADR 0040), three ways in:

- the inventory table's stream (a second consumer of it, beside the stock alerts): changes of
  available stock at mapped nodes are marked and queued (coalesced);
- StockSyncQueue: pushes (grouped per connector, so one run makes few calls) and
  reconciliations; partial batch responses, dead letters after 5 receives;
- the nightly schedule: a reconciliation queued per syncing connector."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel, SqsModel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from oms.runtime import init

init()

from oms.domain.stock_sync import SyncTarget  # noqa: E402
from oms.services import stock_sync, tasklog  # noqa: E402

logger = Logger(service="cirrus-stock-sync")

_ID = Field(min_length=1, max_length=64)


class PushMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["push"]
    tenant_id: Annotated[str, _ID]
    connector_id: Annotated[str, _ID]
    location_id: str = Field(pattern=r"^gid://shopify/Location/[0-9]{1,20}$")
    sku: str = Field(min_length=1, max_length=64)


class ReconcileMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["reconcile"]
    tenant_id: Annotated[str, _ID]
    connector_id: Annotated[str, _ID]


class ScheduledJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["reconcile_stock"]


_MESSAGE: TypeAdapter[PushMessage | ReconcileMessage] = TypeAdapter(
    Annotated[PushMessage | ReconcileMessage, Field(discriminator="kind")]
)


def _queue(event: dict[str, Any]) -> dict[str, Any]:
    """Pushes of one connector together (one set of calls); a group that fails is retried whole
    (its markers are gone, its figures read again); a message that is not ours is dropped."""
    SqsModel.model_validate(event)
    groups: dict[tuple[str, str], list[tuple[str, PushMessage]]] = defaultdict(list)
    failed: list[str] = []
    for record in event["Records"]:
        try:
            message = _MESSAGE.validate_json(record["body"])
        except ValidationError:
            logger.warning("dropped a message that is not a stock sync message")
            continue
        if isinstance(message, ReconcileMessage):
            try:
                stock_sync.reconcile(message.tenant_id, message.connector_id)
            except Exception:
                logger.exception("reconciliation failed; retried by the queue")
                failed.append(record["messageId"])
            continue
        groups[(message.tenant_id, message.connector_id)].append((record["messageId"], message))
    for (tenant_id, connector_id), items in groups.items():
        targets = [SyncTarget(connector_id, m.location_id, m.sku) for _, m in items]
        try:
            stock_sync.push(tenant_id, connector_id, targets)
        except Exception:
            logger.exception("stock push failed; retried by the queue")
            failed.extend(message_id for message_id, _ in items)
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = (event or {}).get("Records")
    if records and records[0].get("eventSource") == "aws:dynamodb":
        DynamoDBStreamModel.model_validate(event)  # the shape, typed; the images stay DynamoDB JSON
        failed = stock_sync.on_stream(records)
        return {"batchItemFailures": [{"itemIdentifier": failed}] if failed else []}
    if records:
        return _queue(event)
    ScheduledJob.model_validate(event or {})
    with tasklog.task("job.reconcile_stock", None) as run:
        result = stock_sync.reconcile_all()
        run.details = result
    return result
