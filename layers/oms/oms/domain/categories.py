"""Product categories (pure): a tenant's named groups of products, each with an optional attribute
schema (JSON Schema Draft 2020-12, held as data) that the `attributes` of its products must meet.

A product naming a category names one that exists (422 `unknown_category` otherwise); a category
without a schema leaves its products' attributes free-form, within the size and depth caps every
product has (ADR 0026).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from oms.domain.errors import ValidationFailed
from oms.domain.models import Strict

# what a URL path segment carries without surprises: letters (any script), digits, space, & ' + , . ( ) -
CATEGORY_NAME_RE = r"^\w[\w &'+,.()-]{0,99}$"
CATEGORY_NAME = re.compile(CATEGORY_NAME_RE)
CategoryName = Annotated[str, Field(min_length=1, max_length=100, pattern=CATEGORY_NAME_RE)]
MAX_CATEGORIES = 100  # a tenant's categories (GET /product-categories answers them all at once)


class CategoryCreate(Strict):
    name: CategoryName
    description: str | None = Field(default=None, max_length=1000)
    attribute_schema: dict[str, Any] | None = Field(
        default=None,
        description="a JSON Schema (Draft 2020-12) object the attributes of the category's products "
        "must meet; null or absent: attributes are free-form",
    )


class CategoryUpdate(Strict):
    """A change made over the version the client read (409 `version_conflict` if it moved)."""

    version: int = Field(ge=1, description="the category's version as read; a stale one is a 409")
    description: str | None = Field(default=None, max_length=1000)
    attribute_schema: dict[str, Any] | None = Field(
        default=None, description="the new schema, whole; null removes it (free-form attributes)"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> CategoryUpdate:
        if not self.model_fields_set - {"version"}:
            raise ValueError("at least one field besides version must be given")
        return self


class Category(BaseModel):
    tenant_id: str
    name: str
    description: str | None = None
    attribute_schema: dict[str, Any] | None = None
    version: int = 1
    created_at: str
    updated_at: str

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"tenant_id"})


def require_valid_schema(schema: dict[str, Any] | None) -> None:
    """422 `invalid_attribute_schema`, one detail per problem with its JSON pointer in the schema."""
    # imported here: jsonschema takes ~0.2 s to import, paid by writes of categories and products
    # only, not by every cold start of the API (ADR 0026)
    from oms.domain.attribute_schema import schema_problems

    if schema is None:
        return
    problems = schema_problems(schema)
    if problems:
        raise ValidationFailed(
            "attribute_schema is not an acceptable JSON Schema (Draft 2020-12)",
            code="invalid_attribute_schema",
            details=problems,
        )


def require_valid_attributes(category: Category, attributes: dict[str, Any]) -> None:
    """422 `invalid_attributes`, one detail per problem with its JSON pointer in the attributes."""
    from oms.domain.attribute_schema import attribute_problems

    if category.attribute_schema is None:
        return
    problems = attribute_problems(category.attribute_schema, attributes)
    if problems:
        raise ValidationFailed(
            f"attributes do not meet the schema of category {category.name}",
            code="invalid_attributes",
            details=problems,
        )
