"""Reservation transactions at the repository/service level: atomic, exactly once, and a failed
stock condition is reported as a stock conflict (pynamodb reorders a transaction's operations, so
the failing item is found by key, not by position)."""

import contextlib
from decimal import Decimal

import pytest

from oms.domain.errors import Conflict, StockConflict
from oms.domain.models import OrderCreate, Principal, Role
from oms.domain.network import InventoryCreate
from oms.domain.products import ProductCreate

pytestmark = pytest.mark.usefixtures("stack")
PRINCIPAL = Principal(user_id="u", email="ops@example.com", tenant_id="demo", role=Role.SUPERADMIN)
BODY = {
    "channel": "WEB",
    "fulfillment_type": "SHIP_TO_HOME",
    "customer_name": "X",
    "line_items": [{"sku": "SKU-ONE", "quantity": 1, "unit_price": "5"}],
    "shipping_address": {"address1": "a", "city": "b", "latitude": 40.7, "longitude": -74},
}


def test_second_reservation_of_the_last_unit_is_a_stock_conflict_and_writes_nothing(monkeypatch):
    from oms.services import fulfilment, products
    from oms.services import inventory as inventory_service
    from oms.services import orders as order_service
    from oms.services.context import repos

    monkeypatch.setattr(order_service.workflow, "start", lambda *a, **k: "not started")
    nodes = {n.code: n.id for n in repos.nodes.all("demo")}
    with contextlib.suppress(Conflict):  # API orders are priced from the catalog
        products.create_product(PRINCIPAL, ProductCreate(sku="SKU-ONE", name="One", price=Decimal("5")))
    item = inventory_service.create_item(
        PRINCIPAL, InventoryCreate(node_id=nodes["DC-EAST"], sku="SKU-ONE", on_hand=1)
    )
    ids = []
    for i in range(2):
        order, _ = order_service.create_order(
            OrderCreate.model_validate({**BODY, "customer_email": f"o{i}@x.io"}), PRINCIPAL, None
        )
        fulfilment.confirm("demo", order.id)
        ids.append(order.id)
    plans = [fulfilment.source("demo", oid)["plan"] for oid in ids]
    assert fulfilment.reserve("demo", ids[0], plans[0], 60)["status"] == "SOURCED"
    with pytest.raises(StockConflict):
        fulfilment.reserve("demo", ids[1], plans[1], 60)
    loser = repos.orders.require("demo", ids[1])
    assert loser.status == "SOURCING" and loser.allocations == []
    assert repos.stock.reservations_for_order("demo", ids[1], [item.id]) == {}
    stock = repos.stock.require("demo", item.id)
    assert (stock.on_hand, stock.reserved, stock.available) == (1, 1, 0)
    # a retried (duplicate) reserve of the winner is a no-op success
    assert fulfilment.reserve("demo", ids[0], plans[0], 60)["status"] == "SOURCED"
    assert repos.stock.require("demo", item.id).reserved == 1
