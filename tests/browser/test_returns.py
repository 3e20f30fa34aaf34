"""Issue 13's returns in a real browser against the local cloud: the demo customer's order is
delivered by the simulator; on the portal the customer returns one unit of it; on the dashboard a
person approves the return, receives the unit back at a node (the stock goes back on hand) and
refunds it after the confirm step, and the page shows the server's breakdown; the portal then shows
the return refunded and the order's refunded amount. Selectors are web/TESTIDS.md's."""

from __future__ import annotations

import time
import uuid

from .dashboard import BROWSER, Dashboard
from .harness import ADMIN
from .test_portal import CUSTOMER, portal_login

pytestmark = BROWSER

DELIVERY_S = 180  # the simulator, 10x faster, takes an order to DELIVERED well within this
SKU = "SKU-WIDGET-A"


def _delivered_customer_order(dash: Dashboard) -> dict:
    """An order the demo customer places through the API, once the simulator has delivered it."""
    body = {
        "fulfillment_type": "SHIP_TO_HOME",
        "currency": "USD",
        "line_items": [{"sku": SKU, "quantity": 2}],
        "shipping_address": {
            "address1": "1 Return Way", "city": "Boston", "state": "MA", "postal_code": "02110",
            "country": "US",
        },
    }  # fmt: skip
    key = {"Idempotency-Key": f"returns-{uuid.uuid4().hex}"}
    order = dash.cloud.api("POST", "/orders", login=CUSTOMER, json=body, headers=key)
    deadline = time.monotonic() + DELIVERY_S
    while time.monotonic() < deadline:
        current = dash.cloud.api("GET", f"/orders/{order['id']}", login=ADMIN)
        if current["status"] == "DELIVERED":
            return dict(current)
        time.sleep(1)
    raise AssertionError(f"order {order['id']} not delivered in {DELIVERY_S} s: {current['status']}")


def test_a_customer_returns_a_unit_and_a_person_receives_and_refunds_it(dash: Dashboard) -> None:
    order = _delivered_customer_order(dash)
    node = next(a["node_id"] for a in order["allocations"] if a["sku"] == SKU)
    item = next(a["item_id"] for a in order["allocations"] if a["sku"] == SKU)
    on_hand = dash.cloud.api("GET", f"/inventory/{item}")["on_hand"]

    # the customer asks one unit back on the portal
    dash.goto("/portal/demo/login")
    dash.by_id("page-portal-login").wait_for()
    portal_login(dash, CUSTOMER)
    dash.by_id("page-portal-shop").wait_for()
    dash.goto(f"/portal/demo/orders/{order['id']}")
    dash.page.wait_for_selector('[data-testid="page-portal-order"][data-status="DELIVERED"]')
    dash.by_id("portal-return-items").click()
    line = dash.page.locator(f'[data-testid="return-form-line"][data-sku="{SKU}"]')
    line.wait_for()
    assert line.get_attribute("data-max") == "2"
    dash.by_id(f"return-qty-{SKU}").fill("1")
    dash.by_id(f"return-reason-{SKU}").select_option("DEFECTIVE")
    dash.by_id("return-resolution").select_option("REFUND")
    dash.shot("portal-return-form")
    dash.by_id("return-submit").click()
    row = dash.page.locator('[data-testid="portal-return-row"][data-status="REQUESTED"]')
    row.wait_for()
    return_id = str(row.get_attribute("data-return-id"))
    stored = dash.cloud.api("GET", f"/returns/{return_id}")
    assert stored["order_id"] == order["id"] and stored["lines"][0]["quantity"] == 1
    dash.shot("portal-return-requested")

    # a person of the team approves, receives and refunds it on the dashboard
    dash.by_id("portal-logout").click()
    dash.by_id("page-portal-login").wait_for()
    dash.login(ADMIN)
    dash.goto(f"/app/returns/{return_id}")
    dash.page.wait_for_selector('[data-testid="page-return-detail"][data-status="REQUESTED"]')
    dash.by_id("return-approve").click()
    dash.page.wait_for_selector('[data-testid="page-return-detail"][data-status="APPROVED"]')
    dash.by_id("return-receive-form").wait_for()
    dash.page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"receive-node\"] option').length > 1"
    )
    dash.by_id("receive-node").select_option(node)
    dash.by_id(f"receive-qty-{SKU}").fill("1")
    dash.by_id(f"receive-condition-{SKU}").select_option("SELLABLE")
    dash.by_id("receive-submit").click()
    dash.page.wait_for_selector('[data-testid="page-return-detail"][data-status="RECEIVED"]')
    assert dash.cloud.api("GET", f"/inventory/{item}")["on_hand"] == on_hand + 1
    dash.by_id("return-refund").click()
    dash.by_id("refund-confirm").wait_for()
    dash.by_id("return-refund-confirm").click()
    breakdown = dash.by_id("refund-breakdown")
    breakdown.wait_for()
    refunded = dash.cloud.api("GET", f"/returns/{return_id}")
    assert refunded["status"] == "REFUNDED"
    assert breakdown.get_attribute("data-amount") == refunded["refund"]["amount"]
    assert refunded["refund"]["lines"][0]["quantity"] == 1
    dash.shot("refunded")

    # the customer sees it refunded, and the order's refunded amount
    after = dash.cloud.api("GET", f"/orders/{order['id']}")
    assert after["refunded_amount"] == refunded["refund"]["amount"]
    assert after["status"] == "PARTIALLY_RETURNED"
    dash.page.evaluate("() => window.sessionStorage.clear()")
    dash.goto("/portal/demo/login")
    portal_login(dash, CUSTOMER)
    dash.by_id("page-portal-shop").wait_for()
    dash.goto(f"/portal/demo/orders/{order['id']}")
    dash.page.wait_for_selector(
        f'[data-testid="portal-return-row"][data-return-id="{return_id}"][data-status="REFUNDED"]'
    )
    dash.by_id("portal-order-refunded").wait_for()
    dash.shot("portal-refunded")
