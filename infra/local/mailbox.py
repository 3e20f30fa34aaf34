"""The local mailbox (`GET /local/mailbox`, `make run` only): the mail moto's SES kept, newest
first, as `{"messages": [{"id","to","from","subject","html","text","sent_at"}]}` (ADR 0036).

moto keeps every sent message in its SES backend (SESv2 `SendEmail` shares the v1 backend's
`sent_messages`): `Raw` messages whole (the app sends MIME), `Simple` ones with only their HTML
(or text) body. The local cloud runs moto in its own process, so this reads the store in place."""

from __future__ import annotations

from email import message_from_string
from email.message import Message
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from typing import Any

MAX_MESSAGES = 200


def _part(message: Message, subtype: str) -> str | None:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}" and not part.is_multipart():
            payload = part.get_content()  # type: ignore[attr-defined]
            return str(payload)
    return None


def _sent_at(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat().replace("+00:00", "Z")
    except (TypeError, ValueError):
        return None


def _entry(sent: Any) -> dict[str, Any]:
    raw = getattr(sent, "raw_data", None)
    if isinstance(raw, str):
        message = message_from_string(raw, policy=default_policy)
        return {
            "id": sent.id,
            "to": [str(a) for a in getattr(sent, "destinations", [])] or [str(message.get("To", ""))],
            "from": str(message.get("From", sent.source or "")),
            "subject": str(message.get("Subject", "")),
            "html": _part(message, "html"),
            "text": _part(message, "plain"),
            "sent_at": _sent_at(message.get("Date")),
        }
    destinations = getattr(sent, "destinations", {}) or {}
    to = [a for values in destinations.values() for a in values] if isinstance(destinations, dict) else []
    body = str(getattr(sent, "body", "") or "")
    return {
        "id": sent.id,
        "to": to,
        "from": str(getattr(sent, "source", "")),
        "subject": str(getattr(sent, "subject", "")),
        "html": body if "<" in body else None,
        "text": None if "<" in body else body,
        "sent_at": None,
    }


def messages(account_id: str, region: str, limit: int = MAX_MESSAGES) -> dict[str, Any]:
    from moto.ses.models import ses_backends

    sent = list(ses_backends[account_id][region].sent_messages)
    unique = {id(m): m for m in sent}  # a Raw message may be listed once per recipient
    newest = list(unique.values())[::-1][:limit]
    out = []
    for m in newest:
        entry = _entry(m)
        entry["to"] = list(dict.fromkeys(entry["to"]))
        out.append(entry)
    return {"messages": out}
