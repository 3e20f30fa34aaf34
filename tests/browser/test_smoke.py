"""The dashboard opens at the API's own address, signs in, and shows the overview with live data."""

from __future__ import annotations

import uuid

from tests.component.helpers import order_body

from .dashboard import BROWSER, Dashboard
from .harness import ADMIN, Cloud

pytestmark = BROWSER


def new_order(cloud: Cloud, customer: str) -> dict[str, object]:
    """An order through the API (the UI's own creation is a scenario of its own)."""
    body = order_body(
        customer_email=f"{uuid.uuid4().hex[:8]}@example.com",
        customer_name=customer,
        line_items=[{"sku": "SKU-WIDGET-A", "quantity": 1}],
    )
    return dict(cloud.api("POST", "/orders", json=body))


def test_the_root_opens_the_dashboard_with_its_security_headers(dash: Dashboard) -> None:
    response = dash.page.goto(dash.cloud.url + "/")
    assert response is not None and response.ok
    assert dash.page.url.startswith(dash.cloud.url + "/app/")  # "/" -> 302 -> /app/ (-> its login)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    dash.by_id("login-form").wait_for()
    dash.shot("login")


def test_sign_in_and_see_the_overview_with_the_order_feed(dash: Dashboard) -> None:
    order = new_order(dash.cloud, "Smoke Test Customer")
    dash.login(ADMIN)
    assert dash.by_id("current-role").inner_text().strip().lower() in ("superadmin", "super admin")
    dash.by_id("kpi-cards").wait_for()
    row = dash.by_id("order-feed").locator(
        f'[data-testid="feed-row"][data-order-number="{order["order_number"]}"]'
    )
    row.wait_for()  # the feed refreshes by itself
    dash.shot("overview")


def test_a_wrong_password_is_said_in_words(dash: Dashboard) -> None:
    dash.goto("/app/login")
    dash.by_id("login-email").fill(ADMIN[0])
    dash.by_id("login-password").fill("not-the-password")
    with dash.expecting_http_error(401, "/auth/login"):
        dash.by_id("login-submit").click()
        banner = dash.by_id("error-banner")
        banner.wait_for()
    assert banner.get_by_test_id("error-message").inner_text().strip()
    assert "401" in banner.get_by_test_id("error-code").inner_text()
    dash.shot("login-refused")
