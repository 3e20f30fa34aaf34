"""Orders table stream -> domain events on the EventBridge bus (the outbox publisher)."""

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.services import outbox  # noqa: E402

logger = Logger(service="cirrus-events")


class StreamBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Records: list[dict[str, Any]]


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = StreamBatch.model_validate(event)
    failed = outbox.publish_changes(batch.Records)
    # Partial batch response: Lambda retries from the failed record, so per-order order holds.
    return {"batchItemFailures": [{"itemIdentifier": failed}] if failed else []}
