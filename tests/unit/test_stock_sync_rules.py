"""Channel stock sync and channel refunds, the pure rules (ADR 0040)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from oms.domain.connectors import ShopifyConfig
from oms.domain.stock_changes import StockChange, StockLevel
from oms.domain.stock_sync import (
    MAX_QUANTITIES_PER_CALL,
    Bucket,
    RefundProblem,
    SyncTarget,
    differences,
    location_gid,
    nodes_of_location,
    quantity_batches,
    refund_input,
    set_quantities_input,
    syncing,
    targets_for,
)

LOC1, LOC2 = "gid://shopify/Location/11", "gid://shopify/Location/22"


# ------------------------------------------------------------------ locations
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (123, "gid://shopify/Location/123"),
        ("123", "gid://shopify/Location/123"),
        (" 77 ", "gid://shopify/Location/77"),
        ("gid://shopify/Location/9", "gid://shopify/Location/9"),
    ],
)
def test_a_location_is_normalised_to_its_gid(given: Any, expected: str) -> None:
    assert location_gid(given) == expected


@pytest.mark.parametrize(
    "bad", ["", "0", "-4", "12a", "gid://shopify/Product/1", "https://x/1", True, 1.5, None, "9" * 21]
)
def test_a_location_that_is_no_location_id_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        location_gid(bad)


def test_the_config_takes_a_location_map_and_a_sync_switch() -> None:
    base = {"shop_domain": "a.myshopify.com", "access_token": "shpat_12345678", "webhook_secret": "x" * 16}
    config = ShopifyConfig.model_validate({**base, "location_map": {"node-1": 11, "node-2": LOC2}})
    assert config.location_map == {"node-1": LOC1, "node-2": LOC2}
    assert config.sync_inventory is False
    assert ShopifyConfig.model_validate(base).location_map == {}
    with pytest.raises(ValidationError):
        ShopifyConfig.model_validate({**base, "location_map": {"node-1": "nowhere"}})
    with pytest.raises(ValidationError):
        ShopifyConfig.model_validate({**base, "location_map": ["node-1"]})


def test_several_nodes_may_share_a_location() -> None:
    assert nodes_of_location({"b": LOC1, "a": LOC1, "c": LOC2}, LOC1) == ["a", "b"]


# ------------------------------------------------------------------ what a change makes stale
def _change(before: int | None, after: int | None, node: str = "node-1", sku: str = "SKU-1") -> StockChange:
    def level(available: int | None) -> StockLevel | None:
        return None if available is None else StockLevel(available + 2, 2, available, 0)

    return StockChange("1", "demo", "item", node, sku, None, level(before), level(after))


def _connector(cid: str = "c1", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": cid,
        "type": "SHOPIFY",
        "status": "ACTIVE",
        "direction": "BIDIRECTIONAL",
        "config": {"sync_inventory": True, "location_map": {"node-1": LOC1, "node-2": LOC1}},
    }
    config = overrides.pop("config", {})
    doc.update(overrides)
    doc["config"] = {**doc["config"], **config}
    return doc


def test_a_change_of_available_stock_at_a_mapped_node_makes_its_figure_stale() -> None:
    assert targets_for(_change(5, 4), [_connector()]) == [SyncTarget("c1", LOC1, "SKU-1")]
    assert targets_for(_change(None, 3), [_connector()]) == [SyncTarget("c1", LOC1, "SKU-1")]  # new item
    assert targets_for(_change(3, None), [_connector()]) == [SyncTarget("c1", LOC1, "SKU-1")]  # deleted


def test_nothing_is_stale_when_available_did_not_move_or_nobody_syncs_the_node() -> None:
    assert targets_for(_change(5, 5), [_connector()]) == []  # e.g. a reorder level change
    assert targets_for(_change(5, 4, node="node-9"), [_connector()]) == []
    for off in (
        _connector(status="ERROR"),
        _connector(status="INACTIVE"),
        _connector(direction="INBOUND"),
        _connector(type="AMAZON"),
        _connector(config={"sync_inventory": False}),
        _connector(config={"location_map": {}}),
    ):
        assert not syncing(off)
        assert targets_for(_change(5, 4), [off]) == []


def test_each_syncing_connector_gets_its_own_figure() -> None:
    other = _connector("c2", config={"location_map": {"node-1": LOC2}})
    assert targets_for(_change(1, 0), [_connector(), other]) == [
        SyncTarget("c1", LOC1, "SKU-1"),
        SyncTarget("c2", LOC2, "SKU-1"),
    ]
    assert SyncTarget("c1", LOC1, "SKU-1").marker_key == f"{LOC1}#SKU-1"


# ------------------------------------------------------------------ batching
def _q(n: int, quantity: int = 1, location: str = LOC1) -> dict[str, Any]:
    return {
        "inventoryItemId": f"gid://shopify/InventoryItem/{n}",
        "locationId": location,
        "quantity": quantity,
    }


def test_quantities_go_in_calls_of_at_most_250() -> None:
    batches = quantity_batches([_q(i) for i in range(601)])
    assert [len(b) for b in batches] == [250, 250, 101]
    assert MAX_QUANTITIES_PER_CALL == 250
    assert quantity_batches([]) == []


def test_a_figure_given_twice_keeps_its_last_value_and_never_goes_below_zero() -> None:
    [batch] = quantity_batches([_q(1, 5), _q(2, 3), _q(1, 7), _q(1, 2, LOC2), _q(3, -4)])
    assert [(q["inventoryItemId"][-1], q["locationId"], q["quantity"]) for q in batch] == [
        ("2", LOC1, 3),
        ("1", LOC1, 7),
        ("1", LOC2, 2),
        ("3", LOC1, 0),
    ]


def test_the_set_quantities_input_is_absolute_available() -> None:
    given = set_quantities_input([_q(1, 4)])
    assert given == {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [_q(1, 4)],
    }


# ------------------------------------------------------------------ rate budget
def test_the_bucket_refills_and_says_how_long_to_wait() -> None:
    bucket = Bucket(tokens=5, at=100.0, size=1000, rate=50.0)
    assert bucket.wait_for(10, 100.0) == pytest.approx(0.1)
    assert bucket.wait_for(10, 100.2) == 0.0
    spent = bucket.spend(10, 101.0)  # 5 + 50 - 10
    assert spent.tokens == pytest.approx(45) and spent.at == 101.0
    assert Bucket(990, 0.0).now(10_000.0) == 1000  # never past its size


def test_shopify_s_own_figures_replace_the_estimate() -> None:
    seen = Bucket(900, 0.0).observed(
        {"maximumAvailable": 2000.0, "currentlyAvailable": 12, "restoreRate": 100.0}, 5.0
    )
    assert (seen.tokens, seen.at, seen.size, seen.rate) == (12, 5.0, 2000, 100.0)
    assert Bucket(900, 0.0).observed(None, 5.0) == Bucket(900, 0.0)
    assert Bucket(900, 0.0).observed({"nonsense": 1}, 5.0) == Bucket(900, 0.0)


# ------------------------------------------------------------------ reconciliation
def test_differences_list_what_shopify_shows_wrongly() -> None:
    cirrus = {(LOC1, "A"): 5, (LOC1, "B"): 3, (LOC2, "A"): 0, (LOC2, "C"): -2}
    shopify = {(LOC1, "A"): 5, (LOC1, "B"): 9, (LOC2, "C"): 0, (LOC2, "Z"): 4}
    assert differences(cirrus, shopify) == [
        {"sku": "B", "location": LOC1, "shopify_before": 9, "cirrus": 3},
        {"sku": "A", "location": LOC2, "shopify_before": None, "cirrus": 0},
    ]


# ------------------------------------------------------------------ refunds
ORDER = "gid://shopify/Order/7"


def _lines() -> list[dict[str, Any]]:
    return [
        {"id": "gid://shopify/LineItem/1", "sku": "SKU-A", "quantity": 1, "refundableQuantity": 1},
        {"id": "gid://shopify/LineItem/2", "sku": "SKU B", "quantity": 2, "refundableQuantity": 2},
        {"id": "gid://shopify/LineItem/3", "sku": "SKU-A", "quantity": 3, "refundableQuantity": 2},
    ]


def _sale(n: int, amount: str, kind: str = "SALE", status: str = "SUCCESS") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/OrderTransaction/{n}",
        "kind": kind,
        "status": status,
        "gateway": "shopify_payments",
        "amountSet": {"shopMoney": {"amount": amount}},
    }


def _data(**overrides: Any) -> dict[str, Any]:
    data = {
        "return_id": "r1",
        "refund_id": "rf-1",
        "amount": "40.00",
        "currency": "USD",
        "shipping": "0.00",
        "lines": [
            {"sku": "SKU-A", "quantity": 3, "amount": "30.00"},
            {"sku": "SKU-B", "quantity": 1, "amount": "10.00"},
        ],
        "reason": "customer return",
    }
    data.update(overrides)
    return data


def test_the_refund_input_names_the_lines_by_sku_without_restock() -> None:
    refund = refund_input(ORDER, _data(), _lines(), [_sale(1, "100.00")])
    assert refund["orderId"] == ORDER
    assert refund["refundLineItems"] == [
        {"lineItemId": "gid://shopify/LineItem/1", "quantity": 1, "restockType": "NO_RESTOCK"},
        {"lineItemId": "gid://shopify/LineItem/3", "quantity": 2, "restockType": "NO_RESTOCK"},
        {"lineItemId": "gid://shopify/LineItem/2", "quantity": 1, "restockType": "NO_RESTOCK"},  # "SKU B"
    ]
    assert refund["transactions"] == [
        {
            "orderId": ORDER,
            "parentId": "gid://shopify/OrderTransaction/1",
            "gateway": "shopify_payments",
            "kind": "REFUND",
            "amount": "40.00",
        }
    ]
    assert "shipping" not in refund
    assert refund["note"] == "customer return [cirrus-refund:rf-1]"


def test_shipping_and_a_refund_spread_over_several_payments() -> None:
    txs = [
        _sale(1, "25.00", "CAPTURE"),
        _sale(2, "99.00", status="FAILURE"),
        _sale(3, "5.00", "AUTHORIZATION"),
        _sale(4, "30.00"),
    ]
    refund = refund_input(ORDER, _data(amount="48.99", shipping="8.99"), _lines(), txs)
    assert refund["shipping"] == {"amount": "8.99"}
    assert [(t["parentId"][-1], t["amount"]) for t in refund["transactions"]] == [
        ("1", "25.00"),
        ("4", "23.99"),
    ]


@pytest.mark.parametrize(
    "data",
    [
        _data(lines=[{"sku": "SKU-A", "quantity": 4, "amount": "1.00"}]),  # 3 refundable
        _data(lines=[{"sku": "SKU-NONE", "quantity": 1, "amount": "1.00"}]),
        _data(amount="500.00"),  # more than was paid
        _data(amount="-1"),
        _data(amount="lots"),
    ],
)
def test_a_refund_the_order_cannot_take_is_a_problem(data: dict[str, Any]) -> None:
    with pytest.raises(RefundProblem):
        refund_input(ORDER, data, _lines(), [_sale(1, "100.00")])
