"""A tenant's Slack incoming webhook for exception events (ADR 0033): `GET/PUT
/notifications/slack`. The URL is checked by the webhooks' SSRF guard (scheme, no credentials in
it, every address it resolves to public) and stored sealed like a webhook secret: whoever holds a
Slack incoming-webhook URL can post to the channel. It is never shown again whole; the view gives
its scheme and host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from oms.adapters import secrets_box
from oms.domain.clock import now_iso
from oms.domain.models import Principal, Strict
from oms.services import webhooks
from oms.services.context import repos, retry_lost_updates

SLACK = webhooks.SLACK


class SlackSettings(Strict):
    url: str | None = Field(min_length=8, max_length=2048)


def _hint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/{webhooks.MASK}"


def _view(doc: dict[str, Any] | None) -> dict[str, Any]:
    if not doc or not doc.get("url"):
        return {"url": None, "configured": False, "updated_at": (doc or {}).get("updated_at")}
    return {
        "url": doc.get("url_hint", webhooks.MASK),
        "configured": True,
        "updated_at": doc.get("updated_at"),
    }


def get_slack(principal: Principal) -> dict[str, Any]:
    found = repos.notifications.get(principal.tenant_id, SLACK)
    return _view(found[0] if found else None)


def put_slack(principal: Principal, request: SlackSettings) -> dict[str, Any]:
    tenant_id = principal.tenant_id
    if request.url is not None:
        webhooks.check_url(request.url)
        doc: dict[str, Any] = {
            "url": secrets_box.seal(tenant_id, request.url),
            "url_hint": _hint(request.url),
        }
    else:
        doc = {"url": None, "url_hint": None}
    doc.update({"updated_at": now_iso(), "updated_by": principal.actor})

    def attempt() -> None:
        found = repos.notifications.get(tenant_id, SLACK)
        if found is None:
            repos.notifications.insert(tenant_id, SLACK, doc)
        else:
            repos.notifications.replace(tenant_id, SLACK, doc, found[1])

    retry_lost_updates(attempt, "Slack settings")
    return _view(doc)
