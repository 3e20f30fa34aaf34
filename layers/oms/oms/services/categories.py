"""Product categories and their attribute schemas; the check every product write passes (ADR 0026)."""

from __future__ import annotations

from typing import Any

from oms.domain.categories import (
    CATEGORY_NAME,
    MAX_CATEGORIES,
    Category,
    CategoryCreate,
    CategoryUpdate,
    require_valid_attributes,
    require_valid_schema,
)
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, NotFound, ValidationFailed, require_version
from oms.domain.models import Principal
from oms.services.context import repos


def create_category(principal: Principal, request: CategoryCreate) -> Category:
    require_valid_schema(request.attribute_schema)
    now = now_iso()
    category = Category(
        tenant_id=principal.tenant_id, version=1, created_at=now, updated_at=now, **request.model_dump()
    )
    if not repos.categories.insert_within(category, MAX_CATEGORIES):
        raise Conflict(
            f"a tenant keeps at most {MAX_CATEGORIES} product categories",
            code="category_limit_reached",
            details={"limit": MAX_CATEGORIES},
        )
    return category


def list_categories(principal: Principal) -> dict[str, Any]:
    return {"items": [c.public() for c in repos.categories.all(principal.tenant_id)]}


def find_category(tenant_id: str, name: str) -> Category | None:
    # a name no category could have is simply not there (and never reaches the table)
    return repos.categories.get(tenant_id, name) if CATEGORY_NAME.fullmatch(name) else None


def get_category(principal: Principal, name: str) -> Category:
    category = find_category(principal.tenant_id, name)
    if category is None:
        raise NotFound(f"product category {name} not found", code="category_not_found")
    return category


def update_category(principal: Principal, name: str, request: CategoryUpdate) -> Category:
    """A change made over the version the client read: 409 if the category moved since. A new
    schema applies to product writes from now on; products stored under the old one keep their
    attributes until they are next changed (ADR 0026)."""
    current = get_category(principal, name)
    require_version(f"category {name}", current.version, request.version)
    changes = request.model_dump(exclude_unset=True, exclude={"version"})
    if "attribute_schema" in changes:
        require_valid_schema(changes["attribute_schema"])
    updated = current.model_copy(update={**changes, "version": current.version + 1, "updated_at": now_iso()})
    repos.categories.replace(updated, current.version)
    return updated


def check_product_category(tenant_id: str, category: str | None, attributes: dict[str, Any]) -> None:
    """A product's category exists (else 422 `unknown_category`) and its attributes meet the
    category's schema, if it has one (else 422 `invalid_attributes`, a detail per problem)."""
    if category is None:
        return
    found = find_category(tenant_id, category)
    if found is None:
        raise ValidationFailed(
            f"product category {category} does not exist; create it first (POST /product-categories)",
            code="unknown_category",
            details=[
                {"loc": ["body", "category"], "msg": "no such product category", "type": "unknown_category"}
            ],
        )
    require_valid_attributes(found, attributes)
