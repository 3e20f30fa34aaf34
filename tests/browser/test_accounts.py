"""Issue 12's accounts in a real browser against the local cloud: a SUPERADMIN invites a customer on
the Users page, the invitation link (shown once) opens the shop's portal, where the customer sets
a password and signs in; the admin then deactivates the account. A PLATFORM_OWNER creates a
tenant on the Tenants page and gets its first SUPERADMIN's invitation link. A CUSTOMER who signs
in on the dashboard's login page is sent to the portal. Selectors are web/TESTIDS.md's."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

from .dashboard import BROWSER, Dashboard
from .harness import ADMIN, OWNER

pytestmark = BROWSER


def test_an_invited_customer_sets_a_password_in_the_portal_and_signs_in(dash: Dashboard) -> None:
    cloud = dash.cloud
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.com"
    dash.login(ADMIN)
    dash.nav("users", "page-users")
    dash.by_id("invite-email").fill(email)
    dash.by_id("invite-name").fill("Invited Shopper")
    dash.by_id("invite-role").select_option("CUSTOMER")
    dash.by_id("invite-submit").click()
    link = dash.by_id("once-link").get_attribute("data-url")
    assert link and "/portal/demo/accept?token=" in link, link
    row = dash.page.locator(f'[data-testid="user-row"][data-email="{email}"]')
    row.wait_for()
    assert row.get_attribute("data-invited") == "true"
    dash.shot("invited")

    dash.by_id("logout-button").click()
    parsed = urlparse(link)
    dash.goto(f"{parsed.path}?{parsed.query}")
    dash.by_id("page-portal-accept").wait_for()
    password = f"pw-{uuid.uuid4().hex}"
    dash.by_id("accept-password").fill(password)
    dash.by_id("accept-password-again").fill(password)
    dash.by_id("accept-submit").click()
    dash.by_id("accept-done").wait_for()
    dash.by_id("accept-sign-in").click()
    dash.by_id("page-portal-login").wait_for()
    dash.by_id("login-email").fill(email)
    dash.by_id("login-password").fill(password)
    dash.by_id("login-submit").click()
    dash.by_id("page-portal-shop").wait_for()
    assert dash.by_id("portal-user").inner_text() == email
    dash.shot("signed-in")

    users = cloud.api("GET", "/users?limit=200")["items"]
    user = next(u for u in users if u["email"] == email)
    assert (user["role"], user["active"], user["invited"]) == ("CUSTOMER", True, False)


def test_an_owner_creates_a_tenant_and_gets_its_invitation_link(dash: Dashboard) -> None:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    dash.login(OWNER)
    dash.nav("tenants", "page-tenants")
    dash.by_id("tenant-name").fill("Browser Shop")
    dash.by_id("tenant-slug").fill(slug)
    dash.by_id("tenant-admin-email").fill(f"boss@{slug}.example.com")
    dash.by_id("tenant-submit").click()
    link = dash.by_id("once-link").get_attribute("data-url")
    assert link and "/app/accept-invitation?token=" in link, link
    row = dash.page.locator(f'[data-testid="tenant-row"][data-slug="{slug}"]')
    row.wait_for()
    assert row.get_attribute("data-status") == "ACTIVE"
    row.get_by_test_id("tenant-suspend").click()
    dash.page.wait_for_selector(f'[data-testid="tenant-row"][data-slug="{slug}"][data-status="SUSPENDED"]')
    tenants = dash.cloud.api("GET", "/tenants?limit=200", login=OWNER)["items"]
    assert next(t for t in tenants if t["slug"] == slug)["status"] == "SUSPENDED"
    dash.shot("suspended")


def test_a_customer_signing_in_on_the_dashboard_is_sent_to_the_portal(dash: Dashboard) -> None:
    dash.goto("/app/login")
    dash.by_id("login-email").fill("customer@example.com")
    dash.by_id("login-password").fill("customer123")
    dash.by_id("login-submit").click()
    dash.by_id("page-portal-shop").wait_for()
    assert urlparse(dash.page.url).path.rstrip("/") == "/portal/demo"
