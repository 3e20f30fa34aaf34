"""The tenants' AI cache generations (ADR 0033): `POST /admin/cache/clear?cache_type=ai` adds 1 to
the tenant's generation in DynamoDB; the Claude analyst's and the sourcing advisor's cache keys
carry the generation, read at most every `READ_EVERY_SECONDS` per container, so a clear takes
effect in every container within that time (at once in the one that cleared)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from oms.domain.clock import epoch
from oms.domain.errors import DomainError, ValidationFailed
from oms.domain.models import Principal
from oms.services.context import repos

log = logging.getLogger(__name__)

READ_EVERY_SECONDS = 30.0
CACHE_TYPES = ("ai",)

_lock = threading.Lock()
_known: dict[str, tuple[float, int]] = {}


def generation(tenant_id: str) -> int:
    """The tenant's generation as this container knows it (read again after 30 s). A failed read
    keeps the last known one (or 0): answers are still served, never an error."""
    now = epoch()
    with _lock:
        found = _known.get(tenant_id)
    if found is not None and now - found[0] < READ_EVERY_SECONDS:
        return found[1]
    try:
        current = repos.ai_cache.generation(tenant_id)
    except DomainError as exc:
        log.warning("AI cache generation of %s unreadable: %s", tenant_id, exc)
        current = found[1] if found else 0
    with _lock:
        _known[tenant_id] = (now, current)
    return current


def clear(principal: Principal, cache_type: str) -> dict[str, Any]:
    if cache_type not in CACHE_TYPES:
        raise ValidationFailed(
            f"cache_type must be one of {', '.join(CACHE_TYPES)}",
            details=[{"loc": ["query", "cache_type"], "msg": "unknown cache type", "type": "enum"}],
        )
    new = repos.ai_cache.bump(principal.tenant_id)
    with _lock:
        _known[principal.tenant_id] = (epoch(), new)
    return {"cleared": cache_type, "generation": new}


def forget() -> None:
    with _lock:
        _known.clear()
