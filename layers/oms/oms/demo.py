"""Demo data: the KubeRiva seed's 8 nodes, its 8 SKUs priced in the catalog (in product categories
with attribute schemas, oms.demo_catalog) and stocked at every node, its 5 sourcing rules, and one
tenant with its users. Idempotent: running it twice changes nothing."""

from __future__ import annotations

import contextlib
import uuid
from decimal import Decimal
from typing import Any

from oms.adapters.passwords import hash_password
from oms.data.directory import StoredUser
from oms.demo_catalog import CATEGORIES, PRODUCT_ATTRIBUTES
from oms.domain.categories import MAX_CATEGORIES, Category
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict
from oms.domain.inventory import item_id_for
from oms.domain.models import NodeStatus, NodeType
from oms.domain.network import InventoryItem, Node
from oms.domain.products import Product
from oms.services.context import repos

DEMO_TENANT_ID = "demo"
DEMO_TENANT_NAME = "Cirrus Demo Store"
DEMO_TENANT_SLUG = "demo"
DEMO_USERS = (
    ("owner@example.com", "owner123", "PLATFORM_OWNER", "Platform Owner"),
    ("admin@example.com", "admin123", "SUPERADMIN", "Demo Admin"),
    ("user@example.com", "user123", "USER", "Demo User"),
    ("customer@example.com", "customer123", "CUSTOMER", "Demo Customer"),
)

_NS = uuid.UUID("8d1c33f4-3b8e-4f5e-9d0e-1f2a3b4c5d6e")

# code, name, type, lat, lon, ship, pickup, curbside, same_day, capacity, cost multiplier
NODES: tuple[tuple[Any, ...], ...] = (
    (
        "DC-EAST",
        "East Coast DC (Edison NJ)",
        NodeType.DISTRIBUTION_CENTER,
        40.5187,
        -74.4121,
        True,
        False,
        False,
        False,
        2000,
        "0.9",
    ),
    (
        "DC-WEST",
        "West Coast DC (Los Angeles CA)",
        NodeType.DISTRIBUTION_CENTER,
        33.9425,
        -118.4081,
        True,
        False,
        False,
        True,
        2500,
        "0.85",
    ),
    (
        "DC-MID",
        "Midwest DC (Chicago IL)",
        NodeType.DISTRIBUTION_CENTER,
        41.8781,
        -87.6298,
        True,
        False,
        False,
        False,
        1800,
        "1.0",
    ),
    (
        "STR-NYC-01",
        "New York Store",
        NodeType.RETAIL_STORE,
        40.7484,
        -73.9967,
        True,
        True,
        True,
        True,
        300,
        "1.2",
    ),
    (
        "STR-LA-01",
        "Beverly Hills Store",
        NodeType.RETAIL_STORE,
        34.0736,
        -118.4004,
        True,
        True,
        True,
        True,
        250,
        "1.15",
    ),
    (
        "STR-CHI-01",
        "Chicago Store",
        NodeType.RETAIL_STORE,
        41.8937,
        -87.6267,
        True,
        True,
        False,
        True,
        200,
        "1.1",
    ),
    (
        "STR-MIA-01",
        "Miami Beach Store",
        NodeType.RETAIL_STORE,
        25.7907,
        -80.1300,
        True,
        True,
        True,
        False,
        150,
        "1.3",
    ),
    (
        "DARK-SF-01",
        "San Francisco Dark Store",
        NodeType.DARK_STORE,
        37.7749,
        -122.4194,
        True,
        False,
        False,
        True,
        500,
        "1.05",
    ),
)

# sku, name, price (USD), category: the KubeRiva seed's catalog
PRODUCTS: tuple[tuple[str, str, str, str], ...] = (
    ("SKU-WIDGET-A", "Premium Widget A", "29.99", "Widgets"),
    ("SKU-WIDGET-B", "Standard Widget B", "19.99", "Widgets"),
    ("SKU-GADGET-X", "Gadget X Pro", "99.99", "Gadgets"),
    ("SKU-GADGET-Y", "Gadget Y Basic", "49.99", "Gadgets"),
    ("SKU-GIZMO-1", "Gizmo 1", "14.99", "Gizmos"),
    ("SKU-GIZMO-2", "Gizmo 2 Deluxe", "39.99", "Gizmos"),
    ("SKU-TOOL-Z", "Power Tool Z", "149.99", "Tools"),
    ("SKU-ACCESSORY-1", "Accessory Pack 1", "9.99", "Accessories"),
)

STOCK_BY_NODE_TYPE = {NodeType.DISTRIBUTION_CENTER: 500, NodeType.RETAIL_STORE: 40, NodeType.DARK_STORE: 120}

RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "Same-Day - West Coast",
        "priority": 10,
        "strategy": "STORE_NEAREST",
        "conditions": [
            {"field": "fulfillment_type", "operator": "EQUALS", "value": "SAME_DAY_DELIVERY"},
            {"field": "shipping_state", "operator": "IN", "value": ["CA", "WA", "OR"]},
        ],
    },
    {
        "name": "BOPIS / Curbside",
        "priority": 20,
        "strategy": "INVENTORY_RESERVATION",
        "conditions": [
            {"field": "fulfillment_type", "operator": "IN", "value": ["STORE_PICKUP", "CURBSIDE_PICKUP"]}
        ],
    },
    {
        "name": "High-Value Orders",
        "priority": 30,
        "strategy": "COST_OPTIMAL",
        "conditions": [{"field": "total_amount", "operator": "GREATER_THAN", "value": "200"}],
    },
    {
        "name": "Marketplace",
        "priority": 40,
        "strategy": "LEAST_COST_SPLIT",
        "conditions": [{"field": "channel", "operator": "EQUALS", "value": "MARKETPLACE"}],
    },
    {"name": "Default", "priority": 100, "strategy": "DISTANCE_OPTIMAL", "conditions": []},
)


def node_id_for(code: str) -> str:
    return str(uuid.uuid5(_NS, f"{DEMO_TENANT_ID}|node|{code}"))


def seed_demo_data() -> dict[str, int]:
    now = now_iso()
    counts = {"users": 0, "nodes": 0, "items": 0, "categories": 0, "products": 0}
    repos.directory.put_tenant(DEMO_TENANT_ID, DEMO_TENANT_NAME, now)
    _seed_slug()
    counts["users"] = _seed_users(now)
    for code, name, node_type, lat, lon, ship, pickup, curbside, same_day, capacity, mult in NODES:
        node = Node(
            id=node_id_for(code),
            tenant_id=DEMO_TENANT_ID,
            code=code,
            name=name,
            node_type=node_type,
            status=NodeStatus.ACTIVE,
            latitude=lat,
            longitude=lon,
            can_ship=ship,
            can_pickup=pickup,
            can_curbside=curbside,
            can_same_day=same_day,
            daily_order_capacity=capacity,
            shipping_cost_multiplier=Decimal(mult),
            created_at=now,
            updated_at=now,
        )
        try:
            repos.nodes.insert(node)
            counts["nodes"] += 1
        except Conflict:
            pass
        for sku, product_name, _price, _category in PRODUCTS:
            qty = STOCK_BY_NODE_TYPE[node_type]
            item = InventoryItem(
                id=item_id_for(DEMO_TENANT_ID, node.id, sku),
                tenant_id=DEMO_TENANT_ID,
                node_id=node.id,
                sku=sku,
                product_name=product_name,
                on_hand=qty,
                reserved=0,
                available=qty,
                reorder_level=max(qty // 10, 5),
                version=1,
                created_at=now,
                updated_at=now,
            )
            try:
                repos.stock.insert(item)
                counts["items"] += 1
            except Conflict:
                pass
    for name, description, schema in CATEGORIES:
        # insert, not put: a merchant's edits to a demo category survive the next `make run`
        with contextlib.suppress(Conflict):
            counts["categories"] += repos.categories.insert_within(
                Category(
                    tenant_id=DEMO_TENANT_ID,
                    name=name,
                    description=description,
                    attribute_schema=schema,
                    created_at=now,
                    updated_at=now,
                ),
                MAX_CATEGORIES,
            )
    for sku, product_name, price, category in PRODUCTS:
        # insert, not put: a merchant's price changes survive the next `make run`
        counts["products"] += repos.products.insert(
            Product(
                tenant_id=DEMO_TENANT_ID,
                sku=sku,
                name=product_name,
                category=category,
                price=Decimal(price),
                currency="USD",
                attributes=PRODUCT_ATTRIBUTES.get(sku, {}),
                created_at=now,
                updated_at=now,
            )
        )
    for rule in RULES:
        rule_id = str(uuid.uuid5(_NS, f"rule|{rule['name']}"))
        # insert, not put: a merchant's edits to a demo rule survive the next `make run`
        with contextlib.suppress(Conflict):
            repos.rules.insert(
                DEMO_TENANT_ID,
                rule_id,
                {
                    "id": rule_id,
                    "is_active": True,
                    "max_split_nodes": 3,
                    "created_at": now,
                    "updated_at": now,
                    **rule,
                },
            )
    seed_added_features()
    return counts


def seed_added_features() -> None:
    """The demo data of features added after a local cloud's state was first saved: the demo
    users missing (the CUSTOMER, issue 12), the SLA radar's default policy and Invoice Guard's
    tariff (issue 11), each only if absent, so a merchant's edits survive. The local cloud runs
    this on every start with saved state."""
    from oms.services import sla_policies

    _seed_slug()
    _seed_users(now_iso())
    _seed_tariff()
    sla_policies.seed_demo(DEMO_TENANT_ID)
    _seed_branding()


DEMO_BRANDING = {
    "shop_name": "Cirrus Demo Store",
    "logo_url": None,
    "primary_color": "#1f4e79",
    "accent_color": "#f2a900",
    "email_sender_name": "Cirrus Demo Store",
    "support_email": "support@example.com",
}


def _seed_branding() -> None:
    """The demo tenant's branding (issue 12), only if it has none."""
    from oms.domain.emails import BrandingIn
    from oms.services import email_admin

    email_admin.seed_branding(DEMO_TENANT_ID, BrandingIn.model_validate(DEMO_BRANDING))


def _seed_slug() -> None:
    """The demo tenant's slug `demo`, once (a tenant that took it first keeps it)."""
    with contextlib.suppress(Conflict):
        repos.tenancy.ensure_slug(DEMO_TENANT_ID, DEMO_TENANT_SLUG)


def _seed_users(now: str) -> int:
    """The demo users that do not exist yet (a user's password and state, once set, survive);
    users saved before issue 12 get their tenant listing and id pointer."""
    added = 0
    for email, password, role, name in DEMO_USERS:
        existing = repos.directory.user_by_email(email)
        if existing is not None:
            if repos.tenancy.user_by_id(existing.user_id) is None:  # saved before issue 12: listed
                repos.directory.put_user(existing, now, overwrite=True)
            continue
        user = StoredUser(
            user_id=str(uuid.uuid5(_NS, email)),
            tenant_id=DEMO_TENANT_ID,
            email=email,
            name=name,
            role=role,
            password_hash=hash_password(password),
            active=True,
        )
        added += int(repos.directory.put_user(user, now))
    return added


DEMO_TARIFF = {
    "name": "Standard fulfilment",
    "currency": "USD",
    "per_order": "1.20",
    "per_pick_line": "0.25",
    "per_unit": "0.10",
    "per_pack": "0.50",
    "per_label": "0.35",
    "per_return": "2.00",
    "sla_credits": [{"milestone": "shipped", "share_of_order_fee": "0.5"}],
    "auto_credit_limit": "25.00",
}


def _seed_tariff() -> None:
    """The demo tenant's active tariff (Invoice Guard, ADR 0032), once: a merchant's edits survive."""
    from oms.domain.billing import TariffFields
    from oms.domain.models import Principal, Role
    from oms.services import tariffs

    tariff_id = str(uuid.uuid5(_NS, "tariff|standard"))
    if any(t.id == tariff_id for t in tariffs.all_tariffs(DEMO_TENANT_ID)):
        return
    seeder = Principal(
        user_id="seed", email="seed@cirrus.local", tenant_id=DEMO_TENANT_ID, role=Role.SUPERADMIN
    )
    with contextlib.suppress(Conflict):
        tariffs.create(seeder, TariffFields.model_validate(DEMO_TARIFF), tariff_id=tariff_id)
