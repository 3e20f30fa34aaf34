"""Catalog use cases: a tenant's products and their prices (what API orders are priced from)."""

from __future__ import annotations

from typing import Any

from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, NotFound, require_version
from oms.domain.models import Principal
from oms.domain.products import SKU_PATTERN, Product, ProductCreate, ProductQuery, ProductUpdate
from oms.services.categories import check_product_category
from oms.services.context import repos

_DELETE_TRIES = 5


def create_product(principal: Principal, request: ProductCreate) -> Product:
    check_product_category(principal.tenant_id, request.category, request.attributes)
    now = now_iso()
    product = Product(
        tenant_id=principal.tenant_id, version=1, created_at=now, updated_at=now, **request.model_dump()
    )
    if not repos.products.insert(product):
        existing = repos.products.get(principal.tenant_id, request.sku)
        hint = (
            " (deleted: PATCH it with active=true to restore it)" if existing and existing.deleted_at else ""
        )
        raise Conflict(
            f"product {request.sku} already exists{hint}", code="duplicate_sku", details={"sku": request.sku}
        )
    return product


def get_product(principal: Principal, sku: str) -> Product:
    # a SKU the catalog could never hold is simply not there (and never reaches the table)
    product = repos.products.get(principal.tenant_id, sku) if SKU_PATTERN.fullmatch(sku) else None
    if product is None:
        raise NotFound(f"product {sku} not found", code="product_not_found")
    return product


def list_products(principal: Principal, query: ProductQuery) -> dict[str, Any]:
    items, cursor = repos.products.page(
        principal.tenant_id,
        category=query.category,
        active=query.active,
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": [p.public() for p in items], "count": len(items), "next_cursor": cursor}


def update_product(principal: Principal, sku: str, request: ProductUpdate) -> Product:
    """A change made over the version the client read: if the product moved since, 409 (the
    client reads it again and decides), never a silent overwrite. `attributes` is replaced whole.
    Setting `active` to true restores a deleted product. A change to `category` or `attributes`
    is checked against the category as it is now (it exists; the attributes meet its schema)."""
    current = get_product(principal, sku)
    require_version(f"product {sku}", current.version, request.version)
    changes = request.model_dump(exclude_unset=True, exclude={"version"})
    if {"category", "attributes"} & changes.keys():
        check_product_category(
            principal.tenant_id,
            changes.get("category", current.category),
            changes.get("attributes", current.attributes) or {},
        )
    if changes.get("active") is True:
        changes["deleted_at"] = None
    updated = Product.model_validate(
        {
            **current.model_dump(),
            **changes,
            "version": current.version + 1,
            "updated_at": now_iso(),
        }
    )
    repos.products.replace(updated, current.version)
    return updated


def delete_product(principal: Principal, sku: str) -> Product:
    """Soft delete: the product stays readable (order lines and reports name it) but has no price
    any more, so new API orders for it are refused. Deleting it again changes nothing."""
    for _ in range(_DELETE_TRIES):
        current = get_product(principal, sku)
        if current.deleted_at is not None:
            return current
        now = now_iso()
        deleted = current.model_copy(
            update={"active": False, "deleted_at": now, "updated_at": now, "version": current.version + 1}
        )
        try:
            repos.products.replace(deleted, current.version)
        except Conflict as exc:
            if exc.code != "version_conflict":
                raise
            continue
        return deleted
    raise Conflict(f"product {sku} is being changed by others; retry", code="concurrent_update")
