"""Webhook deliveries: domain events (WebhookQueue, fed by the outbox publisher) and due retries
(WebhookRetryQueue), one SQS batch at a time with partial batch responses."""

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


class RetryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str
    delivery_id: str


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    endpoints: dict[str, list[dict[str, Any]]] = {}  # per tenant, for this batch
    for record in SqsBatch.model_validate(event).Records:
        try:
            if '"delivery_id"' in record.body:
                retry = RetryMessage.model_validate_json(record.body)
                webhooks.retry_due(retry.tenant_id, retry.delivery_id)
            else:
                webhooks.dispatch(DomainEvent.model_validate_json(record.body), endpoints)
        except Exception:
            # this message only: it is retried, then dead-lettered by the queue's redrive policy
            logger.exception("webhook message failed", extra={"message_id": record.messageId})
            failures.append({"itemIdentifier": record.messageId})
    return {"batchItemFailures": failures}
