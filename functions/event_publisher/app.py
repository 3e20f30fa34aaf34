"""Orders table stream -> domain events on each consumer's queue (the outbox publisher).

The batch is parsed with Powertools' DynamoDB stream models (a record that is not a stream record
fails here, loudly). It is deliberately not handed to a BatchProcessor record by record: the
outbox publishes the events of many records together, 10 per SendMessageBatch (a tenth of the
requests, ADR 0010), and stops at the first record it could not publish, so the stream resumes
there and per-order order holds (ADR 0018)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from oms.runtime import init

init()

from oms.services import outbox  # noqa: E402

logger = Logger(service="cirrus-events")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    DynamoDBStreamModel.model_validate(event)  # the shape, typed; the images stay DynamoDB JSON
    failed = outbox.publish_changes(event["Records"])
    # Partial batch response: Lambda retries from the failed record, so per-order order holds.
    return {"batchItemFailures": [{"itemIdentifier": failed}] if failed else []}
