"""The product catalog: what API orders are priced from, and its categories with their attribute
schemas. Writes are a SUPERADMIN's; every signed-in person reads them."""

from __future__ import annotations

from typing import Any

from oms.api.http import route
from oms.api.instance import app
from oms.domain.categories import CategoryCreate, CategoryUpdate
from oms.domain.models import Principal, Role
from oms.domain.products import ProductCreate, ProductQuery, ProductUpdate
from oms.services import categories, products


@route(app, "/products", ["POST"], role=Role.SUPERADMIN, status=201, body=ProductCreate)
def create_product(principal: Principal, *, body: ProductCreate) -> dict[str, Any]:
    """Add a product (its SKU, name and price) to the catalog."""
    return products.create_product(principal, body).public()


@route(app, "/products", ["GET"], query=ProductQuery)
def list_products(principal: Principal, *, query: ProductQuery) -> dict[str, Any]:
    """Products in SKU order (filters category, active; limit and cursor)."""
    return products.list_products(principal, query)


@route(app, "/products/{sku}", ["GET"])
def get_product(principal: Principal, sku: str) -> dict[str, Any]:
    return products.get_product(principal, sku).public()


@route(app, "/products/{sku}", ["PATCH"], role=Role.SUPERADMIN, body=ProductUpdate)
def update_product(principal: Principal, sku: str, *, body: ProductUpdate) -> dict[str, Any]:
    """Change a product, conditioned on the `version` read (409 version_conflict if it moved)."""
    return products.update_product(principal, sku, body).public()


@route(app, "/products/{sku}", ["DELETE"], role=Role.SUPERADMIN)
def delete_product(principal: Principal, sku: str) -> dict[str, Any]:
    """Soft delete: active=false and deleted_at set; the SKU has no price for new orders."""
    return products.delete_product(principal, sku).public()


@route(app, "/product-categories", ["POST"], role=Role.SUPERADMIN, status=201, body=CategoryCreate)
def create_category(principal: Principal, *, body: CategoryCreate) -> dict[str, Any]:
    """Add a product category, with the JSON Schema (Draft 2020-12) its products' attributes meet."""
    return categories.create_category(principal, body).public()


@route(app, "/product-categories", ["GET"])
def list_categories(principal: Principal) -> dict[str, Any]:
    """Every product category of the tenant, by name, with its attribute schema."""
    return categories.list_categories(principal)


@route(app, "/product-categories/{name}", ["GET"])
def get_category(principal: Principal, name: str) -> dict[str, Any]:
    return categories.get_category(principal, name).public()


@route(app, "/product-categories/{name}", ["PATCH"], role=Role.SUPERADMIN, body=CategoryUpdate)
def update_category(principal: Principal, name: str, *, body: CategoryUpdate) -> dict[str, Any]:
    """Change a category's description or schema, conditioned on the `version` read."""
    return categories.update_category(principal, name, body).public()
