"""Sales-channel connectors: configuration, Shopify webhooks in, Amazon orders polled, shipments
pushed back. Every inbound effect is idempotent (claimed event ids, order ids derived from the
channel's order id); every worker execution is in the task log; every connector keeps an event
log a merchant can read."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from oms.adapters import function_urls, queues, shopify, spapi
from oms.config import settings
from oms.domain.clock import iso, now_iso, parse_iso, utcnow
from oms.domain.connectors import (
    SHOPIFY_TOPICS,
    ConnectorCreate,
    ConnectorStatus,
    ConnectorType,
    ConnectorUpdate,
    ImportProblem,
    amazon_action,
    amazon_order,
    masked,
    merge_config,
    new_webhook_secret,
    refill,
    shopify_hmac_valid,
    shopify_order,
)
from oms.domain.errors import Conflict, DomainError, NotFound, TransientStoreError, ValidationFailed
from oms.domain.events import DomainEvent
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Channel, Order, Principal
from oms.services import orders as order_service
from oms.services import tasklog
from oms.services.context import repos, retry_lost_updates

log = logging.getLogger(__name__)
FAILURES_BEFORE_ERROR = 3  # consecutive failed pushes before a connector is marked ERROR
POLL_OVERLAP = timedelta(minutes=2)  # re-read a little before the watermark: clocks and lag
FIRST_POLL_LOOKBACK = timedelta(days=1)


# ------------------------------------------------------------------ configuration
def _log_pk(tenant_id: str, connector_id: str) -> str:
    return f"T#{tenant_id}#CONNLOG#{connector_id}"


def note(tenant_id: str, connector_id: str, kind: str, **details: Any) -> None:
    """One entry in the connector's event log."""
    at = now_iso()
    repos.logs.append(_log_pk(tenant_id, connector_id), at, {"at": at, "type": kind, **details})


def webhook_url(tenant_id: str, connector_id: str) -> str | None:
    base = function_urls.shopify_webhook_base()
    return f"{base.rstrip('/')}/shopify/{tenant_id}/{connector_id}" if base else None


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {**doc, "config": masked(doc.get("config") or {})}
    if doc.get("type") == ConnectorType.SHOPIFY.value:
        view["webhook_url"] = webhook_url(doc["tenant_id"], doc["id"])
    return view


def _invalid(exc: Exception) -> ValidationFailed:
    details = getattr(exc, "errors", None)
    return ValidationFailed(
        "invalid connector configuration",
        details=[
            {"loc": ["body", "config", *e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in (
                details(include_url=False, include_context=False, include_input=False) if details else []
            )
        ]
        or [{"loc": ["body", "config"], "msg": str(exc), "type": "value_error"}],
    )


_AMAZON_ENDPOINTS = re.compile(r"^https://sellingpartnerapi(-sandbox)?-(na|eu|fe)\.amazon\.com$")
_LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"


def _check_endpoints(kind: str, config: dict[str, Any]) -> None:
    """The server calls these URLs with the merchant's credentials: only the channels' own hosts
    (a fake channel's address is accepted only where insecure targets are, locally)."""
    if settings().webhook_allow_insecure:
        return
    bad = []
    if kind == ConnectorType.SHOPIFY.value and config.get("admin_api_url"):
        bad.append("admin_api_url")
    if kind == ConnectorType.AMAZON.value:
        if not _AMAZON_ENDPOINTS.match(str(config.get("endpoint", ""))):
            bad.append("endpoint")
        if config.get("token_url") != _LWA_TOKEN_URL:
            bad.append("token_url")
    if bad:
        raise ValidationFailed(
            "connector endpoints must be the channel's own",
            details=[
                {"loc": ["body", "config", b], "msg": "not allowed here", "type": "unsafe_url"} for b in bad
            ],
        )


def create(principal: Principal, request: ConnectorCreate) -> dict[str, Any]:
    try:
        config = request.validated_config()
    except ValueError as exc:
        raise _invalid(exc) from exc
    _check_endpoints(request.type.value, config)
    now = now_iso()
    connector_id = str(uuid.uuid4())
    doc: dict[str, Any] = {
        "id": connector_id,
        "tenant_id": principal.tenant_id,
        "type": request.type.value,
        "name": request.name,
        "status": (ConnectorStatus.ACTIVE if request.active else ConnectorStatus.INACTIVE).value,
        "config": config,
        "last_error": None,
        "consecutive_failures": 0,
        "watermark": None,
        "created_at": now,
        "updated_at": now,
    }
    repos.connectors.insert(principal.tenant_id, connector_id, doc)
    return _view(doc)


def _require(tenant_id: str, connector_id: str) -> tuple[dict[str, Any], int]:
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None:
        raise NotFound(f"connector {connector_id} not found", code="connector_not_found")
    return found


def list_all(principal: Principal) -> list[dict[str, Any]]:
    return [
        _view(d) for d in sorted(repos.connectors.all(principal.tenant_id), key=lambda d: d["created_at"])
    ]


def get(principal: Principal, connector_id: str) -> dict[str, Any]:
    return _view(_require(principal.tenant_id, connector_id)[0])


def _change(tenant_id: str, connector_id: str, change: Any) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        doc, version = _require(tenant_id, connector_id)
        new = {**doc, **change(doc), "updated_at": now_iso()}
        repos.connectors.replace(tenant_id, connector_id, new, version)
        return new

    return retry_lost_updates(attempt, "connector")


def update(principal: Principal, connector_id: str, request: ConnectorUpdate) -> dict[str, Any]:
    fields = request.model_dump(exclude_unset=True)
    if not fields:
        raise ValidationFailed(
            "nothing to change", details=[{"loc": ["body"], "msg": "empty", "type": "value_error"}]
        )

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if fields.get("name"):
            result["name"] = fields["name"]
        if fields.get("config") is not None:
            merged = merge_config(doc["config"], fields["config"])
            try:
                result["config"] = ConnectorCreate(
                    type=doc["type"], name=doc["name"], config=merged
                ).validated_config()
            except ValueError as exc:
                raise _invalid(exc) from exc
            _check_endpoints(doc["type"], result["config"])
        return result

    return _view(_change(principal.tenant_id, connector_id, change))


def toggle(principal: Principal, connector_id: str) -> dict[str, Any]:
    """ACTIVE -> INACTIVE; INACTIVE or ERROR -> ACTIVE (which clears the error)."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        if doc["status"] == ConnectorStatus.ACTIVE.value:
            return {"status": ConnectorStatus.INACTIVE.value}
        return {"status": ConnectorStatus.ACTIVE.value, "last_error": None, "consecutive_failures": 0}

    return _view(_change(principal.tenant_id, connector_id, change))


def delete(principal: Principal, connector_id: str) -> None:
    if not repos.connectors.delete(principal.tenant_id, connector_id):
        raise NotFound(f"connector {connector_id} not found", code="connector_not_found")


def generate_secret() -> dict[str, str]:
    return {"secret": new_webhook_secret()}


def events(principal: Principal, connector_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    _require(principal.tenant_id, connector_id)
    items, next_cursor = repos.logs.page(_log_pk(principal.tenant_id, connector_id), limit, cursor)
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


def test(principal: Principal, connector_id: str) -> dict[str, Any]:
    """Reach the channel with the stored credentials."""
    doc, _ = _require(principal.tenant_id, connector_id)
    try:
        if doc["type"] == ConnectorType.SHOPIFY.value:
            detail = f"shop {shopify.shop_name(doc['config'])!r}"
        else:
            client = spapi.SpApiClient(doc["config"], max_attempts=2)
            client.access_token()
            detail = "LWA token exchange succeeded"
        ok, error = True, None
    except (shopify.ShopifyRejected, spapi.AmazonRejected, TransientStoreError) as exc:
        ok, detail, error = False, "", str(exc)[:500]
    note(principal.tenant_id, connector_id, "connection_test", ok=ok, detail=detail, error=error)
    return {"ok": ok, "detail": detail, "error": error}


def _record_failure(tenant_id: str, connector_id: str, error: str) -> None:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        failures = int(doc.get("consecutive_failures") or 0) + 1
        result: dict[str, Any] = {"consecutive_failures": failures, "last_error": error[:500]}
        if failures >= FAILURES_BEFORE_ERROR and doc["status"] == ConnectorStatus.ACTIVE.value:
            result["status"] = ConnectorStatus.ERROR.value
        return result

    _change(tenant_id, connector_id, change)


def _record_success(tenant_id: str, connector: dict[str, Any]) -> None:
    if connector.get("consecutive_failures"):
        _change(tenant_id, connector["id"], lambda doc: {"consecutive_failures": 0})


# ------------------------------------------------------------------ Shopify in
def receive_shopify(
    tenant_id: str, connector_id: str, headers: dict[str, str], raw_body: bytes
) -> tuple[int, dict[str, Any]]:
    """The Function URL's work, kept to one read and one send so Shopify gets its answer within a
    second: verify the signature over the raw bytes, then queue. Nothing is stored for a request
    that fails verification."""
    h = {k.lower(): v for k, v in headers.items()}
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None or found[0].get("type") != ConnectorType.SHOPIFY.value:
        return 404, {"error": {"code": "connector_not_found", "message": "unknown connector"}}
    connector = found[0]
    if not shopify_hmac_valid(
        connector["config"]["webhook_secret"], raw_body, h.get("x-shopify-hmac-sha256")
    ):
        return 401, {
            "error": {"code": "invalid_signature", "message": "X-Shopify-Hmac-Sha256 does not match"}
        }
    topic, event_id = (
        h.get("x-shopify-topic", ""),
        h.get("x-shopify-event-id") or h.get("x-shopify-webhook-id"),
    )
    if topic not in SHOPIFY_TOPICS:
        return 200, {"ignored": f"topic {topic!r} is not handled"}
    if not event_id:
        return 400, {"error": {"code": "missing_event_id", "message": "X-Shopify-Event-Id is required"}}
    if connector["status"] == ConnectorStatus.INACTIVE.value:
        return 200, {"ignored": "connector is inactive"}
    try:
        payload_text = raw_body.decode("utf-8")
        json.loads(payload_text)
    except (UnicodeDecodeError, ValueError):
        return 400, {"error": {"code": "malformed_json", "message": "the body is not JSON"}}
    queues.send(
        str(settings().connector_queue_url),
        {
            "kind": "shopify",
            "tenant_id": tenant_id,
            "connector_id": connector_id,
            "topic": topic,
            "event_id": event_id,
            "triggered_at": h.get("x-shopify-triggered-at"),
            "body": payload_text,
        },
    )
    return 200, {"queued": True}


def process_shopify(tenant_id: str, connector_id: str, topic: str, event_id: str, body: str) -> str:
    """Apply one Shopify webhook (from the queue). Returns what happened."""
    with tasklog.task("connector.shopify_import", tenant_id, f"{connector_id}:{event_id}") as run:
        if repos.connectors.claim(tenant_id, connector_id, event_id) == "DONE":
            run.outcome = "skipped"
            note(tenant_id, connector_id, "duplicate_event", event_id=event_id, topic=topic)
            return "duplicate"
        found = repos.connectors.get(tenant_id, connector_id)
        if found is None:
            run.outcome = "skipped"
            return "connector_deleted"
        connector = found[0]
        payload = json.loads(body)
        cfg = connector["config"]
        try:
            imported = shopify_order(payload, connector_id, cfg["shop_domain"], cfg.get("pickup_node_id"))
            order, created = order_service.import_order(tenant_id, imported, f"connector:{connector_id}")
        except ImportProblem as exc:
            note(
                tenant_id,
                connector_id,
                "import_failed",
                event_id=event_id,
                topic=topic,
                reason=str(exc),
                shopify_order_id=payload.get("id"),
            )
            repos.connectors.finish_claim(tenant_id, connector_id, event_id)
            run.outcome, run.details = "failure", {"reason": str(exc)}
            return "import_failed"
        outcome = "imported" if created else "known"
        if topic == "orders/cancelled" or imported.cancelled:
            outcome = _cancel_from_channel(tenant_id, connector_id, order, event_id)
        note(
            tenant_id,
            connector_id,
            f"order_{outcome}",
            event_id=event_id,
            topic=topic,
            order_id=order.id,
            order_number=order.order_number,
            shopify_order_id=payload.get("id"),
        )
        repos.connectors.finish_claim(tenant_id, connector_id, event_id)
        run.details = {"order_id": order.id, "result": outcome}
        return outcome


def _cancel_from_channel(tenant_id: str, connector_id: str, order: Order, event_id: str) -> str:
    """A cancellation from the channel. Once stock has left (shipped or later) it cannot be undone
    here: that is logged for a person (a return), not retried."""
    if order.status == OrderStatus.CANCELLED:
        return "cancelled"
    try:
        order_service.terminate(
            tenant_id,
            order.id,
            OrderStatus.CANCELLED,
            actor=f"connector:{connector_id}",
            reason="cancelled in the sales channel",
            event_type="order.cancelled",
        )
        return "cancelled"
    except Conflict as exc:
        note(
            tenant_id,
            connector_id,
            "cancel_refused",
            event_id=event_id,
            order_id=order.id,
            status=order.status.value,
            reason=exc.message,
        )
        return "cancel_refused"


# ------------------------------------------------------------------ shipments out
def push_shipment(event: DomainEvent, attempt: int = 1) -> str:
    """order.shipped of an order a connector imported: tell the channel (fulfilment with tracking
    for Shopify, confirmShipment for Amazon). Raises to be retried by the queue."""
    order = repos.orders.get(event.tenant_id, event.order_id)
    if order is None:
        return "no_order"
    connector_id = next((t.split(":", 1)[1] for t in order.tags if t.startswith("connector:")), None)
    if connector_id is None:
        return "not_imported"
    found = repos.connectors.get(event.tenant_id, connector_id)
    if found is None or found[0]["status"] == ConnectorStatus.INACTIVE.value:
        return "connector_unavailable"
    connector = found[0]
    if repos.connectors.claim(event.tenant_id, connector_id, event.event_id) == "DONE":
        note(event.tenant_id, connector_id, "duplicate_event", event_id=event.event_id, order_id=order.id)
        return "duplicate"
    shipment = order.shipments[-1] if order.shipments else None
    tracking = (shipment.tracking_number if shipment else "") or ""
    carrier = (shipment.carrier if shipment else "") or "Other"
    external = (order.external_order_id or "").rsplit(":", 1)[-1]
    with tasklog.task("connector.push_shipment", event.tenant_id, f"{connector_id}:{order.id}") as run:
        try:
            if connector["type"] == ConnectorType.SHOPIFY.value:
                result = shopify.push_fulfilment(connector["config"], external, carrier, tracking)
            else:
                _confirm_amazon(connector, order, external, carrier, tracking)
                result = "confirmed"
        except (shopify.ShopifyRejected, spapi.AmazonRejected, TransientStoreError) as exc:
            retryable = isinstance(exc, TransientStoreError)
            run.outcome = "retry" if retryable else "failure"
            note(
                event.tenant_id,
                connector_id,
                "push_failed",
                order_id=order.id,
                attempt=attempt,
                error=str(exc)[:500],
                will_retry=retryable,
            )
            _record_failure(event.tenant_id, connector_id, str(exc))
            if retryable:
                raise
            return "rejected"
        _record_success(event.tenant_id, connector)
        repos.connectors.finish_claim(event.tenant_id, connector_id, event.event_id)
        note(
            event.tenant_id,
            connector_id,
            "shipment_pushed",
            order_id=order.id,
            result=result,
            tracking=tracking,
        )
        run.details = {"result": result}
        return result


def _confirm_amazon(
    connector: dict[str, Any], order: Order, amazon_id: str, carrier: str, tracking: str
) -> None:
    cfg = connector["config"]
    client = spapi.SpApiClient(cfg)
    # confirmShipment names Amazon's order item ids; the order tells them by seller SKU
    item_ids = {
        str((item.get("product") or {}).get("sellerSku")): str(item.get("orderItemId"))
        for item in client.get_order(amazon_id).get("orderItems") or []
    }
    package_number = max(len(order.shipments), 1)
    payload = {
        "marketplaceId": cfg["marketplace_ids"][0],
        "packageDetail": {
            # stable per order and package: a retried confirmation edits instead of adding
            "packageReferenceId": f"{order.order_number}-{package_number}",
            "carrierCode": carrier,
            "trackingNumber": tracking,
            "shipDate": (order.shipments[-1].shipped_at if order.shipments else now_iso()),
            "orderItems": [
                {"orderItemId": item_ids[line.sku], "quantity": line.quantity}
                for line in order.line_items
                if line.sku in item_ids
            ],
        },
    }
    client.confirm_shipment(amazon_id, payload)


# ------------------------------------------------------------------ Amazon in
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
    doc, _ = _require(tenant_id, connector_id)
    if doc["status"] != ConnectorStatus.ACTIVE.value or doc["type"] != ConnectorType.AMAZON.value:
        return counts
    cfg = doc["config"]
    rate, burst = float(cfg.get("search_rate_per_second", 0.0056)), int(cfg.get("search_burst", 20))
    now = time.time()
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
        client = spapi.SpApiClient(cfg)
        place = _Place(start_from, token, newest, budget, resumed=bool(resume))
        try:
            _read_pages(tenant_id, connector_id, doc, client, place, counts)
        except (spapi.AmazonRejected, TransientStoreError) as exc:
            counts["throttled"] = client.throttled
            run.outcome, run.details = "retry", counts
            _change(
                tenant_id,
                connector_id,
                lambda d: {"search_tokens": max(place.budget, 0.0), "search_tokens_at": time.time()},
            )
            _record_failure(tenant_id, connector_id, str(exc))
            note(tenant_id, connector_id, "poll_failed", error=str(exc)[:500], **counts)
            raise
        counts["throttled"] = client.throttled
        state: dict[str, Any] = {
            "search_tokens": max(place.budget, 0.0),
            "search_tokens_at": time.time(),
            "consecutive_failures": 0,
        }
        if place.finished:
            state.update(watermark=place.newest, resume=None)
            note(tenant_id, connector_id, "poll_completed", watermark=place.newest, **counts)
        else:
            state["resume"] = {"start_from": place.start_from, "token": place.token, "newest": place.newest}
            note(tenant_id, connector_id, "poll_paused", reason="searchOrders rate budget spent", **counts)
        _change(tenant_id, connector_id, lambda d: state)
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
        existing = order_service.find_imported(
            tenant_id, f"amazon:{seller}:{raw.get('orderId')}", Channel.MARKETPLACE.value
        )
        if existing is None:
            return "skipped"
        return (
            "cancelled"
            if _cancel_from_channel(tenant_id, connector_id, existing, str(raw.get("orderId"))) == "cancelled"
            else "skipped"
        )
    try:
        order, created = order_service.import_order(
            tenant_id, amazon_order(raw, connector_id, seller), f"connector:{connector_id}"
        )
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
