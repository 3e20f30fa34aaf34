"""Issue 12's customer portal in a real browser against the local cloud: the demo customer opens
/portal/demo, sees the tenant's branding (GET /branding/demo), signs in, back-orders a product from
the catalog (an admin added it without stock, so the order waits in BACKORDERED and may still be
cancelled while the simulator ships everything else), sees it in their orders with its timeline,
and cancels it. A person of the team who signs in on the portal is sent to the dashboard.
Selectors are web/TESTIDS.md's; they need the tenancy, workflow and email branches merged."""

from __future__ import annotations

import uuid

import requests

from .dashboard import BROWSER, Dashboard
from .harness import ADMIN

pytestmark = BROWSER

CUSTOMER = ("customer@example.com", "customer123")


def portal_login(dash: Dashboard, login: tuple[str, str]) -> None:
    dash.by_id("login-email").fill(login[0])
    dash.by_id("login-password").fill(login[1])
    dash.by_id("login-submit").click()


def test_a_customer_orders_from_the_catalog_follows_the_order_and_cancels_it(dash: Dashboard) -> None:
    cloud = dash.cloud
    brand = requests.get(f"{cloud.url}/branding/demo", timeout=30).json()
    sku = f"PORTAL-{uuid.uuid4().hex[:6].upper()}"
    cloud.api("POST", "/products", json={"sku": sku, "name": f"Portal tee {sku[-6:]}", "price": "12.50"})

    dash.goto("/portal/demo")
    dash.by_id("page-portal-login").wait_for()
    dash.page.wait_for_selector(f'[data-testid="portal-brand"][data-shop-name="{brand["shop_name"]}"]')
    accent = dash.page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent.lower() == brand["primary_color"].lower()
    dash.shot("branded-sign-in")
    portal_login(dash, CUSTOMER)
    dash.by_id("page-portal-shop").wait_for()

    item = dash.page.locator(f'[data-testid="catalog-item"][data-sku="{sku}"]')
    item.wait_for()
    assert item.get_attribute("data-in-stock") == "false"
    item.get_by_test_id("catalog-add").click()
    dash.page.locator(f'[data-testid="basket-line"][data-sku="{sku}"]').wait_for()
    dash.by_id("ship-address1").fill("1 Portal Way")
    dash.by_id("ship-city").fill("Boston")
    dash.by_id("ship-state").fill("MA")
    dash.by_id("ship-postal").fill("02110")
    dash.shot("basket")
    dash.by_id("place-order").click()
    page = dash.by_id("page-portal-order")
    page.wait_for()
    order_id = page.get_attribute("data-order-id")
    assert order_id
    dash.page.wait_for_selector(
        '[data-testid="page-portal-order"][data-status="BACKORDERED"]', timeout=30_000
    )

    # the order as the API keeps it: the customer's, on the customer's account
    stored = cloud.api("GET", f"/orders/{order_id}", login=ADMIN)
    assert stored["line_items"][0]["sku"] == sku
    assert stored["customer_email"] == CUSTOMER[0]

    # in their orders, with its timeline
    dash.by_id("nav-portal-orders").click()
    row = dash.page.locator(f'[data-testid="my-order-row"][data-order-id="{order_id}"]')
    row.wait_for()
    row.get_by_test_id("my-order-link").click()
    dash.by_id("page-portal-order").wait_for()
    dash.by_id("portal-timeline-item").first.wait_for()
    phases = [
        dash.by_id("portal-timeline-item").nth(i).get_attribute("data-phase")
        for i in range(dash.by_id("portal-timeline-item").count())
    ]
    assert "BACKORDERED" in phases, phases
    dash.shot("order-with-timeline")

    # cancel while allowed; then the button is gone
    dash.by_id("portal-cancel").click()
    dash.by_id("portal-cancel-confirm").click()
    dash.page.wait_for_selector('[data-testid="page-portal-order"][data-status="CANCELLED"]')
    assert dash.by_id("portal-cancel").count() == 0
    assert cloud.api("GET", f"/orders/{order_id}", login=ADMIN)["status"] == "CANCELLED"
    # the badge names the status as the tenant does (GET /workflow/statuses)
    badges = cloud.api("GET", "/workflow/statuses", login=CUSTOMER)["statuses"]
    cancelled = next(b for b in badges if b["phase"] == "CANCELLED")
    badge = dash.by_id("portal-order-status")
    assert badge.get_attribute("data-value") == "CANCELLED"
    assert badge.inner_text() == cancelled["name"]
    dash.shot("cancelled")


def test_a_person_of_the_team_signing_in_on_the_portal_goes_to_the_dashboard(dash: Dashboard) -> None:
    dash.goto("/portal/demo/login")
    dash.by_id("page-portal-login").wait_for()
    portal_login(dash, ADMIN)
    dash.by_id("page-overview").wait_for()
    assert dash.page.url.rstrip("/").endswith("/app")
