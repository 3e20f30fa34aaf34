"""Connector work from ConnectorQueue: Shopify webhooks to apply, and domain events (an order an
integration imported has shipped: tell the channel). Partial batch responses: only a failed
message is retried, and after maxReceiveCount it goes to the dead-letter queue."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.domain.events import DomainEvent  # noqa: E402
from oms.services import shipments, shopify_inbound  # noqa: E402

logger = Logger(service="cirrus-connectors")
PUSHED_EVENTS = frozenset({"order.shipped", "order.partially_shipped"})


class SqsRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")
    messageId: str
    body: str
    attributes: dict[str, Any] = {}


class ShopifyMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    tenant_id: str
    connector_id: str
    topic: str
    event_id: str
    body: str


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failures = []
    for raw in event.get("Records", []):
        record = SqsRecord.model_validate(raw)
        try:
            message = json.loads(record.body)
            if message.get("kind") == "shopify":
                m = ShopifyMessage.model_validate(message)
                shopify_inbound.process_shopify(m.tenant_id, m.connector_id, m.topic, m.event_id, m.body)
            elif message.get("type") in PUSHED_EVENTS:
                attempt = int(record.attributes.get("ApproximateReceiveCount", 1))
                shipments.push_shipment(DomainEvent.model_validate(message), attempt)
        except Exception:
            logger.exception("connector message failed", extra={"message_id": record.messageId})
            failures.append({"itemIdentifier": record.messageId})
    return {"batchItemFailures": failures}
