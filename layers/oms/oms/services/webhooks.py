"""Outbound webhooks: endpoints a merchant registers, and the delivery of domain events to them.

Delivery is at-least-once and one endpoint's trouble stays its own: a domain event (WebhookQueue)
is fanned out into one delivery record per (event, endpoint), created with a conditional put (a
redelivered event finds it), and one message per delivery on the delivery queue
(WebhookRetryQueue), where every attempt happens - the first at once, retries after their delay
(5, 10, 20 minutes by default, then DEAD). An attempt has a wall-clock budget (connect to last
byte), attempts are recorded under a condition on the attempt count (two workers cannot both
record attempt n), and receivers deduplicate on X-OMS-Event-Id. A tenant has at most
MAX_ENDPOINTS_PER_TENANT endpoints (counted in the same transaction as they are created), and
their signing secrets are stored sealed (secrets_box; ADR 0020).

A tenant's Slack incoming webhook (ADR 0033) is one more target of the exception events, endpoint
id `slack`: the same delivery records, queue and retries, a Slack-shaped body (`{"text": ...}`),
no signature (Slack does not verify one; the URL is the credential, sealed at rest and masked in
the delivery record, opened only for an attempt).
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlsplit

from oms.adapters import http_delivery, metrics, queues, secrets_box
from oms.config import settings
from oms.domain.clock import epoch, iso, now_iso, parse_iso, utcnow
from oms.domain.errors import Conflict, NotFound, ValidationFailed
from oms.domain.events import DomainEvent
from oms.domain.exception_events import EXCEPTION_EVENT_TYPES, slack_body
from oms.domain.models import Principal
from oms.domain.webhooks import (
    DEFAULT_SIGNATURE_VERSION,
    DELIVERY_ID_HEADER,
    EVENT_HEADER,
    EVENT_ID_HEADER,
    MAX_ENDPOINTS_PER_TENANT,
    ROTATION_GRACE,
    TEST_EVENT,
    TIMESTAMP_HEADER,
    EndpointCreate,
    EndpointUpdate,
    new_secret,
    retry_delay,
    signature_headers,
    subscribed,
    url_problem,
)
from oms.services import tasklog
from oms.services.context import repos, retry_lost_updates

MASK = "***"
LOG_DAYS = 30
SECRET_FIELDS = ("secret", "previous_secret")
SYNC_BUDGET_SECONDS = 5.0  # an attempt made inside an API request (test, manual retry)
_NS = uuid.UUID("0c7d6a0e-5a35-4f7e-8f55-3d1b2f0a9e11")
SLACK = "slack"  # the endpoint id (and kind) of a tenant's Slack target


# ------------------------------------------------------------------ endpoints
def _view(doc: dict[str, Any], *, reveal: bool = False) -> dict[str, Any]:
    view = {k: v for k, v in doc.items() if k not in ("secret", "previous_secret")}
    view.setdefault("signature_version", DEFAULT_SIGNATURE_VERSION)  # endpoints made before v1
    view["secret"] = doc["secret"] if reveal else MASK
    if doc.get("previous_secret"):
        view["previous_secret"] = MASK
    return view


def check_url(url: str) -> None:
    cfg = settings()
    problem = url_problem(url, allow_http=cfg.webhook_allow_insecure)
    if problem is None:
        parts = urlsplit(url)
        try:
            http_delivery.resolve_checked(
                parts.hostname or "",
                parts.port or (443 if parts.scheme == "https" else 80),
                cfg.webhook_allow_insecure,
            )
        except http_delivery.UnsafeTarget as exc:
            problem = str(exc)
    if problem:
        raise ValidationFailed(
            f"webhook URL refused: {problem}",
            details=[{"loc": ["body", "url"], "msg": problem, "type": "unsafe_url"}],
        )


def _limit_reached() -> ValidationFailed:
    return ValidationFailed(
        f"a tenant may have at most {MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first",
        details=[{"loc": ["body"], "msg": "too many endpoints", "type": "endpoint_limit"}],
        code="endpoint_limit",
    )


def _sealed(tenant_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The document as stored: its secrets sealed (plaintext ones, including any stored before
    sealing existed; sealed ones stay as they are)."""
    return secrets_box.seal_fields(tenant_id, doc, SECRET_FIELDS)


def create_endpoint(principal: Principal, request: EndpointCreate) -> dict[str, Any]:
    check_url(request.url)
    if repos.webhooks.count(principal.tenant_id) >= MAX_ENDPOINTS_PER_TENANT:
        raise _limit_reached()  # the transaction below decides; this spares a KMS call
    now = now_iso()
    endpoint_id = str(uuid.uuid4())
    doc: dict[str, Any] = {
        "id": endpoint_id,
        "tenant_id": principal.tenant_id,
        "url": request.url,
        "event_types": request.event_types,
        "description": request.description,
        "active": request.active,
        "signature_version": request.signature_version,
        "secret": request.secret or new_secret(),
        "previous_secret": None,
        "previous_secret_valid_until": None,
        "created_at": now,
        "updated_at": now,
    }
    stored = _sealed(principal.tenant_id, doc)
    if not repos.webhooks.insert_within(principal.tenant_id, endpoint_id, stored, MAX_ENDPOINTS_PER_TENANT):
        raise _limit_reached()
    return _view(doc, reveal=True)  # the only time the secret is shown


def list_endpoints(principal: Principal) -> list[dict[str, Any]]:
    docs = sorted(repos.webhooks.all(principal.tenant_id), key=lambda d: d["created_at"])
    return [_view(d) for d in docs]


def _endpoint(tenant_id: str, endpoint_id: str) -> tuple[dict[str, Any], int]:
    found = repos.webhooks.get(tenant_id, endpoint_id)
    if found is None:
        raise NotFound(f"webhook endpoint {endpoint_id} not found", code="webhook_endpoint_not_found")
    return found


def get_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    return _view(_endpoint(principal.tenant_id, endpoint_id)[0])


def _change(principal: Principal, endpoint_id: str, change: Any) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        doc, version = _endpoint(principal.tenant_id, endpoint_id)
        new = {**doc, **change(doc), "updated_at": now_iso()}
        repos.webhooks.replace(principal.tenant_id, endpoint_id, _sealed(principal.tenant_id, new), version)
        return new  # as changed: a new secret in plaintext, to be shown once

    return retry_lost_updates(attempt, "endpoint")


def update_endpoint(principal: Principal, endpoint_id: str, request: EndpointUpdate) -> dict[str, Any]:
    fields = request.model_dump(exclude_unset=True)
    if not fields:
        raise ValidationFailed(
            "nothing to change", details=[{"loc": ["body"], "msg": "empty patch", "type": "value_error"}]
        )
    if "url" in fields:
        check_url(fields["url"])
    return _view(_change(principal, endpoint_id, lambda doc: fields))


def rotate_secret(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """A new secret; the old one stays valid (both signatures are sent) for the grace period."""
    until = iso(utcnow() + ROTATION_GRACE)
    doc = _change(
        principal,
        endpoint_id,
        lambda doc: {
            "secret": new_secret(),
            "previous_secret": doc["secret"],
            "previous_secret_valid_until": until,
        },
    )
    return _view(doc, reveal=True)


def delete_endpoint(principal: Principal, endpoint_id: str) -> None:
    if not repos.webhooks.delete(principal.tenant_id, endpoint_id):
        raise NotFound(f"webhook endpoint {endpoint_id} not found", code="webhook_endpoint_not_found")


# ------------------------------------------------------------------ deliveries
def _delivery_id(event_id: str, endpoint_id: str, occurred_at: str) -> str:
    stamp = occurred_at.replace("-", "").replace(":", "").replace(".", "").rstrip("Z")
    return f"{stamp}-{uuid.uuid5(_NS, f'{event_id}|{endpoint_id}').hex[:16]}"


def _new_delivery(event: DomainEvent, endpoint: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.occurred_at,
        "data": event.model_dump(mode="json"),
    }
    payload = json.dumps(slack_body(event) if endpoint.get("kind") == SLACK else body, separators=(",", ":"))
    return {
        "id": _delivery_id(event.event_id, endpoint["id"], event.occurred_at),
        "tenant_id": event.tenant_id,
        "endpoint_id": endpoint["id"],
        "url": endpoint["url"],
        "event_id": event.event_id,
        "event_type": event.type,
        "payload": payload,
        "state": "PENDING",
        "attempts": [],
        "next_retry_at": None,
        "created_at": now_iso(),
        "updated_at": now_iso(),
    }


def _secrets(endpoint: dict[str, Any]) -> list[str]:
    tenant_id = endpoint["tenant_id"]
    valid = [secrets_box.open_secret(tenant_id, endpoint["secret"])]
    until = endpoint.get("previous_secret_valid_until")
    if endpoint.get("previous_secret") and until and until > now_iso():
        valid.append(secrets_box.open_secret(tenant_id, endpoint["previous_secret"]))
    return valid


def _attempt(
    delivery: dict[str, Any],
    endpoint: dict[str, Any] | None,
    *,
    may_retry: bool = True,
    budget: float | None = None,
) -> dict[str, Any]:
    """One attempt within `budget` seconds (the configured one by default), recorded (and in the
    task log); schedules the next one if it failed and attempts remain."""
    with tasklog.task("webhook.delivery", delivery["tenant_id"], delivery["id"]) as run:
        result = _attempt_once(delivery, endpoint, may_retry, budget or settings().webhook_timeout_seconds)
        last = result["attempts"][-1] if result["attempts"] else {}
        run.outcome = {"DELIVERED": "success", "RETRYING": "retry", "DEAD": "failure"}.get(
            result["state"], "success"
        )
        run.details = {
            "status_code": last.get("status_code"),
            "error": last.get("error"),
            "event": delivery["event_type"],
        }
        return result


def _attempt_once(
    delivery: dict[str, Any], endpoint: dict[str, Any] | None, may_retry: bool, budget: float
) -> dict[str, Any]:
    cfg = settings()
    made = len(delivery["attempts"])
    started_at = now_iso()
    if endpoint is None or not endpoint.get("active", True):
        result = http_delivery.SendResult(None, 0.0, "", "endpoint deleted or inactive")
    else:
        body = delivery["payload"].encode()
        timestamp = int(epoch())
        signed = (
            {}
            if endpoint.get("kind") == SLACK
            else signature_headers(
                endpoint.get("signature_version") or DEFAULT_SIGNATURE_VERSION,
                _secrets(endpoint),
                timestamp,
                body,
            )
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Cirrus-OMS-Webhooks/1",
            **signed,
            TIMESTAMP_HEADER: str(timestamp),
            EVENT_HEADER: delivery["event_type"],
            EVENT_ID_HEADER: delivery["event_id"],
            DELIVERY_ID_HEADER: delivery["id"],
        }
        result = http_delivery.send(
            endpoint["url"],
            body,
            headers,
            budget=budget,
            allow_loopback=cfg.webhook_allow_insecure,
        )
    attempts = [
        *delivery["attempts"],
        {
            "at": started_at,
            "status_code": result.status_code,
            "latency_ms": round(result.latency_ms, 1),
            "response_excerpt": result.response_excerpt,
            "error": result.error,
        },
    ]
    retryable = may_retry and endpoint is not None and not result.ok
    delay = retry_delay(len(attempts), cfg.webhook_retry_seconds) if retryable else None
    state = "DELIVERED" if result.ok else "RETRYING" if delay else "DEAD"
    updated = {
        **delivery,
        "attempts": attempts,
        "state": state,
        "next_retry_at": iso(utcnow() + delay) if delay else None,
        "updated_at": now_iso(),
    }
    if not repos.webhooks.save_attempt(delivery["tenant_id"], updated, expected_attempts=made):
        return repos.webhooks.delivery(delivery["tenant_id"], delivery["id"]) or updated  # another worker won
    if state == "DEAD" and delivery["state"] != "DEAD" and delivery["event_type"] != TEST_EVENT:
        metrics.count(metrics.WEBHOOKS_DEAD, tenant_id=delivery["tenant_id"])
    if delay is not None and cfg.webhook_retry_queue_url:
        queues.send(
            cfg.webhook_retry_queue_url,
            {"tenant_id": delivery["tenant_id"], "delivery_id": delivery["id"]},
            delay.total_seconds(),
        )
    return updated


def _delivery_message(delivery: dict[str, Any]) -> dict[str, Any]:
    return {"tenant_id": delivery["tenant_id"], "delivery_id": delivery["id"]}


def fan_out(event: DomainEvent, endpoints_by_tenant: dict[str, list[dict[str, Any]]] | None = None) -> int:
    """A domain event (from WebhookQueue): one delivery record and one message on the delivery
    queue per active endpoint of its tenant that wants it; the attempts happen there, each on its
    own. `endpoints_by_tenant` caches the endpoint lists across one batch of events. Returns the
    number of deliveries queued."""
    cache = endpoints_by_tenant if endpoints_by_tenant is not None else {}
    if event.tenant_id not in cache:
        cache[event.tenant_id] = repos.webhooks.all(event.tenant_id)
    targets = cache[event.tenant_id]
    if event.type in EXCEPTION_EVENT_TYPES:
        slack_key = f"{event.tenant_id}|{SLACK}"
        if slack_key not in cache:
            slack = _slack_target(event.tenant_id, opened=False)
            cache[slack_key] = [slack] if slack else []
        targets = [*targets, *cache[slack_key]]
    messages = []
    for endpoint in targets:
        if not subscribed(endpoint, event.type):
            continue
        delivery = _new_delivery(event, endpoint)
        if not repos.webhooks.insert_delivery(event.tenant_id, delivery, _expiry()):
            existing = repos.webhooks.delivery(event.tenant_id, delivery["id"])
            if existing is None or existing["state"] != "PENDING" or existing["attempts"]:
                continue  # attempted already: it goes on on its own schedule
            # created by a run that died before queueing it: queue it (again, at worst)
        messages.append(_delivery_message(delivery))
    if messages:
        queues.send_batch(str(settings().webhook_retry_queue_url), messages)
    return len(messages)


def deliver_event_to(event: DomainEvent, endpoint_id: str) -> str:
    """A workflow action (ADR 0035): `event` delivered to one endpoint, subscribed or not, through
    the signed delivery pipeline (the same delivery id as the fan-out's, so the endpoint gets the
    event once either way). Returns "queued", "duplicate" or "endpoint_missing"."""
    found = repos.webhooks.get(event.tenant_id, endpoint_id)
    if found is None or not found[0].get("active", True):
        return "endpoint_missing"
    delivery = _new_delivery(event, found[0])
    if not repos.webhooks.insert_delivery(event.tenant_id, delivery, _expiry()):
        existing = repos.webhooks.delivery(event.tenant_id, delivery["id"])
        if existing is None or existing["state"] != "PENDING" or existing["attempts"]:
            return "duplicate"
    queues.send_batch(str(settings().webhook_retry_queue_url), [_delivery_message(delivery)])
    return "queued"


def deliver(tenant_id: str, delivery_id: str) -> str:
    """A message of the delivery queue: the first attempt of a new delivery, or a retry when it
    is due (one received early waits again); a delivery no longer pending or retrying is left.
    Returns the delivery's state afterwards, or what was done instead."""
    delivery = repos.webhooks.delivery(tenant_id, delivery_id)
    if delivery is None:
        return "skipped"
    first = delivery["state"] == "PENDING" and not delivery["attempts"]
    if not first and delivery["state"] != "RETRYING":
        return "skipped"
    due = delivery.get("next_retry_at")
    if not first and due and due > now_iso():
        wait = (parse_iso(due) - utcnow()).total_seconds()
        queues.send(str(settings().webhook_retry_queue_url), _delivery_message(delivery), wait)
        return "waiting"
    return str(_attempt(delivery, _target(tenant_id, delivery["endpoint_id"]))["state"])


def _slack_target(tenant_id: str, *, opened: bool) -> dict[str, Any] | None:
    """The tenant's Slack target as an endpoint (its URL masked unless `opened`), or None."""
    found = repos.notifications.get(tenant_id, SLACK)
    if found is None or not found[0].get("url"):
        return None
    sealed = found[0]["url"]
    return {
        "id": SLACK,
        "kind": SLACK,
        "tenant_id": tenant_id,
        "url": secrets_box.open_secret(tenant_id, sealed) if opened else found[0].get("url_hint", MASK),
        "event_types": list(EXCEPTION_EVENT_TYPES),
        "active": True,
    }


def _target(tenant_id: str, endpoint_id: str) -> dict[str, Any] | None:
    """Where a delivery goes now: its webhook endpoint, or the tenant's Slack URL (opened)."""
    if endpoint_id == SLACK:
        return _slack_target(tenant_id, opened=True)
    found = repos.webhooks.get(tenant_id, endpoint_id)
    return found[0] if found else None


def _expiry() -> int:
    return int(epoch() + LOG_DAYS * 86400)


def test_endpoint(principal: Principal, endpoint_id: str) -> dict[str, Any]:
    """Send a `webhook.test` event now and return the delivery with its one attempt."""
    endpoint = _endpoint(principal.tenant_id, endpoint_id)[0]
    now = now_iso()
    event = DomainEvent(
        event_id=str(uuid.uuid4()),
        type=TEST_EVENT,
        tenant_id=principal.tenant_id,
        order_id="",
        order_number=None,
        status="",
        sequence=0,
        occurred_at=now,
        actor=principal.actor,
        change=TEST_EVENT,
        data={"message": "Cirrus OMS test event"},
    )
    delivery = _new_delivery(event, endpoint)
    repos.webhooks.insert_delivery(principal.tenant_id, delivery, _expiry())
    # a test is one attempt, never retried (and it is sent even to an inactive endpoint)
    result = _attempt(delivery, {**endpoint, "active": True}, may_retry=False, budget=_sync_budget())
    return _delivery_view(result)


def _delivery_view(delivery: dict[str, Any]) -> dict[str, Any]:
    last = delivery["attempts"][-1] if delivery["attempts"] else {}
    return {
        **{k: v for k, v in delivery.items() if k != "payload"},
        "attempt_count": len(delivery["attempts"]),
        "last_status_code": last.get("status_code"),
        "last_latency_ms": last.get("latency_ms"),
        "last_error": last.get("error"),
    }


def list_deliveries(
    principal: Principal, limit: int, cursor: str | None, endpoint_id: str | None, state: str | None
) -> dict[str, Any]:
    items, next_cursor = repos.webhooks.deliveries(principal.tenant_id, limit, cursor, endpoint_id, state)
    return {"items": [_delivery_view(d) for d in items], "count": len(items), "next_cursor": next_cursor}


def retry_delivery(principal: Principal, delivery_id: str) -> dict[str, Any]:
    """Send a delivery again now (a DEAD one after the receiver was fixed, or a retrying one early)."""
    delivery = repos.webhooks.delivery(principal.tenant_id, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found", code="delivery_not_found")
    if delivery["state"] == "DELIVERED":
        raise Conflict("this delivery succeeded already", code="already_delivered")
    target = _target(principal.tenant_id, delivery["endpoint_id"])
    if target is None:
        raise Conflict("the endpoint of this delivery was deleted", code="webhook_endpoint_deleted")
    # one more attempt now; a DEAD delivery that fails again stays DEAD (no new schedule)
    result = _attempt(delivery, target, may_retry=delivery["state"] != "DEAD", budget=_sync_budget())
    return _delivery_view(result)


def _sync_budget() -> float:
    """An attempt inside an API request must end well before the request does."""
    return min(settings().webhook_timeout_seconds, SYNC_BUDGET_SECONDS)
