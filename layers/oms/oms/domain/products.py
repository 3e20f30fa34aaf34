"""The product catalog (pure): what a tenant sells and at what price.

Orders made through the API are priced from here only (ADR 0013). A price is positive: a free
item is not a catalog price but a discount, which the API does not take from clients (yet); a
channel's free line (a Shopify gift) is imported at the channel's own price and needs no entry.

`attributes` is a JSON object, capped in size and depth; a product's `category` must exist
(`/product-categories`), and when the category has an attribute schema the attributes must meet
it (oms.domain.categories, ADR 0026).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, Field, field_validator, model_validator

from oms.domain.models import SKU_RE, Sku, Strict

Price = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Weight = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=3)]  # kilograms
Category = Annotated[str, Field(min_length=1, max_length=100)]

SKU_PATTERN = re.compile(SKU_RE)
MAX_ATTRIBUTES_BYTES = 8 * 1024
MAX_ATTRIBUTES_DEPTH = 5


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _check_attributes(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return value
    if _depth(value) > MAX_ATTRIBUTES_DEPTH:
        raise ValueError(f"attributes may nest at most {MAX_ATTRIBUTES_DEPTH} levels")
    size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValueError(f"attributes take {size} bytes as JSON; at most {MAX_ATTRIBUTES_BYTES}")
    return value


class ProductCreate(Strict):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    category: Category | None = None
    price: Price
    currency: Currency = "USD"
    weight: Weight | None = Field(default=None, description="kilograms")
    active: bool = True
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_attributes(v)


class ProductUpdate(Strict):
    """A partial change, conditioned on the version the client read (409 if it moved since)."""

    version: int = Field(ge=1, description="the product's version as read; a stale one is a 409")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    category: Category | None = None
    price: Price | None = None
    currency: Currency | None = None
    weight: Weight | None = None
    active: bool | None = None
    attributes: dict[str, Any] | None = None

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_attributes(v)

    @model_validator(mode="after")
    def _not_empty(self) -> ProductUpdate:
        if not self.model_fields_set - {"version"}:
            raise ValueError("at least one field besides version must be given")
        for required in ("name", "price", "currency", "active"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be cleared")
        return self


class ProductQuery(Strict):
    category: Category | None = None
    active: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class Product(BaseModel):
    tenant_id: str
    sku: str
    name: str
    description: str | None = None
    category: str | None = None
    price: Decimal
    currency: str = "USD"
    weight: Decimal | None = None
    active: bool = True
    attributes: dict[str, Any] = Field(default_factory=dict)
    version: int = 1
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None

    @property
    def sellable(self) -> bool:
        return self.active and self.deleted_at is None

    def public(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"tenant_id"})
        data["price"] = str(self.price)
        data["weight"] = None if self.weight is None else str(self.weight)
        return data


class CatalogPrice(NamedTuple):
    """What order pricing needs of a sellable product."""

    price: Decimal
    currency: str
    name: str | None = None  # the line's product name when the client gave none
