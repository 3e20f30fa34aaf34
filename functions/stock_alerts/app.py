"""Low-stock and out-of-stock alerts (ADR 0039), from two sources:

- the inventory table's stream (a consumer of its own: it fails alone, and a batch it could not
  apply is retried from the record that failed; a record already applied changes nothing);
- the hourly scan (EventBridge, `{"job": "scan_stock_alerts"}`), which looks at every stock item as
  the stream would, a bounded number per run (`oms.services.stock_alerts.scan`)."""

from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.services import stock_alerts, tasklog  # noqa: E402

logger = Logger(service="cirrus-stock-alerts")
_MARGIN_MS = 15_000  # a scan stops this long before the function's timeout


class ScanJob(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: Literal["scan_stock_alerts"]


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and "Records" in event:
        DynamoDBStreamModel.model_validate(event)  # the shape, typed; the images stay DynamoDB JSON
        failed = stock_alerts.consume(event["Records"])
        return {"batchItemFailures": [{"itemIdentifier": failed}] if failed else []}
    job = ScanJob.model_validate(event or {})
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    with tasklog.task(f"job.{job.job}", None) as run:
        result = stock_alerts.scan(out_of_time=lambda: bool(remaining and remaining() < _MARGIN_MS))
        run.details = result
    logger.info("stock alert scan done", extra={"result": result})
    return result
