"""Webhook deliveries: domain events from the bus (via WebhookQueue) and due retries (via
WebhookRetryQueue), one SQS batch at a time with partial batch responses."""

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.domain.events import DomainEvent  # noqa: E402
from oms.services import webhooks  # noqa: E402

logger = Logger(service="cirrus-webhooks")


class SqsRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    messageId: str
    body: str


class SqsBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Records: list[SqsRecord]


class EventEnvelope(BaseModel):
    """An EventBridge event as its SQS target receives it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    detail: DomainEvent


class RetryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str
    delivery_id: str


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for record in SqsBatch.model_validate(event).Records:
        try:
            if '"detail"' in record.body:
                webhooks.dispatch(EventEnvelope.model_validate_json(record.body).detail)
            else:
                retry = RetryMessage.model_validate_json(record.body)
                webhooks.retry_due(retry.tenant_id, retry.delivery_id)
        except Exception:
            # this message only: it is retried, then dead-lettered by the queue's redrive policy
            logger.exception("webhook message failed", extra={"message_id": record.messageId})
            failures.append({"itemIdentifier": record.messageId})
    return {"batchItemFailures": failures}
