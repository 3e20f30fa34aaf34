"""Analytics: the operations dashboard's figures, from counters the orders stream keeps in daily
buckets per tenant (ADR 0029), and the stock summary. Any signed-in person."""

from __future__ import annotations

from typing import Any

from oms.api.http import route
from oms.api.instance import app
from oms.domain.analytics_figures import DashboardQuery, VolumeQuery
from oms.domain.models import Principal
from oms.services import analytics


@route(app, "/analytics/dashboard", ["GET"], query=DashboardQuery)
def dashboard(principal: Principal, *, query: DashboardQuery) -> dict[str, Any]:
    """Orders, revenue, channels, statuses, nodes, rates and stock alerts of a range of UTC days
    (default the last 30, today included; at most 366)."""
    return analytics.dashboard(principal, query)


@route(app, "/analytics/orders/volume", ["GET"], query=VolumeQuery)
def order_volume(principal: Principal, *, query: VolumeQuery) -> dict[str, Any]:
    """Orders and revenue per UTC day for the last `days` days, oldest first, zeros included."""
    return analytics.volume(principal, query)


@route(app, "/analytics/inventory/summary", ["GET"])
def inventory_summary(principal: Principal) -> dict[str, Any]:
    """Stock totals, per node, and the low-stock (available <= reorder level) and out-of-stock
    (available <= 0) items."""
    return analytics.inventory_summary(principal)
