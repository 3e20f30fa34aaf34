"""Product categories: one partition per tenant (pk=T#<tenant>#CATEGORIES, sk=C#<name>), so the
listing is one query; a counter item beside them (sk=#COUNT) caps how many a tenant keeps."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import cancellation_reasons, connection, failed_keys, raise_for_transaction, store_error
from oms.data.records import CategoryRecord
from oms.domain.categories import Category
from oms.domain.errors import Conflict

COUNT_SK = "#COUNT"  # sorts before every C#<name>, outside their prefix
_PREFIX = "C#"
_BUSY_TRIES = 3


def _sk(name: str) -> str:
    return f"{_PREFIX}{name}"


def _category(record: CategoryRecord) -> Category:
    return Category.model_validate({**(record.doc or {}), "version": int(record.version or 1)})


def _record(category: Category) -> CategoryRecord:
    return CategoryRecord(
        keys.categories_pk(category.tenant_id),
        _sk(category.name),
        doc=category.model_dump(mode="json", exclude={"version"}),
        version=category.version,
    )


class CategoryRepository:
    def insert_within(self, category: Category, limit: int) -> bool:
        """Store a new category and count it, in one transaction conditioned on the count staying
        under `limit`. False: the limit is reached. Conflict `duplicate_category`: the name is
        taken (the count is then unchanged: the transaction did nothing)."""
        pk, sk = keys.categories_pk(category.tenant_id), _sk(category.name)
        for attempt in range(_BUSY_TRIES):
            tx = TransactWrite(connection=connection())
            try:
                with tx:
                    tx.save(_record(category), condition=CategoryRecord.pk.does_not_exist())
                    tx.update(
                        CategoryRecord(pk, COUNT_SK),
                        actions=[CategoryRecord.total.add(1)],
                        condition=CategoryRecord.total.does_not_exist() | (CategoryRecord.total < limit),
                    )
                return True
            except TransactWriteError as exc:
                failed = failed_keys(exc, tx)
                if sk in failed:
                    raise Conflict(
                        f"category {category.name} already exists",
                        code="duplicate_category",
                        details={"name": category.name},
                    ) from exc
                if COUNT_SK in failed:
                    return False
                busy = "TransactionConflict" in cancellation_reasons(exc)  # concurrent creates
                if not busy or attempt + 1 == _BUSY_TRIES:
                    raise_for_transaction(exc, "product category", tx)
        return False  # not reached: the last attempt returns or raises

    def get(self, tenant_id: str, name: str) -> Category | None:
        try:
            record = CategoryRecord.get(keys.categories_pk(tenant_id), _sk(name), consistent_read=True)
        except DoesNotExist:
            return None
        return _category(record)

    def all(self, tenant_id: str) -> list[Category]:
        """Every category of the tenant, by name (at most the limit: one query)."""
        rows = CategoryRecord.query(keys.categories_pk(tenant_id), CategoryRecord.sk.startswith(_PREFIX))
        return [_category(r) for r in rows]

    def replace(self, category: Category, expected_version: int) -> None:
        """Write the next version (`category.version`), only over the version it was read at."""
        try:
            _record(category).save(condition=CategoryRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict(
                    f"category {category.name} changed meanwhile; read it again", code="version_conflict"
                ) from exc
            raise store_error(exc, "product category") from exc
