"""What an order looks like to the learning loop: its features and its cluster key.

Cluster key `channel|region|amount_bucket|fulfillment_type` (the KubeRiva seed's). The region is
coarse on purpose, so clusters gather samples quickly: a US order's census region (NE, MW, S, W)
from its state, any other order's country.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oms.domain.models import Order

AMOUNT_BUCKETS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("50"), "0-50"),
    (Decimal("100"), "50-100"),
    (Decimal("250"), "100-250"),
    (Decimal("500"), "250-500"),
)
TOP_BUCKET = "500+"

US_REGIONS: dict[str, frozenset[str]] = {
    "NE": frozenset({"CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"}),
    "MW": frozenset({"IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"}),
    "S": frozenset(
        {"DE", "FL", "GA", "MD", "NC", "SC", "VA", "DC", "WV", "AL", "KY", "MS", "TN", "AR", "LA", "OK", "TX"}
    ),
    "W": frozenset({"AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"}),
}
_REGION_OF_STATE = {state: region for region, states in US_REGIONS.items() for state in states}


def amount_bucket(total: Decimal) -> str:
    """0-50, 50-100, 100-250, 250-500, 500+ (a bound belongs to the bucket above it)."""
    for bound, label in AMOUNT_BUCKETS:
        if total < bound:
            return label
    return TOP_BUCKET


def region(country: str | None, state: str | None) -> str:
    """US-NE / US-MW / US-S / US-W for a US state, else the country code (US-?? if unknown)."""
    country = (country or "").upper() or "??"
    if country != "US":
        return country
    found = _REGION_OF_STATE.get((state or "").strip().upper())
    return f"US-{found}" if found else "US-??"


def order_region(order: Order) -> str:
    address = order.shipping_address
    return region(address.country if address else None, address.state if address else None)


def cluster_key(channel: str, region_code: str, bucket: str, fulfillment_type: str) -> str:
    return f"{channel}|{region_code}|{bucket}|{fulfillment_type}"


def order_cluster(order: Order) -> str:
    return cluster_key(
        order.channel.value,
        order_region(order),
        amount_bucket(order.total_amount),
        order.fulfillment_type.value,
    )


def features(order: Order) -> dict[str, Any]:
    """The order's features as an outcome record keeps them."""
    return {
        "channel": order.channel.value,
        "region": order_region(order),
        "amount_bucket": amount_bucket(order.total_amount),
        "fulfillment_type": order.fulfillment_type.value,
        "total_amount": str(order.total_amount),
        "currency": order.currency,
        "lines": len(order.line_items),
        "units": sum(line.quantity for line in order.line_items),
    }


def similarity(a: str, b: str) -> int:
    """How many of the four cluster parts two keys share (4: the same cluster)."""
    return sum(x == y for x, y in zip(a.split("|"), b.split("|"), strict=False))
