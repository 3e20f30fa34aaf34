"""Issue 11's dashboard pages in a real browser against the local cloud: the SLA radar (an external
order's late pick raised through POST /ingest, seen on the radar, analysed, acknowledged and
resolved with a note, its timeline against the deadlines), the SLA policy edited by an admin, and
Invoice Guard (an invoice generated from a completed external order, its lines, adjustments, CSV
download, the review queue and the tariffs). Selectors are web/TESTIDS.md's; they need the radar,
analyst and invoices branches merged (CONTRACT.md shapes)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from .dashboard import BROWSER, Dashboard
from .harness import ADMIN, USER, Cloud

pytestmark = BROWSER

EVENT_SOURCES = {
    "order_paid": "shopify",
    "pick_started": "wms",
    "pick_completed": "wms",
    "pack_completed": "wms",
    "ship_label_printed": "wms",
    "shipped": "carrier",
    "delivered": "carrier",
}
DATA = {
    "order_paid": {
        "channel": "WEB",
        "fulfillment_type": "SHIP_TO_HOME",
        "total_amount": "42.00",
        "currency": "USD",
    },
    "pick_started": {"node": "DC-EAST"},
    "pick_completed": {"lines": 2, "units": 3, "node": "DC-EAST"},
    "pack_completed": {"packages": 1},
    "ship_label_printed": {"labels": 1, "carrier": "UPS"},
    "shipped": {"carrier": "UPS", "tracking_number": "1ZBROWSER"},
    "delivered": {"carrier": "UPS", "tracking_number": "1ZBROWSER"},
}


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def integration_key(cloud: Cloud) -> str:
    """An INTEGRATION API key of the demo tenant, as a SUPERADMIN issues one for a WMS."""
    return str(cloud.api("POST", "/api-keys", json={"name": f"browser ingest {uuid.uuid4().hex[:6]}"})["key"])


def ingest(cloud: Cloud, key: str, external_id: str, event_type: str, at: datetime) -> dict[str, Any]:
    answer = requests.post(
        f"{cloud.url}/ingest/{EVENT_SOURCES[event_type]}",
        json={
            "event_id": f"browser-{external_id}-{event_type}",
            "event_type": event_type,
            "external_order_id": external_id,
            "occurred_at": iso(at),
            "data": DATA[event_type],
        },
        headers={"X-API-Key": key},
        timeout=30,
    )
    assert answer.status_code in (200, 202), answer.text
    return dict(answer.json())


def test_a_late_pick_on_the_radar_is_analysed_acknowledged_resolved_and_timed(dash: Dashboard) -> None:
    cloud = dash.cloud
    key = integration_key(cloud)
    external_id = f"SO-BR-{uuid.uuid4().hex[:8]}"
    order_ref = f"ext:{external_id}"
    now = datetime.now(UTC)
    paid = now - timedelta(hours=5)
    ingest(cloud, key, external_id, "order_paid", paid)
    ingest(cloud, key, external_id, "pick_started", paid + timedelta(minutes=20))
    answer = ingest(cloud, key, external_id, "pick_completed", paid + timedelta(hours=4))  # window: 120 min
    assert answer["order_ref"] == order_ref
    assert answer["breaches"], answer  # a late event raises its breach at once

    dash.login(USER)  # people on the floor acknowledge and resolve
    dash.nav("radar", "page-radar")
    dash.by_id("radar-severity").get_by_test_id("severity-card").first.wait_for()
    assert dash.by_id("severity-card").count() >= 4
    dash.shot("radar")

    dash.by_id("exc-filter-order").fill(order_ref)
    row = dash.page.locator(f"[data-testid='exception-row'][data-order-ref='{order_ref}']").filter(
        has=dash.page.get_by_test_id("exception-open")
    )
    row.first.wait_for()
    exception_id = str(row.first.get_attribute("data-id"))
    row.first.get_by_test_id("exception-open").click()

    drawer = dash.page.locator(f"[data-testid='exception-drawer'][data-id='{exception_id}']")
    drawer.wait_for()
    drawer.get_by_test_id("analysis-label").wait_for()  # the rule analyst writes one at creation
    assert drawer.get_by_test_id("analysis-label").get_attribute("data-value")
    assert drawer.get_by_test_id("analysis-ops-note").inner_text().strip()
    assert drawer.get_by_test_id("analysis-client-note").inner_text().strip()
    dash.shot("exception-drawer")

    if drawer.get_attribute("data-status") == "OPEN":
        drawer.get_by_test_id("exception-acknowledge").click()
        dash.page.locator(
            f"[data-testid='exception-drawer'][data-id='{exception_id}'][data-status='ACKNOWLEDGED']"
        ).wait_for()
    drawer.get_by_test_id("resolve-note").fill("Wave re-released at DC-EAST; picker reassigned.")
    drawer.get_by_test_id("exception-resolve").click()
    dash.page.locator(
        f"[data-testid='exception-drawer'][data-id='{exception_id}'][data-status='RESOLVED']"
    ).wait_for()
    stored = cloud.api("GET", f"/exceptions/{exception_id}")
    assert stored["status"] == "RESOLVED"
    assert stored["resolution_note"] == "Wave re-released at DC-EAST; picker reassigned."
    assert stored["acknowledged_at"] and stored["resolved_by"]
    dash.shot("exception-resolved")

    # the order's timeline: the pick came after its deadline, drawn in the warning colour
    drawer.get_by_test_id("exception-timeline-link").click()
    dash.page.locator(f"[data-testid='page-sla-timeline'][data-order-ref='{order_ref}']").wait_for()
    chart = dash.by_id("sla-timeline-chart")
    chart.locator("[data-testid='tl-point'][data-milestone='pick_completed'][data-late='true']").wait_for()
    chart.locator(
        "[data-testid='tl-deadline'][data-milestone='pick_completed'][data-missed='true']"
    ).wait_for()
    assert chart.locator("[data-testid='tl-point'][data-milestone='order_paid']").count() == 1
    dash.by_id("order-exceptions").locator(
        f"[data-testid='exception-row'][data-id='{exception_id}'][data-status='RESOLVED']"
    ).wait_for()
    dash.shot("order-sla-timeline")


def test_an_admin_edits_the_sla_policy_and_a_user_only_reads_it(dash: Dashboard) -> None:
    policies = dash.cloud.api("GET", "/sla/policies")["items"]
    default = next(p for p in policies if p["is_default"])
    dash.login(ADMIN)
    dash.nav("radar", "page-radar")
    dash.by_id("tab-policies").click()
    row = dash.page.locator(f"[data-testid='policy-row'][data-id='{default['id']}']")
    row.wait_for()
    row.get_by_test_id("policy-edit").click()
    form = dash.page.locator(f"[data-testid='policy-form'][data-id='{default['id']}']")
    form.wait_for()
    warning = 75 if default["warning_pct"] != 75 else 70
    dash.by_id("policy-warning").fill(str(warning))
    dash.by_id("policy-save").click()
    dash.by_id("notice-banner").wait_for()
    saved = dash.page.locator(f"[data-testid='policy-row'][data-id='{default['id']}']")
    saved.filter(has_text=f"{warning}% / {default['critical_pct']:g}%").wait_for()  # as JS prints a number
    after = dash.cloud.api("GET", f"/sla/policies/{default['id']}")
    assert after["warning_pct"] == warning
    assert after["pick_minutes"] == default["pick_minutes"]
    assert after["multipliers"] == default["multipliers"]
    dash.shot("policy-saved")

    dash.nav("overview", "page-overview")  # signing in again returns to where one signed out
    dash.by_id("logout-button").click()
    dash.login(USER)
    dash.goto("/app/radar?tab=policies")
    dash.page.locator(f"[data-testid='policy-row'][data-id='{default['id']}']").wait_for()
    assert dash.by_id("policy-edit").count() == 0


def wait_for_invoices(cloud: Cloud, timeout: float = 120) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        items = list(cloud.api("GET", "/invoices")["items"])
        if items or time.monotonic() > deadline:
            return items
        time.sleep(2)


def test_an_invoice_from_a_completed_order_with_lines_adjustments_and_csv(dash: Dashboard) -> None:
    cloud = dash.cloud
    if not cloud.api("GET", "/billing/tariffs")["items"]:
        cloud.api(
            "POST",
            "/billing/tariffs",
            json={
                "name": "Browser tariff", "currency": "USD", "is_active": True, "per_order": "1.20",
                "per_pick_line": "0.25", "per_unit": "0.10", "per_pack": "0.50", "per_label": "0.35",
                "per_return": "2.00", "sla_credits": [{"milestone": "shipped", "share_of_order_fee": "0.5"}],
                "auto_credit_limit": "25.00",
            },
        )  # fmt: skip
    # a completed external order, all of it yesterday (UTC): the nightly job bills closed days
    key = integration_key(cloud)
    external_id = f"SO-INV-{uuid.uuid4().hex[:8]}"
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    paid = midnight - timedelta(hours=15)
    for minutes, event_type in enumerate(EVENT_SOURCES):
        ingest(cloud, key, external_id, event_type, paid + timedelta(minutes=20 * minutes))
    cloud.api("POST", "/ops/jobs/generate_invoices/run")
    cloud.api("POST", "/ops/jobs/validate_invoices/run")
    invoices = wait_for_invoices(cloud)
    assert invoices, "generate_invoices made no invoice for the completed order"
    invoice = cloud.api("GET", f"/invoices/{invoices[0]['invoice_id']}")

    dash.login(ADMIN)
    dash.nav("invoices", "page-invoices")
    row = dash.page.locator(f"[data-testid='invoice-row'][data-id='{invoice['invoice_id']}']")
    row.wait_for()
    dash.shot("invoices")
    row.get_by_test_id("invoice-link").click()
    detail = dash.page.locator(
        f"[data-testid='page-invoice-detail'][data-invoice-id='{invoice['invoice_id']}']"
    )
    detail.wait_for()
    lines = dash.by_id("invoice-lines").get_by_test_id("invoice-line")
    lines.first.wait_for()
    assert lines.count() == len(invoice["lines"])
    assert dash.by_id("invoice-totals-check").get_attribute("data-consistent") == "true"
    assert dash.by_id("invoice-adjustments").get_by_test_id("adjustment-row").count() == len(
        invoice["adjustments"]
    )
    with dash.page.expect_download() as download_info:
        dash.by_id("invoice-csv").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    assert path is not None
    with open(path, encoding="utf-8") as f:
        assert f.read().strip(), "the CSV is empty"
    dash.shot("invoice-detail")

    dash.nav("invoices", "page-invoices")
    dash.by_id("tab-review").click()
    dash.by_id("review-queue").wait_for()
    review = dash.by_id("review-queue").get_by_test_id("review-row")
    if review.count():
        first = review.first
        invoice_id = first.get_attribute("data-invoice-id")
        adjustment_id = first.get_attribute("data-adjustment-id")
        first.get_by_test_id("adjustment-approve").click()
        dash.by_id("notice-banner").wait_for()
        decided = cloud.api("GET", f"/invoices/{invoice_id}")
        assert {a["adjustment_id"]: a["status"] for a in decided["adjustments"]}[adjustment_id] == "APPROVED"
    dash.shot("review-queue")

    dash.by_id("tab-tariffs").click()
    dash.by_id("tariffs").get_by_test_id("tariff-card").first.wait_for()
    dash.shot("tariffs")
