"""The product catalog (prices by SKU)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from oms.data import keys
from oms.data.records import ProductRecord


class ProductRepository:
    def put(self, tenant_id: str, sku: str, name: str, price: Decimal) -> None:
        ProductRecord(keys.products_pk(tenant_id), sku, name=name, price=str(price)).save()

    def prices(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Decimal]:
        wanted = [(keys.products_pk(tenant_id), sku) for sku in set(skus)]
        return {r.sk: Decimal(r.price) for r in ProductRecord.batch_get(wanted) if r.price is not None}
