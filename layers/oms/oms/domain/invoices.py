"""Invoices and their adjustments (ADR 0032). Pure: no I/O.

One invoice per tenant and UTC day, its id made from both (a rerun finds the same invoice). A
DRAFT may be rewritten by the generator; once validated (VALIDATED or REVIEW) or FINAL it never
is. Validation adds adjustments with ids made from what they are about (a rerun adds nothing):
a `discrepancy` per operation whose billed quantity differs from the orders' own records, and an
`sla_credit` per exception of the period's orders whose milestone has a credit rule. An
adjustment within the tariff's auto-credit limit is APPLIED; above it, it waits in REVIEW (and so
does the invoice) until a SUPERADMIN approves or rejects it."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from oms.domain import billing
from oms.domain.billing import Fact, Tariff
from oms.domain.money import money_str, to_money

DRAFT, VALIDATED, REVIEW, FINAL = "DRAFT", "VALIDATED", "REVIEW", "FINAL"
STATUSES = (DRAFT, VALIDATED, REVIEW, FINAL)
APPLIED, APPROVED, REJECTED = "APPLIED", "APPROVED", "REJECTED"
COUNTED = frozenset({APPLIED, APPROVED})  # adjustments that change the total
_NS = uuid.UUID("6f1d6c1e-2b51-4c3e-9a57-0c1b1f7a3e32")


def invoice_id(tenant_id: str, day: str) -> str:
    """`INV-YYYYMMDD-<8 hex of tenant and day>`: sorts by period, the same for a rerun."""
    digest = hashlib.sha256(f"{tenant_id}|{day}".encode()).hexdigest()[:8].upper()
    return f"INV-{day.replace('-', '')}-{digest}"


def adjustment_id(invoice: str, kind: str, about: str) -> str:
    return str(uuid.uuid5(_NS, f"{invoice}|{kind}|{about}"))


def period(day: str) -> tuple[str, str]:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return _iso(start), _iso(start + timedelta(days=1))


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def closed_days(now: datetime, lookback_hours: int, days_back: int | None = None) -> list[str]:
    """The UTC days to invoice: each complete day that ended within `lookback_hours` of `now`
    (the nightly run: yesterday), or with `days_back` the last that many complete days."""
    today = now.astimezone(UTC).date()
    if days_back is not None:
        return [(today - timedelta(days=n)).isoformat() for n in range(days_back, 0, -1)]
    earliest = now - timedelta(hours=lookback_hours)
    days = []
    d = today - timedelta(days=1)
    while datetime.combine(d + timedelta(days=1), datetime.min.time(), UTC) > earliest:
        days.append(d.isoformat())
        d -= timedelta(days=1)
    return sorted(days)


def draft(
    tenant_id: str, day: str, tariff: Tariff, facts: Mapping[tuple[str, str], Fact], now_iso: str
) -> dict[str, Any]:
    """A DRAFT invoice of one day from its (deduplicated) facts and the tariff."""
    start, end = period(day)
    invoice_lines = billing.lines(tariff, billing.quantities(facts.values()))
    sub = billing.subtotal(invoice_lines)
    return {
        "invoice_id": invoice_id(tenant_id, day),
        "period_start": start,
        "period_end": end,
        "currency": tariff.currency,
        "status": DRAFT,
        "order_count": sum(1 for f in facts.values() if f.kind == "completed"),
        "lines": invoice_lines,
        "subtotal": money_str(sub),
        "adjustments_total": "0.00",
        "total": money_str(sub),
        "generated_at": now_iso,
        "validated_at": None,
        "tariff_id": tariff.id,
        "tariff_version": tariff.version,
        "review_count": 0,
    }


_SAME = ("order_count", "lines", "subtotal", "currency", "tariff_id", "tariff_version")


def unchanged(stored: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    """Whether a regenerated draft says what the stored one does (then nothing is written)."""
    return all(stored.get(k) == fresh.get(k) for k in _SAME)


# ---------------------------------------------------------------------------- adjustments
def _adjustment(
    invoice: str, kind: str, about: str, reason: str, amount: Decimal, limit: Decimal, **refs: Any
) -> dict[str, Any]:
    return {
        "adjustment_id": adjustment_id(invoice, kind, about),
        "kind": kind,
        "reason": reason,
        "amount": money_str(amount),
        "order_ref": refs.get("order_ref"),
        "exception_id": refs.get("exception_id"),
        "status": APPLIED if abs(to_money(amount)) <= limit else REVIEW,
        "decided_by": None,
        "decided_at": None,
    }


def discrepancies(
    invoice: Mapping[str, Any], tariff: Tariff, truth: Mapping[str, int]
) -> list[dict[str, Any]]:
    """One adjustment per operation whose billed quantity differs from the recomputed one:
    (recomputed - billed) x the unit price billed (the tariff's, for an operation not billed)."""
    billed = {line["operation"]: line for line in invoice.get("lines", [])}
    limit = tariff.auto_credit_limit
    out = []
    for op in billing.OPERATIONS:
        line = billed.get(op)
        have = int(line["quantity"]) if line else 0
        want = int(truth.get(op, 0))
        if have == want:
            continue
        price = Decimal(str(line["unit_price"])) if line else tariff.price(op)
        amount = to_money(price * (want - have))
        if not amount:
            continue
        reason = f"{op}: {have} billed, {want} in the orders' records"
        out.append(_adjustment(invoice["invoice_id"], "discrepancy", op, reason, amount, limit))
    return out


def sla_credits(
    invoice: Mapping[str, Any], tariff: Tariff, refs: Iterable[str], exceptions: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One credit per exception of an order billed in this invoice whose milestone has a rule:
    -(share_of_order_fee x per_order)."""
    wanted = set(refs)
    out = []
    seen: set[str] = set()
    for exc in exceptions:
        ref, exc_id, milestone = exc.get("order_ref"), exc.get("exception_id"), exc.get("milestone")
        share = tariff.credit_share(str(milestone))
        if ref not in wanted or share is None or not exc_id or exc_id in seen:
            continue
        seen.add(str(exc_id))
        amount = -to_money(share * tariff.per_order)
        if not amount:
            continue
        reason = f"SLA credit: {milestone} breached ({exc.get('severity') or 'breach'})"
        out.append(
            _adjustment(
                invoice["invoice_id"],
                "sla_credit",
                str(exc_id),
                reason,
                amount,
                tariff.auto_credit_limit,
                order_ref=ref,
                exception_id=exc_id,
            )
        )
    return out


def summarise(invoice: Mapping[str, Any], adjustments: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The invoice's totals and status after its adjustments: APPLIED and APPROVED count; any
    in REVIEW keeps the invoice in REVIEW; a DRAFT or FINAL invoice keeps its status."""
    counted = to_money(
        sum((Decimal(str(a["amount"])) for a in adjustments if a["status"] in COUNTED), Decimal("0"))
    )
    waiting = sum(1 for a in adjustments if a["status"] == REVIEW)
    status = invoice["status"]
    if status in (VALIDATED, REVIEW):
        status = REVIEW if waiting else VALIDATED
    return {
        **invoice,
        "status": status,
        "adjustments_total": money_str(counted),
        "total": money_str(Decimal(str(invoice["subtotal"])) + counted),
        "review_count": waiting,
    }


def decide(adjustment: Mapping[str, Any], approve: bool, by: str, at: str) -> dict[str, Any]:
    return {**adjustment, "status": APPROVED if approve else REJECTED, "decided_by": by, "decided_at": at}


# ---------------------------------------------------------------------------- the documents
def public(invoice: Mapping[str, Any], adjustments: Sequence[Mapping[str, Any]] | None) -> dict[str, Any]:
    doc = {k: v for k, v in invoice.items() if k not in ("review_count", "version")}
    if adjustments is not None:
        doc["adjustments"] = sorted(
            adjustments, key=lambda a: (a["kind"], a.get("order_ref") or "", a["adjustment_id"])
        )
    return doc


def to_csv(invoice: Mapping[str, Any]) -> str:
    """The invoice as CSV: a header block, its lines, its adjustments, its totals."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["invoice_id", invoice["invoice_id"]])
    w.writerow(["period_start", invoice["period_start"]])
    w.writerow(["period_end", invoice["period_end"]])
    w.writerow(["status", invoice["status"]])
    w.writerow(["currency", invoice["currency"]])
    w.writerow(["order_count", invoice["order_count"]])
    w.writerow([])
    w.writerow(["operation", "quantity", "unit_price", "amount"])
    for line in invoice.get("lines", []):
        w.writerow([line["operation"], line["quantity"], line["unit_price"], line["amount"]])
    w.writerow([])
    w.writerow(["adjustment_id", "kind", "status", "order_ref", "exception_id", "amount", "reason"])
    for a in invoice.get("adjustments", []):
        w.writerow(
            [
                a["adjustment_id"],
                a["kind"],
                a["status"],
                a.get("order_ref") or "",
                a.get("exception_id") or "",
                a["amount"],
                a["reason"],
            ]
        )
    w.writerow([])
    w.writerow(["subtotal", invoice["subtotal"]])
    w.writerow(["adjustments_total", invoice["adjustments_total"]])
    w.writerow(["total", invoice["total"]])
    return out.getvalue()


def day_of(value: str) -> date:
    return date.fromisoformat(value[:10])
