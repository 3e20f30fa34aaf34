"""The analytics answers (ADR 0029): the dashboard and the daily volume from day buckets (see
oms.domain.analytics for what the counters mean), and the inventory summary from stock levels.
Pure: the service reads the buckets and the stock, this module does the sums."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import Field, field_validator

from oms.domain.errors import ValidationFailed
from oms.domain.models import Strict
from oms.domain.network import InventoryItem, Node

MAX_RANGE_DAYS = 366
DEFAULT_DAYS = 30
TOP_NODES = 10
ALERTS_LISTED = 50
DEFAULT_CURRENCY = "USD"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CurrencyCode = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217; default: the most used")


class DashboardQuery(Strict):
    from_date: str | None = Field(default=None, description="first UTC day, YYYY-MM-DD")
    to_date: str | None = Field(default=None, description="last UTC day, YYYY-MM-DD (default today)")
    currency: str | None = CurrencyCode

    @field_validator("from_date", "to_date")
    @classmethod
    def _a_day(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            if not _DATE.match(value):
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError as exc:
            raise ValueError("must be a date as YYYY-MM-DD") from exc


class VolumeQuery(Strict):
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_RANGE_DAYS, description="today and the days before")
    currency: str | None = CurrencyCode


def resolve_range(from_date: str | None, to_date: str | None, today: date) -> tuple[date, date]:
    """The UTC days asked for: to_date (default today) back to from_date (default 30 days incl.
    to_date); at most MAX_RANGE_DAYS days, first not after last (422 `invalid_date_range`)."""
    last = date.fromisoformat(to_date) if to_date else today
    first = date.fromisoformat(from_date) if from_date else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed(
            f"from_date {first} is after to_date {last}",
            code="invalid_date_range",
            details=[{"loc": ["query", "from_date"], "msg": "after to_date", "type": "invalid_date_range"}],
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise ValidationFailed(
            f"the range spans {(last - first).days + 1} days; at most {MAX_RANGE_DAYS}",
            code="invalid_date_range",
            details=[{"loc": ["query", "from_date"], "msg": "range too long", "type": "invalid_date_range"}],
        )
    return first, last


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]


def money(amount_cents: int | Decimal) -> str:
    """Cents as a money string ("1234.50"), rounded half-up."""
    return str((Decimal(amount_cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def _sum(buckets: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for bucket in buckets:
        total.update(bucket)
    return total


def currency_for(total: Mapping[str, int], asked: str | None) -> str:
    """The currency money is shown in: the one asked for, else the one with most orders."""
    if asked:
        return asked
    used = [(n, k[2:]) for k, n in total.items() if k.startswith("o.") and n > 0]
    return min(used, key=lambda u: (-u[0], u[1]))[1] if used else DEFAULT_CURRENCY


def _grouped(total: Mapping[str, int], prefix: str, currency: str) -> dict[str, dict[str, Any]]:
    """{name: {orders, revenue}} from `<prefix>.<name>` counts and `<prefix>.<name>.<currency>` cents."""
    found: dict[str, dict[str, Any]] = {}
    for key, n in sorted(total.items()):
        parts = key.split(".")
        if parts[0] == prefix and len(parts) == 2 and n:
            found[parts[1]] = {"orders": n, "revenue": money(total.get(f"{key}.{currency}", 0))}
    return found


def _top_nodes(total: Mapping[str, int], names: Mapping[str, str]) -> list[dict[str, Any]]:
    nodes = [(key[2:], n) for key, n in total.items() if key.startswith("n.") and n > 0]
    nodes.sort(key=lambda x: (-x[1], -total.get(f"u.{x[0]}", 0), x[0]))
    return [
        {"node_id": node, "node_name": names.get(node), "orders": n, "units": total.get(f"u.{node}", 0)}
        for node, n in nodes[:TOP_NODES]
    ]


def dashboard(
    first: date,
    last: date,
    buckets: Iterable[Mapping[str, int]],
    *,
    currency: str | None,
    node_names: Mapping[str, str],
    alerts: dict[str, Any],
) -> dict[str, Any]:
    total = _sum(buckets)
    shown = currency_for(total, currency)
    in_currency = total.get(f"o.{shown}", 0)
    revenue = total.get(f"r.{shown}", 0)
    average = money(Decimal(revenue) / in_currency) if in_currency else money(0)
    return {
        "from_date": first.isoformat(),
        "to_date": last.isoformat(),
        "currency": shown,
        "orders": total.get("o", 0),
        "revenue": money(revenue),
        "average_order_value": average,
        "revenue_by_currency": {
            key[2:]: {"orders": n, "revenue": money(total.get(f"r.{key[2:]}", 0))}
            for key, n in sorted(total.items())
            if key.startswith("o.") and n
        },
        "by_channel": _grouped(total, "c", shown),
        "by_fulfillment_type": _grouped(total, "f", shown),
        "by_status": {key[2:]: n for key, n in sorted(total.items()) if key.startswith("s.") and n},
        "top_nodes": _top_nodes(total, node_names),
        "sourced": total.get("src", 0),
        "split_orders": total.get("spl", 0),
        "split_rate": rate(total.get("spl", 0), total.get("src", 0)),
        "backordered": total.get("bo", 0),
        "backorder_rate": rate(total.get("bo", 0), total.get("o", 0)),
        "delivered": total.get("dl", 0),
        "delivered_on_time": total.get("ot", 0),
        "on_time_delivery_rate": rate(total.get("ot", 0), total.get("dl", 0)),
        "cancelled": total.get("cx", 0),
        "inventory_alerts": alerts,
    }


def volume(
    days: Sequence[str], buckets: Mapping[str, Mapping[str, int]], currency: str | None
) -> dict[str, Any]:
    """One entry per day, oldest first, zeros included; revenue in one currency."""
    shown = currency_for(_sum(buckets.values()), currency)
    series = []
    for day in days:
        bucket = buckets.get(day, {})
        series.append(
            {"date": day, "orders": bucket.get("o", 0), "revenue": money(bucket.get(f"r.{shown}", 0))}
        )
    return {"days": len(days), "currency": shown, "series": series}


# ---------------------------------------------------------------------------- stock
def _stocked(
    nodes: Iterable[Node], items: Iterable[InventoryItem]
) -> tuple[dict[str, Node], list[InventoryItem]]:
    """The network's nodes (deleted ones left out) and the stock items at them."""
    live = {n.id: n for n in nodes if not n.deleted_at}
    return live, [i for i in items if i.node_id in live]


def _alerts(items: Iterable[InventoryItem]) -> tuple[int, int, list[dict[str, Any]]]:
    """Low stock (available <= reorder level, out of stock included) and out of stock
    (available <= 0): the counts, and the items most short of their reorder level first."""
    low = [i for i in items if i.available <= i.reorder_level]
    out = sum(1 for i in low if i.available <= 0)
    low.sort(key=lambda i: (i.available - i.reorder_level, i.available, i.sku, i.node_id))
    listed = [
        {"sku": i.sku, "node_id": i.node_id, "available": i.available, "reorder_level": i.reorder_level}
        for i in low[:ALERTS_LISTED]
    ]
    return len(low), out, listed


def stock_alerts(nodes: Iterable[Node], items: Iterable[InventoryItem]) -> dict[str, Any]:
    _, stocked = _stocked(nodes, items)
    low, out, listed = _alerts(stocked)
    return {"low_stock": low, "out_of_stock": out, "items": listed}


def inventory_summary(nodes: Iterable[Node], items: Iterable[InventoryItem]) -> dict[str, Any]:
    live, stocked = _stocked(nodes, items)
    low, out, listed = _alerts(stocked)
    per_node: dict[str, list[InventoryItem]] = {node_id: [] for node_id in live}
    for item in stocked:
        per_node[item.node_id].append(item)
    by_node = [
        {
            "node_id": node_id,
            "node_name": live[node_id].name,
            "on_hand": sum(i.on_hand for i in held),
            "reserved": sum(i.reserved for i in held),
            "available": sum(i.available for i in held),
            "low_stock": sum(1 for i in held if i.available <= i.reorder_level),
        }
        for node_id, held in sorted(per_node.items(), key=lambda kv: (live[kv[0]].name, kv[0]))
    ]
    return {
        "nodes": len(live),
        "skus": len({i.sku for i in stocked}),
        "on_hand": sum(i.on_hand for i in stocked),
        "reserved": sum(i.reserved for i in stocked),
        "available": sum(i.available for i in stocked),
        "low_stock": low,
        "out_of_stock": out,
        "by_node": by_node,
        "alerts": listed,
    }
