"""The product view of inventory (pure): one row per SKU from its stock items, the filters, and
which items a product-level change must write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.domain.network import InventoryItem
from oms.domain.product_stock import ProductStockQuery, ProductStockUpdate, product_stock, wanted
from oms.domain.products import Product

NAMES = {"n-east": "East DC", "n-west": "West DC", "n-store": "A Store"}


def item(
    node: str, on_hand: int, reserved: int = 0, level: int = 5, quantity: int = 0, name: str | None = None
):
    return InventoryItem(
        id=f"id-{node}",
        tenant_id="t",
        node_id=node,
        sku="SKU-1",
        product_name=name,
        on_hand=on_hand,
        reserved=reserved,
        available=on_hand - reserved,
        reorder_level=level,
        reorder_quantity=quantity,
        version=3,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )


PRODUCT = Product(tenant_id="t", sku="SKU-1", name="Desk Lamp", category="Lighting", price=Decimal("24.5"))


def test_a_row_totals_its_nodes_and_takes_the_catalogs_name_and_price():
    row = product_stock("SKU-1", [item("n-east", 100, 10), item("n-store", 4)], PRODUCT, NAMES)
    assert row | {"nodes": None} == {
        "sku": "SKU-1",
        "name": "Desk Lamp",
        "category": "Lighting",
        "price": "24.50",
        "currency": "USD",
        "total_on_hand": 104,
        "total_reserved": 10,
        "total_available": 94,
        "low_stock": True,  # the store holds 4, its level is 5
        "reorder_level": 5,
        "reorder_quantity": 0,
        "nodes": None,
    }
    assert [n["node_name"] for n in row["nodes"]] == ["A Store", "East DC"]  # by name
    assert row["nodes"][0] == {
        "node_id": "n-store",
        "node_name": "A Store",
        "item_id": "id-n-store",
        "on_hand": 4,
        "reserved": 0,
        "available": 4,
        "reorder_level": 5,
        "reorder_quantity": 0,
        "low_stock": True,
    }


def test_levels_that_differ_are_null_and_a_sku_outside_the_catalog_has_no_price():
    row = product_stock(
        "SKU-1", [item("n-east", 100, level=50, name="Lamp"), item("n-west", 100)], None, NAMES
    )
    assert row["reorder_level"] is None and row["low_stock"] is False
    assert (row["name"], row["category"], row["price"], row["currency"]) == ("Lamp", None, None, None)
    empty = product_stock("SKU-1", [], None, NAMES)
    assert empty["total_on_hand"] == 0 and empty["nodes"] == [] and empty["low_stock"] is False


@pytest.mark.parametrize(
    ("search", "low", "expected"),
    [
        (None, None, True),
        ("sku-1", None, True),
        ("desk", None, True),
        ("LAMP", True, True),
        ("lamp", False, False),
        ("chair", None, False),
    ],
)
def test_filters(search, low, expected):
    row = product_stock("SKU-1", [item("n-store", 1)], PRODUCT, NAMES)
    assert wanted(row, search, low) is expected


def test_a_change_writes_only_what_differs():
    change = ProductStockUpdate(reorder_level=5, reorder_quantity=20)
    assert change.changes_for(item("n-east", 1, level=5, quantity=0)) == {"reorder_quantity": 20}
    assert change.changes_for(item("n-east", 1, level=5, quantity=20)) == {}
    renamed = ProductStockUpdate(product_name="Lamp")
    assert renamed.changes_for(item("n-east", 1, name="Old")) == {"product_name": "Lamp"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reorder_level": None},
        {"reorder_level": -1},
        {"reorder_quantity": 10**10},
        {"product_name": ""},
        {"x": 1},
    ],
)
def test_a_change_must_say_something_valid(body):
    with pytest.raises(ValidationError):
        ProductStockUpdate.model_validate(body)


def test_the_query_bounds():
    assert ProductStockQuery().limit == 50
    for bad in ({"limit": 0}, {"limit": 201}, {"search": ""}, {"search": "x" * 101}, {"node": "x"}):
        with pytest.raises(ValidationError):
            ProductStockQuery.model_validate(bad)
