"""Orders table stream -> the read models in the insights table (search index, analytics).

The stream's second consumer beside the outbox publisher (ADR 0028): it fails alone, and a batch
it could not apply is retried from its first record (each read model skips what it already did)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from oms.runtime import init

init()

from oms.services import projections  # noqa: E402

logger = Logger(service="cirrus-projections")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    DynamoDBStreamModel.model_validate(event)  # the shape, typed; the images stay DynamoDB JSON
    failed = projections.project(event["Records"])
    return {"batchItemFailures": [{"itemIdentifier": failed}] if failed else []}
