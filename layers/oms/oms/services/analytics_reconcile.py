"""The analytics reconcile job (ADR 0029): recompute recent days' buckets from the stored orders
and overwrite the ones that drifted. Nightly for every tenant, on demand for one
(`POST /ops/jobs/reconcile_analytics/run`), and with `days` up to MAX_DAYS it is the rebuild path
of the counters over old orders (a new counter, a lost batch, a bug fixed).

The orders of a day come from the orders' by_tenant index (keys by creation time: one query per
day, paged) and are read by key; the bucket is recomputed with the very function the stream
consumer uses (oms.domain.analytics), so a bucket in step is equal, not close. A day with an
order changed in the last SETTLE_MINUTES is left for the next run: the stream may not have
counted that change yet, and overwriting the bucket now would count it twice. The overwrite is
conditioned on the bucket's write count, so a stream batch landing meanwhile wins."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from oms.domain import analytics as counters
from oms.domain.clock import iso, last_days, utcnow
from oms.domain.models import Order
from oms.services.analytics import buckets
from oms.services.context import repos

log = logging.getLogger(__name__)

RECONCILE_DAYS = 7  # a nightly run: the week before, today included
MAX_DAYS = 400  # a rebuild: more than the dashboard's longest range
SETTLE_MINUTES = 15
_PAGE = 200


def _orders_of(tenant_id: str, day: str) -> Iterator[Order]:
    cursor: str | None = None
    while True:
        ids, cursor = repos.orders.page_ids(
            tenant_id,
            status=None,
            email=None,
            created_from=day,
            created_to=day,
            limit=_PAGE,
            cursor=cursor,
        )
        yield from repos.orders.batch_get(tenant_id, ids)
        if not cursor:
            return


def reconcile(
    tenant_id: str, days: int = RECONCILE_DAYS, settle_minutes: int = SETTLE_MINUTES
) -> dict[str, Any]:
    """Recompute the last `days` UTC days (today included) of one tenant. Returns what it did:
    days in step, fixed (overwritten), unsettled (left for the next run) and raced (a stream
    write landed between read and overwrite; the next run looks again)."""
    days = max(1, min(int(days), MAX_DAYS))
    settled_before = iso(utcnow() - timedelta(minutes=settle_minutes))
    report: dict[str, Any] = {
        "days": days,
        "orders": 0,
        "in_step": 0,
        "fixed": [],
        "unsettled": [],
        "raced": [],
    }
    for day in last_days(days):
        expected: Counter[str] = Counter()
        busy = False
        for order in _orders_of(tenant_id, day):
            report["orders"] += 1
            busy = busy or order.updated_at > settled_before
            expected.update(counters.order_counters(order.stored(), order.created_at))
        if busy:
            report["unsettled"].append(day)
            continue
        wanted = {k: n for k, n in expected.items() if n}
        stored = buckets.day(tenant_id, day)
        held = {k: n for k, n in (stored[0] if stored else {}).items() if n}
        if held == wanted:
            report["in_step"] += 1
            continue
        if buckets.replace_day(tenant_id, day, wanted, stored[1] if stored else None):
            drift = counters.difference(held, wanted)
            log.warning("analytics bucket %s/%s drifted, overwritten: %s", tenant_id, day, drift)
            report["fixed"].append(day)
        else:
            report["raced"].append(day)
    return report
