"""Sales-channel connectors, the pure part: configuration models, Shopify's webhook signature,
and turning Shopify and Amazon orders into Cirrus orders.

Money from a channel is taken from its strings as Decimal (never through float), and the
channel's own subtotal, tax, shipping and total are kept: the sale happened there.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oms.domain.channels import AMAZON_ORDER_ID, SHOPIFY_ID, ChannelLink
from oms.domain.models import Channel, FulfillmentType

MASK = "***"
SHOPIFY_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
_SHOP_DOMAIN = r"^[a-z0-9][a-z0-9\-]*\.myshopify\.com$"
_SKU_SAFE = re.compile(r"[^A-Za-z0-9._\-]")


class ConnectorType(StrEnum):
    SHOPIFY = "SHOPIFY"
    AMAZON = "AMAZON"


class ConnectorDirection(StrEnum):
    """What flows through a connector: orders in, shipments out, or both (the default)."""

    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"
    BIDIRECTIONAL = "BIDIRECTIONAL"

    @property
    def takes_orders(self) -> bool:
        return self != ConnectorDirection.OUTBOUND

    @property
    def pushes_shipments(self) -> bool:
        return self != ConnectorDirection.INBOUND


# The KubeRiva seed's names for connector types and config fields (its curl examples work as
# written); ours stay valid, and a request may not give both names of one field.
SEED_TYPES = {"SHOPIFY": "SHOPIFY", "AMAZON_SP": "AMAZON", "AMAZON": "AMAZON"}
SEED_TYPE_OF = {"SHOPIFY": "SHOPIFY", "AMAZON": "AMAZON_SP"}
_CONFIG_ALIASES = {
    "SHOPIFY": {"shop_url": "shop_domain"},
    "AMAZON": {
        "marketplace_id": "marketplace_ids",
        "client_id": "lwa_client_id",
        "client_secret": "lwa_client_secret",
    },
}


def canonical_config(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """The config with the seed's field names turned into ours (`shop_url` may be a URL:
    `https://mystore.myshopify.com/` is the shop `mystore.myshopify.com`)."""
    out = dict(config)
    for alias, name in _CONFIG_ALIASES.get(kind, {}).items():
        if alias not in out:
            continue
        if name in out:
            raise ValueError(f"give {name} or {alias}, not both")
        value = out.pop(alias)
        if alias == "marketplace_id":
            value = [value] if isinstance(value, str) else value
        out[name] = value
    shop = out.get("shop_domain")
    if kind == "SHOPIFY" and isinstance(shop, str):
        shop = re.sub(r"^https?://", "", shop.strip(), flags=re.IGNORECASE).rstrip("/").lower()
        out["shop_domain"] = shop
    return out


class ConnectorStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ERROR = "ERROR"  # kept failing; `last_error` says why; toggling it clears the error


class ShopifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    shop_domain: str = Field(pattern=_SHOP_DOMAIN, max_length=255)
    api_version: str = Field(default="2025-10", pattern=r"^\d{4}-\d{2}$")
    access_token: str = Field(min_length=8, max_length=500)  # Admin API token (fulfilment push)
    # the app's secret (HMAC key); Shopify issues it, so only a floor against obvious mistakes
    webhook_secret: str = Field(min_length=8, max_length=500)
    admin_api_url: str | None = Field(default=None, max_length=500)  # tests/local fakes only
    pickup_node_id: str | None = Field(default=None, max_length=64)  # for orders nothing ships in
    # stock sync (ADR 0040): node id -> Shopify location gid (a number is accepted), and the switch
    location_map: dict[str, str] = Field(default_factory=dict)
    sync_inventory: bool = False

    @field_validator("location_map", mode="before")
    @classmethod
    def _locations(cls, value: Any) -> dict[str, str]:
        from oms.domain.stock_sync import normalise_location_map

        return normalise_location_map(value if value is not None else {})


class AmazonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    seller_id: str = Field(min_length=1, max_length=100)
    marketplace_ids: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        min_length=1, max_length=20
    )
    lwa_client_id: str = Field(min_length=1, max_length=500)
    lwa_client_secret: str = Field(min_length=1, max_length=500)
    refresh_token: str = Field(min_length=1, max_length=2000)
    endpoint: str = Field(default="https://sellingpartnerapi-na.amazon.com", max_length=500)
    token_url: str = Field(default="https://api.amazon.com/auth/o2/token", max_length=500)
    # searchOrders' usage plan (Amazon's defaults); a seller with a raised limit can say so
    search_rate_per_second: float = Field(default=0.0056, gt=0, le=100)
    search_burst: int = Field(default=20, ge=1, le=1000)


SECRET_FIELDS = frozenset({"access_token", "webhook_secret", "lwa_client_secret", "refresh_token"})
# Where a connector's credentials take effect: change one and the credentials must come again (a
# stored token must not follow the connector to another shop, seller, region or token service).
DESTINATION_FIELDS: dict[str, tuple[str, ...]] = {
    "SHOPIFY": ("shop_domain", "admin_api_url"),
    "AMAZON": ("seller_id", "marketplace_ids", "endpoint", "token_url", "lwa_client_id"),
}
SECRETS_OF: dict[str, tuple[str, ...]] = {
    "SHOPIFY": ("access_token", "webhook_secret"),
    "AMAZON": ("lwa_client_secret", "refresh_token"),
}


class ConnectorCreate(BaseModel):
    """`type` (SHOPIFY, AMAZON) or the seed's `connector_type` (SHOPIFY, AMAZON_SP); `direction`
    defaults to BIDIRECTIONAL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: ConnectorType | None = None
    connector_type: Literal["SHOPIFY", "AMAZON_SP", "AMAZON"] | None = None
    name: str = Field(min_length=1, max_length=200)
    direction: ConnectorDirection = ConnectorDirection.BIDIRECTIONAL
    config: dict[str, Any]
    active: bool = True

    @model_validator(mode="after")
    def _one_type(self) -> ConnectorCreate:
        seed = ConnectorType(SEED_TYPES[self.connector_type]) if self.connector_type else None
        if self.type is None and seed is None:
            raise ValueError("type (or connector_type) is required")
        if self.type is not None and seed is not None and self.type != seed:
            raise ValueError("type and connector_type disagree")
        self.type = self.type or seed
        return self

    @property
    def kind(self) -> ConnectorType:
        assert self.type is not None  # set by _one_type
        return self.type

    def validated_config(self) -> dict[str, Any]:
        model = ShopifyConfig if self.kind == ConnectorType.SHOPIFY else AmazonConfig
        return model.model_validate(canonical_config(self.kind.value, self.config)).model_dump()


class ConnectorUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    direction: ConnectorDirection | None = None
    config: dict[str, Any] | None = None  # merged into the stored config; "***" keeps a secret


def masked(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k in SECRET_FIELDS and v else v) for k, v in config.items()}


def merge_config(stored: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A patch may send back the masked value of a secret: that keeps the stored secret."""
    return {**stored, **{k: v for k, v in change.items() if not (k in SECRET_FIELDS and v == MASK)}}


def secrets_required(
    kind: str, stored: dict[str, Any], merged: dict[str, Any], patch: dict[str, Any]
) -> list[str]:
    """The secrets a config patch must carry (not masked, not left out) because it moves the
    connector to another destination; empty when the destination stays."""
    moved = [f for f in DESTINATION_FIELDS.get(kind, ()) if stored.get(f) != merged.get(f)]
    if not moved:
        return []
    return [f for f in SECRETS_OF.get(kind, ()) if not patch.get(f) or patch.get(f) == MASK]


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


def shopify_hmac_valid(secret: str, raw_body: bytes, header: str | None) -> bool:
    """`X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(secret, raw body bytes)). The header is
    decoded to its 32 bytes and compared with the digest as bytes, in constant time; a header that
    is not ASCII base64 of exactly that length is simply not a valid signature."""
    if not header:
        return False
    try:
        sent = base64.b64decode(header.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).digest()
    return len(sent) == len(expected) and hmac.compare_digest(expected, sent)


def shop_domain_matches(configured: str, header: str | None) -> bool:
    """`X-Shopify-Shop-Domain` names the shop the delivery is from. One app secret signs the
    deliveries of every shop that installed the app, so a valid signature alone does not say the
    order belongs to this connector's shop."""
    return bool(header) and str(header).strip().lower() == configured.strip().lower()


SHOPIFY_MAX_AGE = timedelta(hours=72)
SHOPIFY_CLOCK_SKEW = timedelta(minutes=5)


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def shopify_staleness(triggered_at: str | None, now: datetime) -> str | None:
    """Why a delivery is refused by its `X-Shopify-Triggered-At` (None: it is fresh enough):
    missing or unreadable, more than 72 hours old (Shopify stops retrying long before: an old
    delivery is a replay), or from the future beyond a small clock skew."""
    at = _instant(triggered_at)
    if at is None:
        return "X-Shopify-Triggered-At is missing or not an ISO-8601 time"
    if now - at > SHOPIFY_MAX_AGE:
        return "the delivery is more than 72 hours old"
    if at - now > SHOPIFY_CLOCK_SKEW:
        return "X-Shopify-Triggered-At is in the future"
    return None


def signed_staleness(payload: dict[str, Any], now: datetime) -> str | None:
    """The same test on the signed body's own `updated_at` (the headers are not signed; the body
    is): an order last changed more than 72 hours ago is not what a fresh delivery carries."""
    at = _instant(payload.get("updated_at"))
    if at is not None and now - at > SHOPIFY_MAX_AGE:
        return "the order in the delivery was last updated more than 72 hours ago"
    return None


# ------------------------------------------------------------------ normalisation
class ImportProblem(Exception):
    """The channel's order cannot become a Cirrus order (said in the connector's event log)."""


def _money(value: Any, what: str) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, float):  # JSON numbers would have gone through float: refuse to guess
        raise ImportProblem(f"{what} must be a decimal string, got a float")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ImportProblem(f"{what} is not a number: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise ImportProblem(f"{what} must be a non-negative amount, got {value!r}")
    return amount.quantize(Decimal("0.01"))


def _shop_money(block: Any, what: str) -> Decimal:
    if isinstance(block, dict):
        return _money(((block.get("shop_money") or {}).get("amount")), what)
    return _money(block, what)


def _sku(raw: Any, fallback: str) -> str:
    sku = _SKU_SAFE.sub("-", str(raw or "").strip())[:64].strip("-")
    return sku or fallback


def _address(block: Any) -> dict[str, Any] | None:
    if not isinstance(block, dict) or not (block.get("address1") and block.get("city")):
        return None
    address: dict[str, Any] = {
        "address1": str(block["address1"])[:200],
        "address2": (str(block["address2"])[:200] if block.get("address2") else None),
        "city": str(block["city"])[:100],
        "state": block.get("province_code") or block.get("province"),
        "postal_code": (str(block["zip"])[:20] if block.get("zip") else None),
        "country": str(block.get("country_code") or "US")[:2].upper(),
    }
    point = _coordinates(block.get("latitude"), block.get("longitude"))
    if point is not None:  # Shopify's geocoding, when it has one, spares us a guess
        address["latitude"], address["longitude"] = point
    return address


def _coordinates(lat: Any, lon: Any) -> tuple[float, float] | None:
    try:
        point = (float(lat), float(lon))
    except (TypeError, ValueError):
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


class _ChannelLines:
    """A channel's order lines merged by SKU: one SKU sold on several lines (different discounts)
    becomes one line at the weighted unit price, as a Cirrus order allows one line per SKU."""

    def __init__(self) -> None:
        self.lines: dict[str, dict[str, Any]] = {}

    def add(self, sku: str, name: str, quantity: int, price: Decimal) -> None:
        line = self.lines.setdefault(sku, {"name": name[:200], "quantity": 0, "total": Decimal("0")})
        line["quantity"] += quantity
        line["total"] += price * quantity

    def subtotal(self) -> Decimal:
        return sum((line["total"] for line in self.lines.values()), Decimal("0")).quantize(Decimal("0.01"))

    def line_items(self) -> list[dict[str, Any]]:
        return [
            {
                "sku": sku,
                "product_name": line["name"],
                "quantity": line["quantity"],
                "unit_price": str((line["total"] / line["quantity"]).quantize(Decimal("0.01"))),
            }
            for sku, line in self.lines.items()
        ]


class ImportedOrder(BaseModel):
    """What a channel order becomes: the order's fields (a ChannelOrderRequest), the channel's own
    money figures, and the link to the channel order (server-owned; shipments go back through it)."""

    request: dict[str, Any]
    link: ChannelLink
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    discount: Decimal
    total: Decimal
    cancelled: bool


def shopify_order(
    payload: dict[str, Any], connector_id: str, shop_domain: str, pickup_node_id: str | None
) -> ImportedOrder:
    """A Shopify order (webhook JSON) as a Cirrus order."""
    order_id = payload.get("id")
    if isinstance(order_id, bool) or not SHOPIFY_ID.fullmatch(str(order_id)):
        raise ImportProblem("the order has no numeric id")
    lines_in = [li for li in payload.get("line_items") or [] if int(li.get("quantity") or 0) > 0]
    if not lines_in:
        raise ImportProblem("the order has no line items")
    lines = _ChannelLines()
    ships = False
    for li in lines_in:
        sku = _sku(li.get("sku"), f"SHOPIFY-{li.get('variant_id') or li.get('id')}")
        name = str(li.get("title") or li.get("name") or sku)
        lines.add(sku, name, int(li["quantity"]), _money(li.get("price"), f"line {sku} price"))
        ships = ships or bool(li.get("requires_shipping", True))
    line_items = lines.line_items()
    customer = payload.get("customer") or {}
    email = payload.get("email") or payload.get("contact_email") or customer.get("email")
    if not email:
        raise ImportProblem("the order has no customer email")
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p) or str(email)
    address = _address(payload.get("shipping_address"))
    if ships:
        if address is None:
            raise ImportProblem("a shipped order needs a shipping address")
        fulfilment, pickup = FulfillmentType.SHIP_TO_HOME, None
    else:
        if not pickup_node_id:
            raise ImportProblem("nothing in the order ships and the connector has no pickup_node_id")
        fulfilment, pickup = FulfillmentType.STORE_PICKUP, pickup_node_id
    shipping = _shop_money(payload.get("total_shipping_price_set"), "total shipping")
    tax = _money(payload.get("total_tax"), "total_tax")
    discount = _money(payload.get("total_discounts"), "total_discounts")
    subtotal = _money(payload.get("total_line_items_price"), "total_line_items_price")
    total = _money(payload.get("total_price"), "total_price")
    request = {
        "channel": Channel.WEB.value,
        "fulfillment_type": fulfilment.value,
        "customer_email": str(email),
        "customer_name": name[:200],
        "customer_phone": (str(payload.get("phone"))[:40] if payload.get("phone") else None),
        "currency": str(payload.get("currency") or "USD").upper(),
        "line_items": line_items,
        "shipping_address": address if ships else None,
        "pickup_node_id": pickup,
        "external_order_id": f"shopify:{shop_domain}:{order_id}",
        "notes": (
            f"Shopify {payload.get('name')}"
            + (" (taxes included in prices)" if payload.get("taxes_included") else "")
        )[:2000],
        "tags": ["source:shopify", f"connector:{connector_id}"],
    }
    return ImportedOrder(
        request=request,
        link=ChannelLink(
            channel="SHOPIFY", connector_id=connector_id, account=shop_domain, channel_order_id=str(order_id)
        ),
        subtotal=subtotal,
        shipping=shipping,
        tax=tax,
        discount=discount,
        total=total,
        cancelled=bool(payload.get("cancelled_at")),
    )


def amazon_action(order: dict[str, Any]) -> Literal["import", "cancel", "skip"]:
    """What an SP-API order means for us: merchant-fulfilled and paid is imported; cancelled is
    cancelled here too; pending (unpaid) comes back when it changes; Amazon-fulfilled is not ours."""
    fulfilment = order.get("fulfillment") or {}
    if str(fulfilment.get("fulfilledBy") or "MERCHANT").upper() == "AMAZON":
        return "skip"
    status = str(fulfilment.get("fulfillmentStatus") or "").upper()
    if status in ("CANCELLED", "CANCELED"):
        return "cancel"
    if status in ("UNSHIPPED", "PARTIALLY_SHIPPED"):
        return "import"
    return "skip"


def amazon_order(order: dict[str, Any], connector_id: str, seller_id: str) -> ImportedOrder:
    """An SP-API (Orders v2026-01-01) order as a Cirrus order."""
    order_id = str(order.get("orderId") or "")
    if not AMAZON_ORDER_ID.fullmatch(order_id):
        raise ImportProblem("the order has no valid orderId")
    lines = _ChannelLines()
    currency = None
    for item in order.get("orderItems") or []:
        qty = int(item.get("quantityOrdered") or 0)
        if qty <= 0:
            continue
        product = item.get("product") or {}
        sku = _sku(product.get("sellerSku"), f"ASIN-{product.get('asin') or item.get('orderItemId')}")
        unit = (product.get("price") or {}).get("unitPrice") or {}
        currency = currency or unit.get("currencyCode")
        lines.add(
            sku, str(product.get("title") or sku), qty, _money(unit.get("amount"), f"item {sku} unit price")
        )
    if not lines.lines:
        raise ImportProblem("the order has no items to ship")
    recipient = (order.get("recipient") or {}).get("deliveryAddress") or {}
    if not (recipient.get("addressLine1") and recipient.get("city")):
        raise ImportProblem("the order has no delivery address (yet)")
    buyer = order.get("buyer") or {}
    email = buyer.get("buyerEmail") or f"{order_id.lower()}@marketplace.amazon.invalid"
    line_items = lines.line_items()
    subtotal = lines.subtotal()
    request = {
        "channel": Channel.MARKETPLACE.value,
        "fulfillment_type": FulfillmentType.SHIP_TO_HOME.value,
        "customer_email": str(email),
        "customer_name": str(buyer.get("buyerName") or recipient.get("name") or "Amazon customer")[:200],
        "currency": str(currency or "USD").upper(),
        "line_items": line_items,
        "shipping_address": {
            "address1": str(recipient["addressLine1"])[:200],
            "address2": (str(recipient["addressLine2"])[:200] if recipient.get("addressLine2") else None),
            "city": str(recipient["city"])[:100],
            "state": recipient.get("stateOrRegion"),
            "postal_code": (str(recipient["postalCode"])[:20] if recipient.get("postalCode") else None),
            "country": str(recipient.get("countryCode") or "US")[:2].upper(),
        },
        "external_order_id": f"amazon:{seller_id}:{order_id}",
        "notes": f"Amazon {order_id}",
        "tags": ["source:amazon", f"connector:{connector_id}"],
    }
    zero = Decimal("0.00")
    return ImportedOrder(
        request=request,
        link=ChannelLink(
            channel="AMAZON", connector_id=connector_id, account=seller_id, channel_order_id=order_id
        ),
        subtotal=subtotal,
        shipping=zero,
        tax=zero,
        discount=zero,
        total=subtotal,
        cancelled=False,
    )


def refill(tokens: float, last_at: float, now: float, rate: float, burst: int) -> float:
    """A token bucket: what `tokens` left at `last_at` (epoch s) has grown to by `now`."""
    return min(float(burst), tokens + max(0.0, now - last_at) * rate)
