"""What a CUSTOMER (a shopper of the tenant) sends and sees (issue 12; pure).

A customer's order is placed for their own account: the server fills the customer's email, name
and account id, the channel (WEB) and every price (the catalog's). What they see of an order is
the customer view: no allocations, nodes, costs, sourcing, actors, internal notes or tags.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from oms.domain.models import (
    MAX_LINES_PER_ORDER,
    AddressIn,
    Channel,
    FulfillmentType,
    Order,
    OrderCreate,
    Sku,
    Strict,
)

# a pickup needs a store the customer would have to name by its node id, which they never see
CUSTOMER_FULFILMENT = (FulfillmentType.SHIP_TO_HOME, FulfillmentType.SAME_DAY_DELIVERY)


class CustomerLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1000)


class CustomerOrderCreate(Strict):
    """A customer's order: what to send where. Prices, the customer and the channel are the
    server's (sending them is a 422: unknown fields are refused)."""

    fulfillment_type: FulfillmentType = FulfillmentType.SHIP_TO_HOME
    line_items: list[CustomerLineIn] = Field(min_length=1, max_length=MAX_LINES_PER_ORDER)
    shipping_address: AddressIn
    customer_phone: str | None = Field(default=None, max_length=40)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")


def order_request(request: CustomerOrderCreate, *, email: str, name: str) -> OrderCreate:
    """The order a customer's request places, for their account."""
    if request.fulfillment_type not in CUSTOMER_FULFILMENT:
        from oms.domain.errors import ValidationFailed

        raise ValidationFailed(
            "customers order for delivery (SHIP_TO_HOME or SAME_DAY_DELIVERY)",
            details=[{"loc": ["body", "fulfillment_type"], "msg": "not offered", "type": "value_error"}],
        )
    return OrderCreate.model_validate(
        {
            "channel": Channel.WEB,
            "fulfillment_type": request.fulfillment_type,
            "customer_email": email,
            "customer_name": name,
            "customer_phone": request.customer_phone,
            "currency": request.currency,
            "line_items": [{"sku": line.sku, "quantity": line.quantity} for line in request.line_items],
            "shipping_address": request.shipping_address,
        }
    )


def _status(order: Order) -> dict[str, Any]:
    return {"status": order.status.value, "status_code": order.code, "phase": order.status.value}


def customer_view(order: Order) -> dict[str, Any]:
    """An order as its customer sees it."""
    return {
        "id": order.id,
        "order_number": order.order_number,
        **_status(order),
        "channel": order.channel.value,
        "fulfillment_type": order.fulfillment_type.value,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "customer_phone": order.customer_phone,
        "currency": order.currency,
        "line_items": [
            {
                "sku": line.sku,
                "product_name": line.product_name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
            }
            for line in order.line_items
        ],
        "shipping_address": order.shipping_address.model_dump(mode="json")
        if order.shipping_address
        else None,
        "subtotal": str(order.subtotal),
        "shipping_amount": str(order.shipping_amount),
        "tax_amount": str(order.tax_amount),
        "discount_amount": str(order.discount_amount),
        "total_amount": str(order.total_amount),
        "refunded_amount": str(order.refunded_amount or "0.00"),
        "returned_quantities": dict(order.returned_quantities or {}),
        "shipments": shipments(order),
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def customer_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_number": order.order_number,
        **_status(order),
        "total_amount": str(order.total_amount),
        "currency": order.currency,
        "item_count": sum(line.quantity for line in order.line_items),
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def shipments(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "shipped_at": s.shipped_at,
            "delivered_at": s.delivered_at,
        }
        for s in order.shipments
    ]


def timeline(order: Order) -> dict[str, Any]:
    """The customer-safe timeline: status changes (code, phase, time) and shipments (carrier,
    tracking); no actors, reasons or nodes."""
    statuses = []
    for change in order.status_history:
        statuses.append(
            {"status_code": change.code or change.status.value, "phase": change.status.value, "at": change.at}
        )
    return {
        "order_id": order.id,
        "order_number": order.order_number,
        **_status(order),
        "statuses": statuses,
        "shipments": shipments(order),
    }
