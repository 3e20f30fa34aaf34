"""Channel stock sync and channel refunds, the pure part (ADR 0040): Shopify location ids, which
stock changes a connector must push, batching quantities into `inventorySetQuantities` calls,
Shopify's cost-based rate budget, reconciliation differences, and the `refundCreate` input.

Coalescing itself needs a store (a conditional marker per connector, location and SKU); the
decisions around it are here: the marker's key and lifetime, and what a change means."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from oms.domain.connectors import refill
from oms.domain.stock_changes import StockChange

LOCATION_GID = re.compile(r"^gid://shopify/Location/([1-9][0-9]{0,19})$")
_LOCATION_NUMBER = re.compile(r"^[1-9][0-9]{0,19}$")
MAX_QUANTITIES_PER_CALL = 250  # inventorySetQuantities' limit on `quantities`
MARKER_TTL_SECONDS = 15 * 60  # a marker whose push never came is overwritten after this
UNKNOWN_SKU_TTL_SECONDS = 24 * 60 * 60  # a SKU Shopify lacked is looked up again a day later
PUSH_DELAY_SECONDS = 5  # the coalescing window: a burst within it makes one push
# Shopify's GraphQL Admin bucket (standard plan: 1,000 points, 50 restored a second); the
# figures Shopify reports in `extensions.cost.throttleStatus` replace these once seen
DEFAULT_BUCKET_SIZE = 1000
DEFAULT_RESTORE_RATE = 50.0
SET_QUANTITIES_COST = 10  # a mutation's requested cost
QUERY_COST = 5
MAX_WAIT_SECONDS = 3.0  # a run waits this long at most for its budget; longer: retried later


def location_gid(value: Any) -> str:
    """A Shopify location as its GraphQL id: a number (or numeric string) or a Location gid."""
    if isinstance(value, bool):
        raise ValueError("a location id is a number or gid://shopify/Location/<n>")
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    if _LOCATION_NUMBER.fullmatch(text):
        return f"gid://shopify/Location/{text}"
    if LOCATION_GID.fullmatch(text):
        return text
    raise ValueError("a location id is a number or gid://shopify/Location/<n>")


def normalise_location_map(raw: Any) -> dict[str, str]:
    """node id -> location gid; a node appears once, ids are short strings."""
    if not isinstance(raw, Mapping):
        raise ValueError("location_map is an object of node id -> Shopify location id")
    if len(raw) > 200:
        raise ValueError("location_map maps at most 200 nodes")
    out: dict[str, str] = {}
    for node, location in raw.items():
        node_id = str(node).strip()
        if not node_id or len(node_id) > 64:
            raise ValueError("a node id in location_map must be 1 to 64 characters")
        out[node_id] = location_gid(location)
    return out


def nodes_of_location(location_map: Mapping[str, str], location_id: str) -> list[str]:
    """Every node whose stock counts at `location_id` (several nodes may share one location)."""
    return sorted(node for node, location in location_map.items() if location == location_id)


@dataclass(frozen=True)
class SyncTarget:
    """One figure a connector shows: a SKU's available quantity at one Shopify location."""

    connector_id: str
    location_id: str
    sku: str

    @property
    def marker_key(self) -> str:
        return f"{self.location_id}#{self.sku}"


def targets_for(change: StockChange, connectors: Iterable[Mapping[str, Any]]) -> list[SyncTarget]:
    """The figures a stock change makes stale: none unless the available quantity changed, then
    one per syncing connector that maps the change's node."""
    if not change.available_changed:
        return []
    found = []
    for connector in connectors:
        config = connector.get("config") or {}
        if not syncing(connector):
            continue
        location = (config.get("location_map") or {}).get(change.node_id)
        if location:
            found.append(SyncTarget(str(connector["id"]), str(location), change.sku))
    return sorted(set(found), key=lambda t: (t.connector_id, t.location_id, t.sku))


def syncing(connector: Mapping[str, Any]) -> bool:
    """An ACTIVE Shopify connector that sends shipments out and has stock sync switched on."""
    config = connector.get("config") or {}
    return bool(
        connector.get("type") == "SHOPIFY"
        and connector.get("status") == "ACTIVE"
        and (connector.get("direction") or "BIDIRECTIONAL") != "INBOUND"
        and config.get("sync_inventory")
        and config.get("location_map")
    )


def quantity_batches(
    quantities: Sequence[Mapping[str, Any]], size: int = MAX_QUANTITIES_PER_CALL
) -> list[list[dict[str, Any]]]:
    """Quantities in calls of at most `size`; a (item, location) given twice keeps its last value."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for q in quantities:
        latest.pop((q["inventoryItemId"], q["locationId"]), None)  # keep the last one's position
        latest[(q["inventoryItemId"], q["locationId"])] = {
            "inventoryItemId": q["inventoryItemId"],
            "locationId": q["locationId"],
            "quantity": max(0, int(q["quantity"])),
        }
    values = list(latest.values())
    return [values[i : i + size] for i in range(0, len(values), size)]


def set_quantities_input(quantities: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The `InventorySetQuantitiesInput` of one call: absolute available quantities."""
    return {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [dict(q) for q in quantities],
    }


# ------------------------------------------------------------------ rate budget
@dataclass(frozen=True)
class Bucket:
    """A connector's GraphQL cost budget as last known: points left at `at` (epoch seconds)."""

    tokens: float
    at: float
    size: int = DEFAULT_BUCKET_SIZE
    rate: float = DEFAULT_RESTORE_RATE

    def now(self, now: float) -> float:
        return refill(self.tokens, self.at, now, self.rate, self.size)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds until `cost` points are there (0: now)."""
        have = self.now(now)
        return 0.0 if have >= cost else (cost - have) / max(self.rate, 0.001)

    def spend(self, cost: float, now: float) -> Bucket:
        return Bucket(self.now(now) - cost, now, self.size, self.rate)

    def observed(self, status: Mapping[str, Any] | None, now: float) -> Bucket:
        """Shopify's own figures (`throttleStatus`) after a call replace our estimate."""
        if not status:
            return self
        try:
            return Bucket(
                float(status["currentlyAvailable"]),
                now,
                int(status.get("maximumAvailable") or self.size),
                float(status.get("restoreRate") or self.rate),
            )
        except (KeyError, TypeError, ValueError):
            return self


# ------------------------------------------------------------------ reconciliation
def differences(
    cirrus: Mapping[tuple[str, str], int], shopify: Mapping[tuple[str, str], int | None]
) -> list[dict[str, Any]]:
    """(location, sku) whose Shopify available differs from Cirrus's (None: not stocked there)."""
    out = []
    for (location, sku), quantity in sorted(cirrus.items()):
        before = shopify.get((location, sku))
        if before != max(0, quantity):
            out.append(
                {"sku": sku, "location": location, "shopify_before": before, "cirrus": max(0, quantity)}
            )
    return out


# ------------------------------------------------------------------ refunds
class RefundProblem(Exception):
    """The channel's order cannot take this refund as it is (said in the connector's log)."""


SKU_SAFE = re.compile(r"[^A-Za-z0-9._\-]")


def channel_sku(raw: Any) -> str:
    """A Shopify line's SKU as an import made it (domain.connectors._sku)."""
    return SKU_SAFE.sub("-", str(raw or "").strip())[:64].strip("-")


def refund_marker(refund_id: str) -> str:
    """What a refund's note carries so a retry can find it (bracketed: "rf-1" is not "rf-10")."""
    return f"[cirrus-refund:{refund_id}]"


def _amount(value: Any, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise RefundProblem(f"{what} is not an amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise RefundProblem(f"{what} must be a non-negative amount")
    return amount.quantize(Decimal("0.01"))


def refund_input(
    order_gid: str,
    data: Mapping[str, Any],
    line_items: Sequence[Mapping[str, Any]],
    transactions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The `RefundInput` for an `order.refunded` event's data: its lines matched to the order's
    line items by SKU (a SKU on several lines fills them in order), no restock (Cirrus received
    the units), shipping when any, and the amount refunded against the successful sale or capture
    transactions (parent ids), in order, each up to what it took."""
    refund_lines: list[dict[str, Any]] = []
    left = {
        str(li.get("id")): int(li.get("refundableQuantity", li.get("quantity")) or 0) for li in line_items
    }
    for line in data.get("lines") or []:
        sku, wanted = str(line.get("sku") or ""), int(line.get("quantity") or 0)
        for li in line_items:
            if wanted <= 0:
                break
            lid = str(li.get("id"))
            if channel_sku(li.get("sku")) != sku or left[lid] <= 0:
                continue
            take = min(wanted, left[lid])
            refund_lines.append({"lineItemId": lid, "quantity": take, "restockType": "NO_RESTOCK"})
            left[lid] -= take
            wanted -= take
        if wanted > 0:
            raise RefundProblem(f"the Shopify order has no refundable line for {wanted} x {sku}")
    total = _amount(data.get("amount"), "amount")
    shipping = _amount(data.get("shipping") or "0", "shipping")
    paid = [
        t
        for t in transactions
        if str(t.get("kind")) in ("SALE", "CAPTURE") and str(t.get("status")) == "SUCCESS"
    ]
    payments: list[dict[str, Any]] = []
    remaining = total
    for t in paid:
        if remaining <= 0:
            break
        took = _amount(
            ((t.get("amountSet") or {}).get("shopMoney") or {}).get("amount") or "0", "transaction"
        )
        part = min(remaining, took)
        if part <= 0:
            continue
        payments.append(
            {
                "orderId": order_gid,
                "parentId": str(t["id"]),
                "gateway": str(t.get("gateway") or ""),
                "kind": "REFUND",
                "amount": str(part),
            }
        )
        remaining -= part
    if remaining > 0:
        raise RefundProblem(f"the order's payments cannot cover a refund of {total}")
    result: dict[str, Any] = {
        "orderId": order_gid,
        "note": f"{data.get('reason') or 'refund'} {refund_marker(str(data.get('refund_id') or ''))}",
        "notify": True,
        "refundLineItems": refund_lines,
        "transactions": payments,
    }
    if shipping > 0:
        result["shipping"] = {"amount": str(shipping)}
    return result
