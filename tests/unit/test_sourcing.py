from oms.domain.models import NodeStatus
from oms.domain.orders import build_order, order_id_for
from oms.domain.rules import SourcingRuleFields
from oms.domain.sourcing_engine import source_order
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, node, order_request

NYC = node("NYC", 40.7484, -73.9967)
EDISON = node("EDISON", 40.5187, -74.4121)
CHICAGO = node("CHI", 41.8781, -87.6298)


def plan_sourcing(order, nodes, stock, today, max_split_nodes=3):
    """The engine under its default rule (DISTANCE_OPTIMAL), as the foundation planned."""
    rule = SourcingRuleFields(name="default", priority=0, max_split_nodes=max_split_nodes)
    return source_order(order, nodes, stock, today, rule=rule)


def make_order(**kw):
    request = order_request(**kw)
    return build_order(
        request,
        order_id=order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )


def test_nearest_node_that_fills_everything_wins():
    order = make_order()
    stock = {(n.id, s): 10 for n in (NYC, EDISON, CHICAGO) for s in ("SKU-A", "SKU-B")}
    plan = plan_sourcing(order, [CHICAGO, EDISON, NYC], stock, NOW[:10])
    assert plan.outcome == "SOURCED"
    assert {a.node_id for a in plan.allocations} == {NYC.id}
    assert sum(a.quantity for a in plan.allocations) == 3


def test_split_when_no_single_node_can_fill():
    order = make_order()
    stock = {(NYC.id, "SKU-A"): 2, (CHICAGO.id, "SKU-B"): 1}
    plan = plan_sourcing(order, [NYC, CHICAGO], stock, NOW[:10])
    assert plan.outcome == "SOURCED"
    assert {(a.node_id, a.sku, a.quantity) for a in plan.allocations} == {
        (NYC.id, "SKU-A", 2),
        (CHICAGO.id, "SKU-B", 1),
    }


def test_short_stock_is_held_in_part_and_the_rest_backordered():
    order = make_order()
    stock = {(NYC.id, "SKU-A"): 1, (NYC.id, "SKU-B"): 1}
    plan = plan_sourcing(order, [NYC, CHICAGO], stock, NOW[:10])
    assert plan.outcome == "PARTIALLY_SOURCED"
    assert {(a.node_id, a.sku, a.quantity) for a in plan.allocations} == {
        (NYC.id, "SKU-A", 1),
        (NYC.id, "SKU-B", 1),
    }
    assert plan.backordered == {"SKU-A": 1}


def test_single_node_rule_backorders_everything_it_cannot_ship_whole():
    order = make_order()
    stock = {(NYC.id, "SKU-A"): 1, (NYC.id, "SKU-B"): 1}
    plan = plan_sourcing(order, [NYC, CHICAGO], stock, NOW[:10], max_split_nodes=1)
    assert plan.outcome == "BACKORDERED" and plan.allocations == []
    assert plan.backordered == {"SKU-A": 2, "SKU-B": 1}


def test_inactive_full_and_incapable_nodes_are_skipped():
    closed = node("CLOSED", 40.75, -73.99, status=NodeStatus.INACTIVE)
    full = node("FULL", 40.75, -73.99, current_daily_orders=100, capacity_date=NOW[:10])
    no_ship = node("NOSHIP", 40.75, -73.99, can_ship=False)
    stock = {(n.id, s): 10 for n in (closed, full, no_ship, CHICAGO) for s in ("SKU-A", "SKU-B")}
    plan = plan_sourcing(make_order(), [closed, full, no_ship, CHICAGO], stock, NOW[:10])
    assert {a.node_id for a in plan.allocations} == {CHICAGO.id}


def test_pickup_is_pinned_to_the_pickup_node():
    order = make_order(fulfillment_type="STORE_PICKUP", pickup_node_id=CHICAGO.id, shipping_address=None)
    stock = {(n.id, s): 10 for n in (NYC, CHICAGO) for s in ("SKU-A", "SKU-B")}
    plan = plan_sourcing(order, [NYC, CHICAGO], stock, NOW[:10])
    assert {a.node_id for a in plan.allocations} == {CHICAGO.id}
    short = plan_sourcing(order, [NYC, CHICAGO], {(NYC.id, "SKU-A"): 10, (NYC.id, "SKU-B"): 10}, NOW[:10])
    assert short.outcome == "BACKORDERED"


def test_split_respects_max_split_nodes():
    order = make_order(line_items=[{"sku": "SKU-A", "quantity": 4, "unit_price": "1"}])
    nodes = [node(f"N{i}", 40 + i / 10, -74) for i in range(4)]
    stock = {(n.id, "SKU-A"): 1 for n in nodes}
    three = plan_sourcing(order, nodes, stock, NOW[:10], max_split_nodes=3)
    assert three.outcome == "PARTIALLY_SOURCED" and three.backordered == {"SKU-A": 1}
    assert len({a.node_id for a in three.allocations}) == 3
    assert plan_sourcing(order, nodes, stock, NOW[:10], max_split_nodes=4).outcome == "SOURCED"
