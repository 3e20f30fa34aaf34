"""Sales-channel connectors: configuration (CRUD, connection test, event log) and the helpers
the channel flows share (event log notes, failure counting, cancellation from a channel).
The flows themselves: shopify_inbound (webhooks in), amazon_poller (orders polled),
shipments (shipments pushed back). Every inbound effect is idempotent (claimed event ids,
order ids derived from the channel's order id); every worker execution is in the task log;
every connector keeps an event log a merchant can read."""

from __future__ import annotations

import re
import uuid
from typing import Any

from oms.adapters import function_urls, secrets_box, shopify, spapi
from oms.config import settings
from oms.domain.clock import now_iso
from oms.domain.connectors import (
    SECRET_FIELDS,
    SEED_TYPE_OF,
    ConnectorCreate,
    ConnectorDirection,
    ConnectorStatus,
    ConnectorType,
    ConnectorUpdate,
    canonical_config,
    masked,
    merge_config,
    new_webhook_secret,
    secrets_required,
)
from oms.domain.errors import Conflict, NotFound, TransientStoreError, ValidationFailed
from oms.domain.lifecycle import OrderStatus
from oms.domain.models import Order, Principal
from oms.services import orders as order_service
from oms.services.context import repos, retry_lost_updates

FAILURES_BEFORE_ERROR = 3  # consecutive failed pushes before a connector is marked ERROR


# ------------------------------------------------------------------ configuration
def _log_pk(tenant_id: str, connector_id: str) -> str:
    return f"T#{tenant_id}#CONNLOG#{connector_id}"


def note(tenant_id: str, connector_id: str, kind: str, **details: Any) -> None:
    """One entry in the connector's event log."""
    at = now_iso()
    repos.logs.append(_log_pk(tenant_id, connector_id), at, {"at": at, "type": kind, **details})


def sealed_config(tenant_id: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config as stored: credentials sealed (secrets_box; ADR 0020). Plaintext ones (new, or
    stored before sealing existed) are sealed; sealed ones stay; nothing to seal, no KMS call."""
    return secrets_box.seal_fields(tenant_id, config, sorted(SECRET_FIELDS))


def credentials(connector: dict[str, Any]) -> dict[str, Any]:
    """The connector's config with its credentials opened, for the channel adapters only (never
    for a view, a log or an error)."""
    tenant_id = connector["tenant_id"]
    return {
        k: secrets_box.open_secret(tenant_id, v) if k in SECRET_FIELDS and isinstance(v, str) and v else v
        for k, v in (connector.get("config") or {}).items()
    }


def webhook_url(tenant_id: str, connector_id: str) -> str | None:
    base = function_urls.shopify_webhook_base()
    return f"{base.rstrip('/')}/shopify/{tenant_id}/{connector_id}" if base else None


def direction(doc: dict[str, Any]) -> ConnectorDirection:
    return ConnectorDirection(doc.get("direction") or ConnectorDirection.BIDIRECTIONAL.value)


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    view = {
        **doc,
        "config": masked(doc.get("config") or {}),
        "connector_type": SEED_TYPE_OF.get(doc.get("type") or "", doc.get("type")),  # the seed's name
        "direction": direction(doc).value,
    }
    if doc.get("type") == ConnectorType.SHOPIFY.value:
        # two addresses Shopify may call: the Function URL (preferred: its own concurrency) and
        # the API's public receiver, relative to the API's base URL
        view["webhook_url"] = webhook_url(doc["tenant_id"], doc["id"])
        view["webhook_path"] = f"/connectors/{doc['id']}/webhook"
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


def _check_nodes(tenant_id: str, config: dict[str, Any]) -> None:
    """A location map names the tenant's own nodes only (ADR 0040)."""
    mapped = config.get("location_map") or {}
    if not mapped:
        return
    known = {node.id for node in repos.nodes.all(tenant_id)}
    unknown = sorted(n for n in mapped if n not in known)
    if unknown:
        raise ValidationFailed(
            "location_map names nodes this tenant does not have",
            details=[
                {"loc": ["body", "config", "location_map", n], "msg": "no such node", "type": "unknown_node"}
                for n in unknown
            ],
        )


def create(principal: Principal, request: ConnectorCreate) -> dict[str, Any]:
    try:
        config = request.validated_config()
    except ValueError as exc:
        raise _invalid(exc) from exc
    _check_endpoints(request.kind.value, config)
    _check_nodes(principal.tenant_id, config)
    now = now_iso()
    connector_id = str(uuid.uuid4())
    doc: dict[str, Any] = {
        "id": connector_id,
        "tenant_id": principal.tenant_id,
        "type": request.kind.value,
        "direction": request.direction.value,
        "name": request.name,
        "status": (ConnectorStatus.ACTIVE if request.active else ConnectorStatus.INACTIVE).value,
        "config": sealed_config(principal.tenant_id, config),
        "last_error": None,
        "consecutive_failures": 0,
        "watermark": None,
        "created_at": now,
        "updated_at": now,
    }
    repos.connectors.insert(principal.tenant_id, connector_id, doc)
    return _view(doc)


def require_connector(tenant_id: str, connector_id: str) -> tuple[dict[str, Any], int]:
    found = repos.connectors.get(tenant_id, connector_id)
    if found is None:
        raise NotFound(f"connector {connector_id} not found", code="connector_not_found")
    return found


def list_all(principal: Principal) -> list[dict[str, Any]]:
    return [
        _view(d) for d in sorted(repos.connectors.all(principal.tenant_id), key=lambda d: d["created_at"])
    ]


def get(principal: Principal, connector_id: str) -> dict[str, Any]:
    return _view(require_connector(principal.tenant_id, connector_id)[0])


def change_connector(tenant_id: str, connector_id: str, change: Any) -> dict[str, Any]:
    def attempt() -> dict[str, Any]:
        doc, version = require_connector(tenant_id, connector_id)
        new = {**doc, **change(doc), "updated_at": now_iso()}
        new["config"] = sealed_config(tenant_id, new.get("config") or {})  # any write seals
        repos.connectors.replace(tenant_id, connector_id, new, version)
        return new

    return retry_lost_updates(attempt, "connector")


def update(principal: Principal, connector_id: str, request: ConnectorUpdate) -> dict[str, Any]:
    tenant_id = principal.tenant_id
    fields = request.model_dump(exclude_unset=True)
    if not fields:
        raise ValidationFailed(
            "nothing to change", details=[{"loc": ["body"], "msg": "empty", "type": "value_error"}]
        )

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if fields.get("name"):
            result["name"] = fields["name"]
        if fields.get("direction"):
            result["direction"] = fields["direction"]
        if fields.get("config") is not None:
            try:
                change = canonical_config(doc["type"], fields["config"])
            except ValueError as exc:
                raise _invalid(exc) from exc
            stored = credentials(doc)
            merged = merge_config(stored, change)
            try:
                result["config"] = ConnectorCreate(
                    type=doc["type"], name=doc["name"], config=merged
                ).validated_config()
            except ValueError as exc:
                raise _invalid(exc) from exc
            _check_endpoints(doc["type"], result["config"])
            _check_nodes(tenant_id, result["config"])
            missing = secrets_required(doc["type"], stored, result["config"], change)
            if missing:
                raise ValidationFailed(
                    "a connector moved to another destination needs its credentials again",
                    details=[
                        {"loc": ["body", "config", f], "msg": "send it again", "type": "secrets_required"}
                        for f in missing
                    ],
                    code="secrets_required",
                )
        return result

    updated = change_connector(principal.tenant_id, connector_id, change)
    repos.connectors.index(principal.tenant_id, connector_id)  # connectors made before the index
    return _view(updated)


def toggle(principal: Principal, connector_id: str) -> dict[str, Any]:
    """ACTIVE -> INACTIVE; INACTIVE or ERROR -> ACTIVE (which clears the error)."""

    def change(doc: dict[str, Any]) -> dict[str, Any]:
        if doc["status"] == ConnectorStatus.ACTIVE.value:
            return {"status": ConnectorStatus.INACTIVE.value}
        return {"status": ConnectorStatus.ACTIVE.value, "last_error": None, "consecutive_failures": 0}

    return _view(change_connector(principal.tenant_id, connector_id, change))


def delete(principal: Principal, connector_id: str) -> None:
    if not repos.connectors.delete(principal.tenant_id, connector_id):
        raise NotFound(f"connector {connector_id} not found", code="connector_not_found")


def generate_secret() -> dict[str, str]:
    return {"secret": new_webhook_secret()}


def events(principal: Principal, connector_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    require_connector(principal.tenant_id, connector_id)
    items, next_cursor = repos.logs.page(_log_pk(principal.tenant_id, connector_id), limit, cursor)
    return {"items": items, "count": len(items), "next_cursor": next_cursor}


def test(principal: Principal, connector_id: str) -> dict[str, Any]:
    """Reach the channel with the stored credentials."""
    doc, _ = require_connector(principal.tenant_id, connector_id)
    try:
        if doc["type"] == ConnectorType.SHOPIFY.value:
            detail = f"shop {shopify.shop_name(credentials(doc))!r}"
        else:
            client = spapi.SpApiClient(credentials(doc), max_attempts=2)
            client.access_token()
            detail = "LWA token exchange succeeded"
        ok, error = True, None
    except (shopify.ShopifyRejected, spapi.AmazonRejected, TransientStoreError) as exc:
        ok, detail, error = False, "", str(exc)[:500]
    note(principal.tenant_id, connector_id, "connection_test", ok=ok, detail=detail, error=error)
    return {"ok": ok, "detail": detail, "error": error}


def record_failure(tenant_id: str, connector_id: str, error: str) -> None:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        failures = int(doc.get("consecutive_failures") or 0) + 1
        result: dict[str, Any] = {"consecutive_failures": failures, "last_error": error[:500]}
        if failures >= FAILURES_BEFORE_ERROR and doc["status"] == ConnectorStatus.ACTIVE.value:
            result["status"] = ConnectorStatus.ERROR.value
        return result

    change_connector(tenant_id, connector_id, change)


def record_success(tenant_id: str, connector: dict[str, Any]) -> None:
    if connector.get("consecutive_failures"):
        change_connector(tenant_id, connector["id"], lambda doc: {"consecutive_failures": 0})


def cancel_from_channel(tenant_id: str, connector_id: str, order: Order, event_id: str) -> str:
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
