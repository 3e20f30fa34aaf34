"""The analytics answers from day buckets and stock levels (ADR 0029)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from oms.domain import analytics_figures as f
from oms.domain.errors import ValidationFailed
from oms.domain.network import InventoryItem
from tests.unit.factories import NOW, node

NO_ALERTS = {"low_stock": 0, "out_of_stock": 0, "items": []}


def test_dashboard_sums_days_and_shows_the_most_used_currency() -> None:
    days = [
        {"o": 2, "o.USD": 2, "r.USD": 3000, "c.WEB": 2, "c.WEB.USD": 3000, "s.DELIVERED": 2, "v": 9},
        {"o": 1, "o.EUR": 1, "r.EUR": 999, "c.POS": 1, "c.POS.EUR": 999, "s.PENDING": 1, "s.SOURCED": 0},
        {"src": 3, "spl": 1, "bo": 1, "dl": 2, "ot": 1, "cx": 0, "n.a": 2, "u.a": 5, "n.b": 3, "u.b": 3},
    ]
    out = f.dashboard(
        date(2026, 3, 1), date(2026, 3, 3), days, currency=None, node_names={"a": "DC A"}, alerts=NO_ALERTS
    )
    assert out["currency"] == "USD" and out["orders"] == 3 and out["revenue"] == "30.00"
    assert out["average_order_value"] == "15.00"  # revenue in USD over orders in USD
    assert out["revenue_by_currency"] == {
        "EUR": {"orders": 1, "revenue": "9.99"},
        "USD": {"orders": 2, "revenue": "30.00"},
    }
    assert out["by_channel"] == {
        "POS": {"orders": 1, "revenue": "0.00"},
        "WEB": {"orders": 2, "revenue": "30.00"},
    }
    assert out["by_status"] == {"DELIVERED": 2, "PENDING": 1}  # no zero statuses
    assert out["top_nodes"] == [
        {"node_id": "b", "node_name": None, "orders": 3, "units": 3},
        {"node_id": "a", "node_name": "DC A", "orders": 2, "units": 5},
    ]
    assert (out["split_rate"], out["backorder_rate"], out["on_time_delivery_rate"]) == (0.3333, 0.3333, 0.5)
    assert out["from_date"] == "2026-03-01" and out["to_date"] == "2026-03-03"
    in_euros = f.dashboard(
        date(2026, 3, 1), date(2026, 3, 3), days, currency="EUR", node_names={}, alerts=NO_ALERTS
    )
    assert in_euros["revenue"] == "9.99" and in_euros["by_channel"]["POS"]["revenue"] == "9.99"


def test_rates_without_a_denominator_are_null() -> None:
    out = f.dashboard(date(2026, 3, 1), date(2026, 3, 1), [], currency=None, node_names={}, alerts=NO_ALERTS)
    assert out["orders"] == 0 and out["revenue"] == "0.00" and out["average_order_value"] == "0.00"
    assert (
        out["split_rate"] is None and out["backorder_rate"] is None and out["on_time_delivery_rate"] is None
    )
    assert out["currency"] == "USD" and out["top_nodes"] == [] and out["by_status"] == {}


def test_average_order_value_rounds_half_up_to_cents() -> None:
    out = f.dashboard(
        date(2026, 3, 1), date(2026, 3, 1), [{"o": 3, "o.USD": 3, "r.USD": 1000}], currency=None,
        node_names={}, alerts=NO_ALERTS,
    )  # fmt: skip
    assert out["average_order_value"] == "3.33"
    assert f.money(5) == "0.05" and f.money(123450) == "1234.50"


def test_the_range_defaults_to_30_days_and_is_bounded() -> None:
    today = date(2026, 3, 10)
    assert f.resolve_range(None, None, today) == (date(2026, 2, 9), today)
    assert f.resolve_range("2026-01-01", "2026-01-01", today) == (date(2026, 1, 1), date(2026, 1, 1))
    assert f.resolve_range("2025-03-10", None, today) == (date(2025, 3, 10), today)  # 366 days
    for bad in (("2025-03-09", None), ("2026-03-05", "2026-03-01"), ("2026-03-11", None)):
        with pytest.raises(ValidationFailed) as caught:
            f.resolve_range(*bad, today)
        assert caught.value.code == "invalid_date_range"
    for wrong in ("2026-02-30", "26-03-01", "2026-03-01T00:00:00Z", "yesterday"):
        with pytest.raises(ValidationError):
            f.DashboardQuery(from_date=wrong)
    with pytest.raises(ValidationError):
        f.VolumeQuery(days=367)


def test_volume_is_one_entry_per_day_oldest_first_with_zeros() -> None:
    days = f.days_between(date(2026, 2, 27), date(2026, 3, 2))
    out = f.volume(days, {"2026-03-01": {"o": 4, "o.USD": 4, "r.USD": 1250}}, None)
    assert out["days"] == 4 and out["currency"] == "USD"
    assert out["series"] == [
        {"date": "2026-02-27", "orders": 0, "revenue": "0.00"},
        {"date": "2026-02-28", "orders": 0, "revenue": "0.00"},
        {"date": "2026-03-01", "orders": 4, "revenue": "12.50"},
        {"date": "2026-03-02", "orders": 0, "revenue": "0.00"},
    ]


def item(node_id: str, sku: str, on_hand: int, reserved: int, reorder: int) -> InventoryItem:
    return InventoryItem(
        id=f"{node_id}-{sku}", tenant_id="t1", node_id=node_id, sku=sku, on_hand=on_hand, reserved=reserved,
        available=on_hand - reserved, reorder_level=reorder, version=1, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def test_inventory_summary_counts_low_and_out_of_stock_per_node() -> None:
    nodes = [
        node("A", 40, -73, id="a"),
        node("B", 41, -74, id="b"),
        node("GONE", 0, 0, id="g", deleted_at=NOW),
    ]
    items = [
        item("a", "S1", 100, 10, 20),  # fine
        item("a", "S2", 15, 0, 20),  # low
        item("b", "S1", 5, 5, 10),  # out (and low)
        item("b", "S3", 0, 0, 0),  # out: 0 <= 0
        item("g", "S9", 1, 0, 50),  # at a deleted node: not the network's
    ]
    out = f.inventory_summary(nodes, items)
    assert (out["nodes"], out["skus"], out["on_hand"], out["reserved"], out["available"]) == (
        2,
        3,
        120,
        15,
        105,
    )
    assert (out["low_stock"], out["out_of_stock"]) == (3, 2)
    assert out["by_node"] == [
        {"node_id": "a", "node_name": "A", "on_hand": 115, "reserved": 10, "available": 105, "low_stock": 1},
        {"node_id": "b", "node_name": "B", "on_hand": 5, "reserved": 5, "available": 0, "low_stock": 2},
    ]
    # most short of its reorder level first
    assert [(x["node_id"], x["sku"]) for x in out["alerts"]] == [("b", "S1"), ("a", "S2"), ("b", "S3")]
    assert out["alerts"][0] == {"sku": "S1", "node_id": "b", "available": 0, "reorder_level": 10}
    assert f.stock_alerts(nodes, items) == {"low_stock": 3, "out_of_stock": 2, "items": out["alerts"]}
