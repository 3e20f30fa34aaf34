"""Amazon orders in: the scheduled poll of searchOrders per active Amazon connector, within the
channel's rate budget (a token bucket kept on the connector)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from oms.adapters import spapi
from oms.domain.channels import AMAZON_ORDER_ID, ChannelLink
from oms.domain.clock import epoch, iso, parse_iso, utcnow
from oms.domain.connectors import (
    ConnectorStatus,
    ConnectorType,
    ImportProblem,
    amazon_action,
    amazon_order,
    refill,
)
from oms.domain.errors import DomainError, TransientStoreError
from oms.services import orders as order_service
from oms.services import tasklog
from oms.services.connectors import (
    cancel_from_channel,
    change_connector,
    credentials,
    direction,
    note,
    record_failure,
    require_connector,
)
from oms.services.context import repos

log = logging.getLogger(__name__)
POLL_OVERLAP = timedelta(minutes=2)  # re-read a little before the watermark: clocks and lag
FIRST_POLL_LOOKBACK = timedelta(days=1)


def poll_amazon(tenant_id: str, connector_id: str) -> dict[str, int]:
    """One polling run: every order updated since the watermark, page by page.

    searchOrders has a tiny rate (about one call every 3 minutes, burst 20): the run spends a
    token bucket kept on the connector and, when it is empty, pauses with its place (the page
    token) saved, so the next run continues instead of starting over. Imports and cancellations
    are idempotent, so a page read twice is harmless. The watermark moves only when a run has
    seen everything."""
    counts = dict.fromkeys(
        ("pages", "seen", "imported", "known", "cancelled", "skipped", "failed", "throttled"), 0
    )
    doc, _ = require_connector(tenant_id, connector_id)
    if doc["status"] != ConnectorStatus.ACTIVE.value or doc["type"] != ConnectorType.AMAZON.value:
        return counts
    if not direction(doc).takes_orders:  # an OUTBOUND-only connector only confirms shipments
        return counts
    cfg = doc["config"]
    rate, burst = float(cfg.get("search_rate_per_second", 0.0056)), int(cfg.get("search_burst", 20))
    now = epoch()
    budget = refill(
        float(doc.get("search_tokens", burst)), float(doc.get("search_tokens_at", now)), now, rate, burst
    )
    resume = doc.get("resume") or {}
    with tasklog.task("connector.amazon_poll", tenant_id, connector_id) as run:
        if resume:
            start_from, token, newest = resume["start_from"], resume.get("token"), resume.get("newest")
        else:
            start_from = iso(
                parse_iso(doc["watermark"]) - POLL_OVERLAP
                if doc.get("watermark")
                else utcnow() - FIRST_POLL_LOOKBACK
            )
            token, newest = None, doc.get("watermark")
        client = spapi.SpApiClient(credentials(doc))
        place = _Place(start_from, token, newest, budget, resumed=bool(resume))
        try:
            _read_pages(tenant_id, connector_id, doc, client, place, counts)
        except (spapi.AmazonRejected, TransientStoreError) as exc:
            counts["throttled"] = client.throttled
            run.outcome, run.details = "retry", counts
            change_connector(
                tenant_id,
                connector_id,
                lambda d: {"search_tokens": max(place.budget, 0.0), "search_tokens_at": epoch()},
            )
            record_failure(tenant_id, connector_id, str(exc))
            note(tenant_id, connector_id, "poll_failed", error=str(exc)[:500], **counts)
            raise
        counts["throttled"] = client.throttled
        state: dict[str, Any] = {
            "search_tokens": max(place.budget, 0.0),
            "search_tokens_at": epoch(),
            "consecutive_failures": 0,
        }
        if place.finished:
            state.update(watermark=place.newest, resume=None)
            note(tenant_id, connector_id, "poll_completed", watermark=place.newest, **counts)
        else:
            state["resume"] = {"start_from": place.start_from, "token": place.token, "newest": place.newest}
            note(tenant_id, connector_id, "poll_paused", reason="searchOrders rate budget spent", **counts)
        change_connector(tenant_id, connector_id, lambda d: state)
        run.details = {**counts, "finished": place.finished}
        return counts


@dataclass
class _Place:
    """Where a polling run stands: its window, the next page, the newest change seen, its budget."""

    start_from: str
    token: str | None
    newest: str | None
    budget: float
    resumed: bool
    finished: bool = False


def _read_pages(
    tenant_id: str,
    connector_id: str,
    doc: dict[str, Any],
    client: spapi.SpApiClient,
    place: _Place,
    counts: dict[str, int],
) -> None:
    while place.budget >= 1:
        before = client.attempts
        try:
            page, place.token = client.search_orders(place.start_from, place.token)
        except spapi.AmazonRejected:
            if not place.resumed or place.token is None:
                raise
            place.token, place.resumed = None, False  # a stale page token: read the window again
            continue
        finally:
            place.budget -= client.attempts - before
        counts["pages"] += 1
        for raw in page:
            counts["seen"] += 1
            counts[_apply_amazon(tenant_id, connector_id, doc, raw)] += 1
            updated = str(raw.get("lastUpdatedTime") or "")
            if updated and (place.newest is None or updated > place.newest):
                place.newest = updated
        if not place.token:
            place.finished = True
            return


def _apply_amazon(tenant_id: str, connector_id: str, connector: dict[str, Any], raw: dict[str, Any]) -> str:
    action = amazon_action(raw)
    seller = connector["config"]["seller_id"]
    if action == "skip":
        return "skipped"
    if action == "cancel":
        order_id = str(raw.get("orderId") or "")
        if not AMAZON_ORDER_ID.fullmatch(order_id):
            return "skipped"
        link = ChannelLink(
            channel="AMAZON", connector_id=connector_id, account=seller, channel_order_id=order_id
        )
        existing = order_service.find_imported(tenant_id, link)
        if existing is None:
            return "skipped"
        return (
            "cancelled"
            if cancel_from_channel(tenant_id, connector_id, existing, order_id) == "cancelled"
            else "skipped"
        )
    try:
        order, created = order_service.import_order(tenant_id, amazon_order(raw, connector_id, seller))
    except ImportProblem as exc:
        note(tenant_id, connector_id, "import_failed", amazon_order_id=raw.get("orderId"), reason=str(exc))
        return "failed"
    if created:
        note(
            tenant_id,
            connector_id,
            "order_imported",
            order_id=order.id,
            order_number=order.order_number,
            amazon_order_id=raw.get("orderId"),
        )
    return "imported" if created else "known"


def poll_all() -> dict[str, int]:
    """The schedule: every active Amazon connector of every tenant."""
    totals = {"connectors": 0, "failed": 0}
    for tenant_id in repos.directory.tenant_ids():
        for doc in repos.connectors.all(tenant_id):
            if doc["type"] != ConnectorType.AMAZON.value or doc["status"] != ConnectorStatus.ACTIVE.value:
                continue
            totals["connectors"] += 1
            try:
                poll_amazon(tenant_id, doc["id"])
            except (DomainError, spapi.AmazonRejected) as exc:
                totals["failed"] += 1
                log.warning("poll of %s/%s failed: %s", tenant_id, doc["id"], exc)
    return totals
