"""The billing ledger kept from the orders stream (ADR 0032): a read model of services.projections.

Per stream batch: the header changes that complete an order (to DELIVERED or PICKED_UP) or
return one (to RETURNED) are the batch's billable events. Their bodies (lines, quantities) are
read with one BatchGetItem per 100 orders (a header does not carry them), the facts are made by
the same function validation uses on a stored order (domain.billing.facts_of_order), and one
ledger item per (tenant, day) is written, keyed by the batch's first sequence number: a retried
batch rewrites the same items. Nothing is written for a batch without billable events."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from oms.data.billing import LEDGER_KEPT_SECONDS, BillingRepository
from oms.data.busy import transient_when_busy
from oms.domain.billing import COMPLETED, RETURNED, Fact, facts_of_order
from oms.domain.clock import epoch
from oms.domain.models import Order
from oms.domain.projections import OrderChange

log = logging.getLogger(__name__)

transient_when_busy(BillingRepository)
ledger = BillingRepository()
_BILLABLE = frozenset({*(s.value for s in COMPLETED), RETURNED.value})
_BATCH_GET = 100


def billable(change: OrderChange) -> bool:
    return change.status_changed and change.status_after in _BILLABLE and change.new is not None


def _bodies(tenant_id: str, order_ids: list[str]) -> dict[str, dict[str, Any]]:
    from oms.data.billing_sources import order_bodies

    found: dict[str, dict[str, Any]] = {}
    for k in range(0, len(order_ids), _BATCH_GET):
        found.update(order_bodies(tenant_id, order_ids[k : k + _BATCH_GET]))
    return found


def facts_of_batch(changes: Sequence[OrderChange]) -> dict[tuple[str, str], list[Fact]]:
    """The batch's billable facts by (tenant, day), each fact of the event its change made."""
    events = [c for c in changes if billable(c)]
    by_tenant: dict[str, list[OrderChange]] = defaultdict(list)
    for change in events:
        by_tenant[change.tenant_id].append(change)
    out: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    for tenant_id, tenant_changes in by_tenant.items():
        bodies = _bodies(tenant_id, sorted({c.order_id for c in tenant_changes}))
        for change in tenant_changes:
            body = bodies.get(change.order_id)
            if body is None:  # a body is written before any header: only a deleted order lacks it
                log.warning("billing ledger: order %s/%s has no body", tenant_id, change.order_id)
                continue
            order = Order.model_validate({**body, **(change.new or {})})
            kind = "returned" if change.status_after == RETURNED.value else "completed"
            for fact in facts_of_order(order):
                if fact.kind == kind:
                    out[(tenant_id, fact.day)].append(fact)
    return out


def apply(changes: Sequence[OrderChange]) -> None:
    """Write this batch's billable facts: one item per (tenant, day), keyed by the batch's first
    record (a retried batch rewrites them; the generator deduplicates by order_ref and kind)."""
    if not changes:
        return
    found = facts_of_batch(changes)
    if not found:
        return
    first = changes[0].sequence
    expires = int(epoch()) + LEDGER_KEPT_SECONDS
    ledger.put_ledger_items(
        ((tenant_id, day, first, facts) for (tenant_id, day), facts in sorted(found.items())), expires
    )
