"""Key layout. Every tenant-owned key starts with T#<tenant>#, so isolation is structural."""

from __future__ import annotations


def order_pk(tenant_id: str, order_id: str) -> str:
    return f"T#{tenant_id}#O#{order_id}"


ORDER_SK = "ORDER"
ORDER_BODY_SK = "BODY"
# The order's callback ledger sorts between BODY and ORDER, so the query that reads an order reads
# it too; the stored trail blocks and refused callbacks sort after ORDER (ADR 0018).
ORDER_CALLBACKS_SK = "CALLBACKS"
TRAIL_PREFIX = "TRAIL#"
REJECTED_PREFIX = "REJECTED#"


def trail_sk(first_seq: int) -> str:
    return f"{TRAIL_PREFIX}{first_seq:08d}"


def rejected_sk(day: str, number: int) -> str:
    return f"{REJECTED_PREFIX}{day}#{number:05d}"


def orders_gsi_tenant(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def orders_gsi_status(tenant_id: str, group: str) -> str:
    return f"T#{tenant_id}#G#{group}"


def orders_gsi_email(tenant_id: str, email: str) -> str:
    return f"T#{tenant_id}#E#{email.lower()}"


def orders_gsi_number(tenant_id: str, number: str) -> str:
    return f"T#{tenant_id}#N#{number}"


def orders_gsi_customer(tenant_id: str, user_id: str) -> str:
    """The orders a CUSTOMER account placed (sparse index by_customer)."""
    return f"T#{tenant_id}#C#{user_id}"


def nodes_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#NODES"


def node_sk(node_id: str) -> str:
    return f"N#{node_id}"


def node_code_sk(code: str) -> str:
    return f"CODE#{code.upper()}"


def node_capacity_sk(day: str, node_id: str) -> str:
    """A node's order counter for one UTC day; a new day starts at zero by key."""
    return f"CAP#{day}#{node_id}"


def products_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#PRODUCTS"


def categories_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#CATEGORIES"


def item_pk(tenant_id: str, item_id: str) -> str:
    return f"T#{tenant_id}#I#{item_id}"


ITEM_SK = "ITEM"


def items_by_sku(tenant_id: str, sku: str) -> str:
    return f"T#{tenant_id}#SKU#{sku}"


def items_group(tenant_id: str) -> str:
    return f"T#{tenant_id}#ITEMS"


def reservation_sk(order_id: str) -> str:
    return f"RES#{order_id}"


def tenant_pk() -> str:
    return "TENANTS"


def user_pk(email: str) -> str:
    return f"USER#{email.lower()}"


USER_SK = "USER"
POINTER_SK = "PTR"
ONE_TIME_SK = "OTT"


def users_of_tenant(tenant_id: str) -> str:
    """The users_by_tenant index partition of a tenant's users (sorted by email)."""
    return f"T#{tenant_id}#USERS"


def slug_pk(slug: str) -> str:
    return f"SLUG#{slug}"


def user_id_pk(user_id: str) -> str:
    return f"USERID#{user_id}"


def one_time_pk(digest: str) -> str:
    return f"OTT#{digest}"


def api_key_pk(key_id: str) -> str:
    """An API key's lookup item (pk=APIKEY#<id>, sk=APIKEY): the id travels inside the key, so
    verifying a key is one GetItem."""
    return f"APIKEY#{key_id}"


API_KEY_SK = "APIKEY"


def api_keys_pk(tenant_id: str) -> str:
    """A tenant's list of its keys (sk=K#<id>): one query lists them, without their digests."""
    return f"T#{tenant_id}#APIKEYS"


def api_key_list_sk(key_id: str) -> str:
    return f"K#{key_id}"


def throttle_account_pk(account_ref: str) -> str:
    """Login throttle counters of one account (by the hash of its email): sk=W#<window> counts a
    window's failures, sk=LOCK holds the lock and its strikes."""
    return f"THROTTLE#acct#{account_ref}"


def throttle_address_pk(address_ref: str) -> str:
    """Login throttle counters of one source address (by hash): sk=W#<window>."""
    return f"THROTTLE#ip#{address_ref}"


def throttle_window_sk(window: int) -> str:
    return f"W#{window}"


THROTTLE_LOCK_SK = "LOCK"
