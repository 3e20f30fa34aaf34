"""Analytics (ADR 0029): the counters kept from the orders stream, and the answers read from them.

`apply` is a read model of the projection consumer (services.projections): per stream batch it
adds each (tenant, day) bucket's net delta with one UpdateItem (ADD), all of them and the batch's
marker in one transaction, so a retried batch is counted once. The routes read a range of day
buckets with one query, and the stock with a query of the tenant's items: never a scan."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from oms.data.analytics import AnalyticsRepository
from oms.domain import analytics as counters
from oms.domain import analytics_figures as figures
from oms.domain.clock import last_days, utcnow
from oms.domain.models import Principal
from oms.domain.projections import OrderChange

log = logging.getLogger(__name__)

buckets = AnalyticsRepository()
_MAX_ROUNDS = 10
_BATCH_GET = 100  # keys a BatchGetItem takes
_READERS = 8


# ---------------------------------------------------------------------------- the read model
def apply(changes: Sequence[OrderChange]) -> None:
    """Count a stream batch once. The batch is known by its first record's sequence number (a
    retried batch starts from the same record) and its marker says how far it was counted, so a
    retry counts only what the earlier attempt did not, whether the retried batch is the same,
    shorter or longer. More than 99 buckets (rare) are written in consecutive transactions."""
    if not changes:
        return
    first = changes[0].sequence
    done: str | None = None
    pending = list(changes)
    for _ in range(_MAX_ROUNDS):
        if not pending:
            return
        run = counters.chunks(pending)[0]
        deltas = counters.batch_deltas(run)
        if not deltas:
            pending = pending[len(run) :]
            continue
        if buckets.commit(first, done, run[-1].sequence, deltas):
            done, pending = run[-1].sequence, pending[len(run) :]
            continue
        done = buckets.applied_through(first)  # an earlier attempt got this far: skip that part
        log.info("analytics: batch from %s already counted through %s", first, done)
        pending = counters.after(changes, done)
    raise RuntimeError(f"analytics: batch from {first} not settled in {_MAX_ROUNDS} rounds")


# ---------------------------------------------------------------------------- the answers
def _stock(tenant_id: str) -> tuple[list[Any], list[Any]]:
    """The tenant's nodes (one query of its nodes partition) and stock items (one query of its
    items group, then the items by key, 100 a request, several requests at once)."""
    from oms.services.context import repos

    def read(part: list[str]) -> list[Any]:
        return repos.stock.batch_get(tenant_id, part)

    with ThreadPoolExecutor(max_workers=_READERS) as pool:
        # each task in a copy of this context: what the request's context holds goes along
        nodes = pool.submit(contextvars.copy_context().run, repos.nodes.all, tenant_id)
        ids = list(repos.stock.all_ids(tenant_id))
        parts = [ids[k : k + _BATCH_GET] for k in range(0, len(ids), _BATCH_GET)]
        reads = [pool.submit(contextvars.copy_context().run, read, part) for part in parts]
        return nodes.result(), [item for r in reads for item in r.result()]


def dashboard(principal: Principal, query: figures.DashboardQuery) -> dict[str, Any]:
    first, last = figures.resolve_range(query.from_date, query.to_date, utcnow().date())
    found = buckets.days(principal.tenant_id, first.isoformat(), last.isoformat())
    nodes, items = _stock(principal.tenant_id)
    return figures.dashboard(
        first,
        last,
        found.values(),
        currency=query.currency,
        node_names={n.id: n.name for n in nodes},
        alerts=figures.stock_alerts(nodes, items),
    )


def volume(principal: Principal, query: figures.VolumeQuery) -> dict[str, Any]:
    days = last_days(query.days)
    found = buckets.days(principal.tenant_id, days[0], days[-1])
    return figures.volume(days, found, query.currency)


def inventory_summary(principal: Principal) -> dict[str, Any]:
    nodes, items = _stock(principal.tenant_id)
    return figures.inventory_summary(nodes, items)
