"""Invoice Guard's items in the billing table (ADR 0032).

- tariffs:     pk=T#<tenant>#TARIFFS,          sk=<tariff id>         doc, version
- invoices:    pk=T#<tenant>#INVOICES,         sk=<invoice id>        doc, version (ids sort by day)
- adjustments: pk=T#<tenant>#ADJ#<invoice id>, sk=<adjustment id>     doc, version
- ledger:      pk=T#<tenant>#LEDGER#<UTC day>, sk=B#<first sequence>  packed (compressed facts)

A ledger item holds what one stream batch billed for one tenant and day; a retried batch starts
at the same record, so it rewrites the same item (a put of what it saw), never adds one. The
generator reads a day's items with one query and deduplicates the facts by (order_ref, kind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data.base import connection, decode_cursor, encode_cursor, store_error
from oms.data.codec import pack, unpack
from oms.data.records import BillingRecord
from oms.domain.billing import Fact
from oms.domain.errors import Conflict

LEDGER_KEPT_SECONDS = 400 * 86400  # a year and a bit: long enough for any backfill or audit


def tariffs_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#TARIFFS"


def invoices_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#INVOICES"


def adjustments_pk(tenant_id: str, invoice_id: str) -> str:
    return f"T#{tenant_id}#ADJ#{invoice_id}"


def ledger_pk(tenant_id: str, day: str) -> str:
    return f"T#{tenant_id}#LEDGER#{day}"


def _changed(exc: PutError | TransactWriteError) -> bool:
    if isinstance(exc, TransactWriteError):
        return any(
            r is not None and r.code == "ConditionalCheckFailed" for r in (exc.cancellation_reasons or [])
        )
    return exc.cause_response_code == "ConditionalCheckFailedException"


class BillingRepository:
    # ------------------------------------------------------------------ tariffs
    def tariffs(self, tenant_id: str) -> list[tuple[dict[str, Any], int]]:
        return [(dict(r.doc or {}), int(r.version or 1)) for r in BillingRecord.query(tariffs_pk(tenant_id))]

    def tariff(self, tenant_id: str, tariff_id: str) -> tuple[dict[str, Any], int] | None:
        try:
            r = BillingRecord.get(tariffs_pk(tenant_id), tariff_id, consistent_read=True)
        except DoesNotExist:
            return None
        return dict(r.doc or {}), int(r.version or 1)

    def save_tariffs(self, tenant_id: str, writes: Sequence[tuple[dict[str, Any], int | None]]) -> None:
        """Write tariff documents together: each (doc, version it was read at; None: new). One
        transaction, so activating one and deactivating another happen together or not at all."""
        try:
            with TransactWrite(connection=connection()) as tx:
                for doc, expected in writes:
                    record = BillingRecord(
                        tariffs_pk(tenant_id), doc["id"], doc=doc, version=(expected or 0) + 1
                    )
                    condition = (
                        BillingRecord.pk.does_not_exist()
                        if expected is None
                        else BillingRecord.version == expected
                    )
                    tx.save(record, condition=condition)
        except TransactWriteError as exc:
            if _changed(exc):
                raise Conflict("a tariff changed meanwhile; read it again", code="concurrent_update") from exc
            raise store_error(exc, "tariff") from exc

    # ------------------------------------------------------------------ ledger
    def put_ledger_items(self, items: Iterable[tuple[str, str, str, Sequence[Fact]]], expires: int) -> None:
        """Several ledger items in batches of 25 (BatchWriteItem; pynamodb resends unprocessed)."""
        with BillingRecord.batch_write() as batch:
            for tenant_id, day, first_sequence, facts in items:
                batch.save(
                    BillingRecord(
                        ledger_pk(tenant_id, day),
                        f"B#{first_sequence}",
                        packed=pack({"f": [f.packed() for f in facts]}),
                        expires_at_epoch=expires,
                    )
                )

    def ledger_day(self, tenant_id: str, day: str) -> list[Fact]:
        """Every fact the ledger holds for one tenant and day (duplicates included)."""
        facts: list[Fact] = []
        for r in BillingRecord.query(ledger_pk(tenant_id, day)):
            if r.packed:
                facts.extend(Fact.unpacked(row) for row in unpack(r.packed).get("f", []))
        return facts

    # ------------------------------------------------------------------ invoices
    def invoice(self, tenant_id: str, invoice_id: str) -> tuple[dict[str, Any], int] | None:
        try:
            r = BillingRecord.get(invoices_pk(tenant_id), invoice_id, consistent_read=True)
        except DoesNotExist:
            return None
        return dict(r.doc or {}), int(r.version or 1)

    def put_invoice(self, tenant_id: str, doc: dict[str, Any], expected: int | None) -> int:
        """Write an invoice if it is still at `expected` (None: new). Returns its new version."""
        version = (expected or 0) + 1
        condition = (
            BillingRecord.pk.does_not_exist() if expected is None else BillingRecord.version == expected
        )
        try:
            BillingRecord(invoices_pk(tenant_id), doc["invoice_id"], doc=doc, version=version).save(
                condition=condition
            )
        except PutError as exc:
            if _changed(exc):
                raise Conflict("the invoice changed meanwhile", code="concurrent_update") from exc
            raise store_error(exc, "invoice") from exc
        return version

    def invoices_page(
        self, tenant_id: str, low: str, high: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Invoices whose id sorts between `low` and `high`, newest first."""
        pk = invoices_pk(tenant_id)
        result = BillingRecord.query(
            pk,
            BillingRecord.sk.between(low, high),
            scan_index_forward=False,
            limit=limit,
            page_size=limit,
            last_evaluated_key=decode_cursor(cursor, pk, "pk"),
        )
        items = [{**dict(r.doc or {}), "version": int(r.version or 1)} for r in result]
        return items, encode_cursor(result.last_evaluated_key)

    # ------------------------------------------------------------------ adjustments
    def adjustments(self, tenant_id: str, invoice_id: str) -> list[tuple[dict[str, Any], int]]:
        return [
            (dict(r.doc or {}), int(r.version or 1))
            for r in BillingRecord.query(adjustments_pk(tenant_id, invoice_id), consistent_read=True)
        ]

    def add_adjustments(self, tenant_id: str, invoice_id: str, docs: Sequence[Mapping[str, Any]]) -> int:
        """Put each adjustment unless it exists (ids are deterministic). Returns how many were new."""
        added = 0
        for doc in docs:
            try:
                BillingRecord(
                    adjustments_pk(tenant_id, invoice_id), doc["adjustment_id"], doc=dict(doc), version=1
                ).save(condition=BillingRecord.pk.does_not_exist())
                added += 1
            except PutError as exc:
                if not _changed(exc):
                    raise store_error(exc, "adjustment") from exc
        return added

    def decide_adjustment(
        self,
        tenant_id: str,
        adjustment: dict[str, Any],
        adjustment_version: int,
        invoice: dict[str, Any],
        invoice_version: int,
    ) -> None:
        """The decided adjustment and the invoice's new totals, together, each only if unchanged."""
        invoice_id = invoice["invoice_id"]
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(
                    BillingRecord(
                        adjustments_pk(tenant_id, invoice_id),
                        adjustment["adjustment_id"],
                        doc=adjustment,
                        version=adjustment_version + 1,
                    ),
                    condition=BillingRecord.version == adjustment_version,
                )
                tx.save(
                    BillingRecord(
                        invoices_pk(tenant_id), invoice_id, doc=invoice, version=invoice_version + 1
                    ),
                    condition=BillingRecord.version == invoice_version,
                )
        except TransactWriteError as exc:
            if _changed(exc):
                raise Conflict(
                    "the invoice changed meanwhile; read it again", code="concurrent_update"
                ) from exc
            raise store_error(exc, "adjustment") from exc
