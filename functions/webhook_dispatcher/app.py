"""Webhook deliveries, from two queues; the queue a record came from (its eventSourceARN) says what
it is, never its body:

- WebhookQueue (fed by the outbox publisher): a domain event, fanned out into one delivery per
  endpoint that wants it, each queued on its own (`webhooks.fan_out`);
- WebhookRetryQueue, the delivery queue: one delivery, attempted now or when its retry is due
  (`webhooks.deliver`).

Records of a batch are handled side by side (Powertools' AsyncBatchProcessor over a thread pool),
so a slow receiver holds up only its own record, and every attempt has its own wall-clock budget
(WEBHOOK_TIMEOUT_SECONDS, well inside the function's timeout). Partial batch responses: only a
failed record is retried, then dead-lettered by its queue's redrive policy."""

import asyncio
import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.config import settings  # noqa: E402
from oms.domain.events import DomainEvent  # noqa: E402
from oms.services import webhooks  # noqa: E402

logger = Logger(service="cirrus-webhooks")
_POOL = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhooks")  # the batch size


class DeliveryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: str
    delivery_id: str


def _queue_name(url_or_arn: str | None) -> str:
    return (url_or_arn or "").replace(":", "/").rsplit("/", 1)[-1]


def _handle(record: SqsRecordModel, endpoints: dict[str, list[dict[str, Any]]]) -> str:
    source, cfg = _queue_name(record.eventSourceARN), settings()
    body = str(record.body)
    if source == _queue_name(cfg.webhook_retry_queue_url):
        message = DeliveryMessage.model_validate_json(body)
        return webhooks.deliver(message.tenant_id, message.delivery_id)
    if source == _queue_name(cfg.webhook_queue_url):
        return f"queued {webhooks.fan_out(DomainEvent.model_validate_json(body), endpoints)}"
    raise ValueError(f"a record from a queue this function does not read: {source}")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The processor and the endpoint cache belong to this invocation: a module-level processor
    # keeps its records between calls, and two invocations running at once in one process (the
    # local cloud runs a few per function) would mix them.
    processor = AsyncBatchProcessor(
        event_type=EventType.SQS,
        model=SqsRecordModel,
        raise_on_entire_batch_failure=False,
        logger=logging.getLogger("cirrus.batch"),  # a failed record, with its traceback
    )
    endpoints: dict[str, list[dict[str, Any]]] = {}  # per tenant, for this batch

    async def record_handler(record: SqsRecordModel) -> str:
        # the invocation's context goes along to the worker thread
        run = contextvars.copy_context().run
        return await asyncio.get_running_loop().run_in_executor(_POOL, run, _handle, record, endpoints)

    return dict(
        async_process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
