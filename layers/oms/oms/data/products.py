"""The product catalog: one partition per tenant (pk=T#<tenant>#PRODUCTS, sk=<sku>), so a listing
is one query in SKU order and pricing an order is one BatchGetItem."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from oms.data import keys
from oms.data.base import decode_cursor, encode_cursor
from oms.data.records import ProductRecord
from oms.domain.errors import Conflict, TransientStoreError
from oms.domain.products import CatalogPrice, Product

_MAX_SCANNED = 1000  # rows one listing request reads at most (filters skip rows, not reads)
_PRICING_ATTRIBUTES = ["pk", "sk", "price", "currency", "sellable", "name"]  # pynamodb wants a list


def _product(tenant_id: str, record: ProductRecord) -> Product:
    if record.doc:
        return Product.model_validate({**record.doc, "version": int(record.version or 1)})
    # a row from before the catalog API: a name and a price, sellable, in dollars
    return Product(tenant_id=tenant_id, sku=record.sk, name=record.name or record.sk, price=record.price)


def _record(product: Product) -> ProductRecord:
    return ProductRecord(
        keys.products_pk(product.tenant_id),
        product.sku,
        name=product.name,
        price=str(product.price),
        currency=product.currency,
        sellable=product.sellable,
        version=product.version,
        doc=product.model_dump(mode="json", exclude={"version"}),
    )


class ProductRepository:
    def insert(self, product: Product) -> bool:
        """Store a new product; False if the SKU is in the catalog already (deleted ones too)."""
        try:
            _record(product).save(condition=ProductRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise TransientStoreError("the catalog is busy; retry") from exc
        return True

    def get(self, tenant_id: str, sku: str) -> Product | None:
        try:
            record = ProductRecord.get(keys.products_pk(tenant_id), sku, consistent_read=True)
        except DoesNotExist:
            return None
        return _product(tenant_id, record)

    def get_many(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Product]:
        """The catalog entries of the given SKUs (deleted ones too): BatchGetItem, 100 keys a call."""
        wanted = [(keys.products_pk(tenant_id), sku) for sku in dict.fromkeys(skus)]
        if not wanted:
            return {}
        return {r.sk: _product(tenant_id, r) for r in ProductRecord.batch_get(wanted)}

    def replace(self, product: Product, expected_version: int) -> None:
        """Write the next version, only over the version it was read at (`product.version` is the
        new one). A row from before versions counts as version 1."""
        read_at = ProductRecord.version == expected_version
        if expected_version == 1:
            read_at = read_at | ProductRecord.version.does_not_exist()
        try:
            _record(product).save(condition=ProductRecord.pk.exists() & read_at)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    f"product {product.sku} changed meanwhile; read it again",
                    code="version_conflict",
                ) from exc
            raise TransientStoreError("the catalog is busy; retry") from exc

    def page(
        self,
        tenant_id: str,
        *,
        category: str | None,
        active: bool | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Product], str | None]:
        """Products in SKU order, filtered; the cursor is set while more may follow."""
        pk = keys.products_pk(tenant_id)
        start = decode_cursor(cursor, pk, "pk")
        page_size = min(max(limit + 1, 25), 200)
        found: list[Product] = []
        rows = ProductRecord.query(pk, last_evaluated_key=start, page_size=page_size)
        for scanned, record in enumerate(rows, start=1):
            product = _product(tenant_id, record)
            wanted = (category is None or product.category == category) and (
                active is None or product.sellable == active
            )
            if wanted:
                if len(found) == limit:  # one more exists: the next page starts after the last shown
                    return found, _cursor(pk, found[-1].sku)
                found.append(product)
            if scanned >= _MAX_SCANNED:
                return found, _cursor(pk, record.sk)
        return found, None

    def prices(self, tenant_id: str, skus: Iterable[str]) -> dict[str, CatalogPrice]:
        """Sellable catalog prices of the given SKUs: one BatchGetItem (an order has at most 40
        lines; DynamoDB takes 100 keys a call). Inactive and deleted products have no price."""
        wanted = [(keys.products_pk(tenant_id), sku) for sku in set(skus)]
        if not wanted:
            return {}
        return {
            r.sk: CatalogPrice(Decimal(r.price), r.currency or "USD", r.name or None)
            for r in ProductRecord.batch_get(wanted, attributes_to_get=list(_PRICING_ATTRIBUTES))
            if r.price is not None and r.sellable is not False
        }


def _cursor(pk: str, sku: str) -> str | None:
    key: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sku}}
    return encode_cursor(key)
