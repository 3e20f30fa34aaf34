"""Connector work from ConnectorQueue: Shopify webhooks to apply, and domain events (an order an
integration imported has shipped or was refunded: tell the channel). Each record is parsed into one of the two
message models (Powertools parser models, BatchProcessor); partial batch responses: only a failed
message is retried, and after maxReceiveCount it goes to the dead-letter queue."""

from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from oms.adapters.sqs_batch import partial_batch
from oms.runtime import init

init()

from oms.domain.events import CHANNEL_PUSH_EVENTS, DomainEvent  # noqa: E402
from oms.services import channel_refunds, shipments, shopify_inbound  # noqa: E402

logger = Logger(service="cirrus-connectors")


class ShopifyMessage(BaseModel):
    """A verified Shopify webhook, queued by the Function URL (shopify_inbound.receive_shopify)."""

    model_config = ConfigDict(extra="ignore")
    kind: Literal["shopify"]
    tenant_id: str
    connector_id: str
    topic: str
    event_id: str
    body: str


_MESSAGE: TypeAdapter[ShopifyMessage | DomainEvent] = TypeAdapter(
    Annotated[ShopifyMessage | DomainEvent, Field(union_mode="left_to_right")]
)


def _record_handler(record: SqsRecordModel) -> str:
    message = _MESSAGE.validate_json(str(record.body))
    if isinstance(message, ShopifyMessage):
        return shopify_inbound.process_shopify(
            message.tenant_id, message.connector_id, message.topic, message.event_id, message.body
        )
    attempt = int(record.attributes.ApproximateReceiveCount)
    if message.type == channel_refunds.REFUND_EVENT:  # refunded: told to the channel (ADR 0040)
        return channel_refunds.push_refund(message, attempt)
    if message.type in CHANNEL_PUSH_EVENTS:
        return shipments.push_shipment(message, attempt)
    return "ignored"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch(event, context, _record_handler)
