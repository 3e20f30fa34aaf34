"""Shopify Admin GraphQL: pushing a shipment back as a fulfilment, and a connection test.

`requests` is imported on first use: the API function loads this module but rarely calls out,
and its cold start is what a merchant waits for."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from oms.domain.channels import SHOPIFY_FULFILLMENT_ORDER_GID, SHOPIFY_ID
from oms.domain.errors import TransientStoreError

TIMEOUT = (3.0, 10.0)


class ShopifyRejected(Exception):
    """Shopify answered, and said no (user errors, or the order cannot be fulfilled)."""


class ShopifyThrottled(TransientStoreError):
    """Shopify's cost-based throttle (THROTTLED, or a 429): retried later, not a failure."""


_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9\-]*\.myshopify\.com$")
_API_VERSION = re.compile(r"^[0-9]{4}-[0-9]{2}$")


def _endpoint(config: dict[str, Any]) -> str:
    if config.get("admin_api_url"):  # local fakes only (refused by connector validation elsewhere)
        return str(config["admin_api_url"])
    domain, version = str(config.get("shop_domain", "")), str(config.get("api_version", ""))
    if not (_SHOP_DOMAIN.fullmatch(domain) and _API_VERSION.fullmatch(version)):
        raise ShopifyRejected("the connector's shop domain or API version is not valid")
    return f"https://{domain}/admin/api/{quote(version, safe='')}/graphql.json"


def _graphql(
    config: dict[str, Any], query: str, variables: dict[str, Any], cost: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The answer's data; `cost`, when given, receives Shopify's `extensions.cost` (the query's
    cost and the bucket's `throttleStatus`), a throttled answer's too."""
    import requests

    try:
        response = requests.post(
            _endpoint(config),
            json={"query": query, "variables": variables},
            headers={"X-Shopify-Access-Token": config["access_token"], "Content-Type": "application/json"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise TransientStoreError(f"Shopify unreachable: {type(exc).__name__}") from exc
    if response.status_code == 429:
        raise ShopifyThrottled("Shopify answered 429")
    if response.status_code >= 500:
        raise TransientStoreError(f"Shopify answered {response.status_code}")
    if response.status_code != 200:
        raise ShopifyRejected(f"Shopify answered {response.status_code}: {response.text[:200]}")
    body = response.json()
    if cost is not None:
        cost.update((body.get("extensions") or {}).get("cost") or {})
    errors = body.get("errors")
    if errors:
        throttled = any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)
        if throttled:
            raise ShopifyThrottled("Shopify throttled the request")
        raise ShopifyRejected(f"Shopify GraphQL errors: {str(errors)[:300]}")
    return dict(body.get("data") or {})


_OPEN_FULFILMENT_ORDERS = """
query($id: ID!) {
  order(id: $id) { fulfillmentOrders(first: 20) { nodes { id status } } }
}"""

_FULFILMENT_CREATE = """
mutation($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}"""


def push_fulfilment(config: dict[str, Any], shopify_order_id: str, company: str, number: str) -> str:
    """Fulfil the order's open fulfilment orders with tracking. Returns the fulfilment id, or
    "already-fulfilled" when nothing is open any more (a retry after a success)."""
    if not SHOPIFY_ID.fullmatch(shopify_order_id):
        raise ShopifyRejected("not a Shopify order id")
    data = _graphql(config, _OPEN_FULFILMENT_ORDERS, {"id": f"gid://shopify/Order/{shopify_order_id}"})
    order = data.get("order")
    if order is None:
        raise ShopifyRejected(f"Shopify has no order {shopify_order_id}")
    open_ids = [
        n["id"]
        for n in (order.get("fulfillmentOrders") or {}).get("nodes", [])
        if n.get("status") in ("OPEN", "IN_PROGRESS", "SCHEDULED")
    ]
    if not open_ids:
        return "already-fulfilled"
    if not all(isinstance(i, str) and SHOPIFY_FULFILLMENT_ORDER_GID.fullmatch(i) for i in open_ids):
        raise ShopifyRejected("Shopify answered with fulfilment order ids of an unexpected form")
    fulfillment = {
        "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": i} for i in open_ids],
        "trackingInfo": {"company": company, "number": number},
        "notifyCustomer": True,
    }
    result = _graphql(config, _FULFILMENT_CREATE, {"fulfillment": fulfillment}).get("fulfillmentCreate") or {}
    if result.get("userErrors"):
        raise ShopifyRejected(f"fulfillmentCreate refused: {result['userErrors']}")
    return str((result.get("fulfillment") or {}).get("id") or "")


def shop_name(config: dict[str, Any]) -> str:
    return str((_graphql(config, "{ shop { name } }", {}).get("shop") or {}).get("name") or "")
