"""What happens after an exception is created or resolved (CONTRACT.md "Exceptions").

The radar calls `changed` after it stored the change; this half sends a small message to the
exceptions queue (when one is configured) so the exceptions consumer (helper X: the Claude
analyst, `exception.created/resolved` webhooks, Slack) does the slow work off the request path.
Sending is best effort: the exception is already stored, and a failed send is logged, never
turned into a failure of the event, stream batch or sweep that found the breach."""

from __future__ import annotations

import logging
from typing import Any, Literal

from oms.adapters import queues
from oms.config import settings
from oms.domain.errors import TransientStoreError

log = logging.getLogger(__name__)

Event = Literal["created", "resolved"]


def message(tenant_id: str, exception: dict[str, Any], event: Event) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "exception_id": exception["exception_id"], "event": event}


def changed(tenant_id: str, exception: dict[str, Any], event: Event) -> None:
    url = settings().exceptions_queue_url
    if not url:
        return
    try:
        queues.send(url, message(tenant_id, exception, event))
    except TransientStoreError:
        log.warning("exception %s (%s) not queued for the analyst", exception.get("exception_id"), event)
