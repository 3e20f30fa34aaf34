"""No request path answers 500 for a client mistake: every new route, fed malformed bodies and
query strings, answers a 4xx (validation, not found, conflict)."""

import pytest

ROUTES = [
    ("post", "/sourcing-rules"),
    ("patch", "/sourcing-rules/x"),
    ("post", "/sourcing-rules/evaluate"),
    ("post", "/sourcing-rules/x/toggle"),
    ("post", "/orders/x/sourcing"),
    ("post", "/webhooks/endpoints"),
    ("patch", "/webhooks/endpoints/x"),
    ("post", "/webhooks/endpoints/x/test"),
    ("post", "/webhooks/endpoints/x/rotate-secret"),
    ("post", "/webhooks/events/x/retry"),
    ("post", "/connectors"),
    ("patch", "/connectors/x"),
    ("post", "/connectors/x/test"),
    ("post", "/connectors/x/toggle"),
    ("post", "/ops/dlq/x/replay"),
    ("post", "/products"),
    ("patch", "/products/x"),
    ("patch", "/products/SKU-WIDGET-A"),
    ("post", "/orders"),
]
BODIES = [
    None,
    [],
    "str",
    5,
    {"a": 1},
    {"url": None},
    {"type": "SHOPIFY", "name": "x", "config": "nope"},
    {"type": "AMAZON", "name": "x", "config": {}},
    {"order": {}},
    {"order_id": 5},
    {"rule": []},
    {"conditions": "x"},
    {"name": "", "priority": "high"},
    {"event_types": "order.created", "url": "https://x"},
    {"sku": "S", "name": "x", "price": "1e400"},
    {"sku": "S", "name": "x", "price": 0.1, "attributes": {"a": [[[[[[1]]]]]]}},
    {"version": "x", "price": "NaN"},
    {"version": 1, "price": "Infinity"},
    {"line_items": [{"sku": "SKU-WIDGET-A", "quantity": 1, "unit_price": "NaN"}]},
    {"discount_amount": "1e999"},
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_malformed_input_never_answers_500(admin, owner, method, path):
    for body in BODIES:
        for client in (admin, owner):
            r = getattr(client, method)(path, body)
            assert r.status < 500, (method, path, body, r)
    for q in ("?limit=abc", "?status=NOPE", "?cursor=%%%", "?active=maybe"):
        for p in (
            "/webhooks/events",
            "/sourcing-rules",
            "/ops/task-log",
            "/connectors/x/events",
            "/products",
        ):
            assert admin.get(p + q).status < 500, (p, q)
