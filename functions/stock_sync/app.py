"""Channel stock sync (ADR 0040), three ways in:

- the inventory table's stream (a second consumer of it, beside the stock alerts): changes of
  available stock at mapped nodes are marked and queued (coalesced);
- StockSyncQueue: pushes (grouped per connector, so one run makes few calls) and
  reconciliations; partial batch responses, dead letters after 5 receives;
- the nightly schedule: a reconciliation queued per syncing connector."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel, SqsModel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from oms.runtime import init

init()

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
    """Each record parsed (a message that is not ours is dropped), the batch to the service."""
    SqsModel.model_validate(event)
    messages = []
    for record in event["Records"]:
        try:
            message = _MESSAGE.validate_json(record["body"])
        except ValidationError:
            logger.warning("dropped a message that is not a stock sync message")
            continue
        messages.append((str(record["messageId"]), message.model_dump()))
    failed = stock_sync.work(messages)
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
