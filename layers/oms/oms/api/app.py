"""The Cirrus HTTP API (one Chalice app, deployed as one Lambda behind an HTTP API).

Routes live in oms.api.routes, one module per area; importing them registers them."""

from oms.api.instance import app
from oms.api.routes import (  # noqa: F401  (imported for their routes)
    analyst,
    analytics,
    api_keys,
    architect,
    billing,
    branding,
    connectors,
    docs,
    emails,
    inventory,
    nodes,
    ops,
    orders,
    products,
    radar,
    returns,
    search,
    sourcing,
    system,
    tenancy,
    webhooks,
    workflow,
)

__all__ = ["app"]
