"""New and resolved SLA exceptions from ExceptionsQueue (ADR 0033): `{"tenant_id", "exception_id",
"event"}`. On `created` the exception is analysed (Claude when sampled, else the rules' analysis
stands) and its `exception.created` event sent; on `resolved` `exception.resolved` is sent
(`oms.services.analyst.handle`). Partial batch responses: only a failed message is retried, and
after maxReceiveCount it goes to the dead-letter queue."""

from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field

from oms.adapters.sqs_batch import partial_batch
from oms.runtime import init

init()

from oms.services import analyst  # noqa: E402

logger = Logger(service="cirrus-exceptions")


class ExceptionMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tenant_id: str = Field(min_length=1, max_length=64)
    exception_id: str = Field(min_length=1, max_length=64)
    event: Literal["created", "resolved"]


def _record_handler(record: SqsRecordModel) -> str:
    message = ExceptionMessage.model_validate_json(str(record.body))
    return analyst.handle(message.model_dump())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch(event, context, _record_handler)
