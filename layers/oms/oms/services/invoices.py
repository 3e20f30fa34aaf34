"""Invoice Guard's use cases (ADR 0032): generating a tenant's daily invoices from the billing
sources, validating drafts against the orders' own records, reading them, and deciding the
adjustments that wait for review.

Sources are pluggable: each is a function (tenant, day) -> facts. Cirrus's own orders come from
the billing ledger (kept from the orders stream); orders managed elsewhere come from the radar's
tracked external orders (`repos.external_orders.completed_between`, when that repository is
there). Validation recomputes Cirrus's orders from the orders table, not from the ledger, so a
ledger that drifted from the truth shows up as a discrepancy."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from oms.data.billing import BillingRepository
from oms.data.busy import transient_when_busy
from oms.domain import invoices as inv
from oms.domain.billing import Fact, Tariff, dedupe, external_facts, facts_of_order, quantities
from oms.domain.clock import iso, now_iso, parse_iso, utcnow
from oms.domain.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from oms.domain.models import Order, Principal, Role
from oms.services import tariffs

log = logging.getLogger(__name__)

transient_when_busy(BillingRepository)
billing = BillingRepository()

TRUTH_WINDOW_DAYS = 7  # validation checks orders created up to this long before their billing day
CREDIT_WINDOW_DAYS = 14  # exceptions created up to this long before the day are credited
DEFAULT_LOOKBACK_HOURS = 24

Source = Callable[[str, str], list[Fact]]


# ---------------------------------------------------------------------------- sources
def ledger_source(tenant_id: str, day: str) -> list[Fact]:
    """Cirrus's own orders: the billing ledger's facts of the day."""
    return [f for f in billing.ledger_day(tenant_id, day) if f.day == day]


def _external_orders() -> Any:
    """The radar's tracked external orders (oms.data.radar, helper R's), when deployed here."""
    try:
        from oms.data.radar import RadarRepository
    except ImportError:  # a build without the SLA radar: no external orders to bill
        return None
    return RadarRepository()


def external_source(tenant_id: str, day: str) -> list[Fact]:
    """Orders managed elsewhere whose events came in through /ingest: the radar's tracked
    orders completed (shipped) in the period, with the counts their events carried."""
    repo = _external_orders()
    if repo is None:
        return []
    start, end = inv.period(day)
    facts: list[Fact] = []
    for row in repo.completed_between(tenant_id, start, end):
        ref = row.get("order_ref") or f"ext:{row.get('external_order_id')}"
        facts += [f for f in external_facts(str(ref), row) if f.day == day]
    return facts


SOURCES: list[tuple[str, Source]] = [("orders", ledger_source), ("external", external_source)]


def billed_facts(tenant_id: str, day: str) -> dict[tuple[str, str], Fact]:
    return dedupe(f for _, source in SOURCES for f in source(tenant_id, day))


# ---------------------------------------------------------------------------- generating
def generate_day(tenant_id: str, day: str, tariff: Tariff, dry_run: bool) -> dict[str, Any]:
    """The day's invoice as a DRAFT: created, rewritten if it changed and is still a DRAFT,
    otherwise left alone (a rerun writes nothing)."""
    facts = billed_facts(tenant_id, day)
    invoice_id = inv.invoice_id(tenant_id, day)
    report: dict[str, Any] = {"day": day, "invoice_id": invoice_id, "orders": 0}
    if not facts:
        return {**report, "action": "empty"}
    fresh = inv.draft(tenant_id, day, tariff, facts, now_iso())
    report.update(orders=fresh["order_count"], subtotal=fresh["subtotal"])
    stored = billing.invoice(tenant_id, invoice_id)
    if stored is not None and stored[0]["status"] != inv.DRAFT:
        return {**report, "action": "kept", "status": stored[0]["status"]}
    if stored is not None and inv.unchanged(stored[0], fresh):
        return {**report, "action": "unchanged"}
    action = "created" if stored is None else "updated"
    if dry_run:
        return {**report, "action": f"would_be_{action}", "lines": fresh["lines"]}
    billing.put_invoice(tenant_id, fresh, stored[1] if stored else None)
    return {**report, "action": action}


def generate(tenant_id: str, days: Iterable[str], dry_run: bool = False) -> dict[str, Any]:
    tariff = tariffs.active_tariff(tenant_id)
    if tariff is None:
        return {"tariff": None, "invoices": [], "note": "no active tariff: nothing billed"}
    out = []
    for day in days:
        try:
            out.append(generate_day(tenant_id, day, tariff, dry_run))
        except Conflict:  # a validation or another run wrote it meanwhile: the next run sees it
            out.append({"day": day, "action": "skipped_concurrent"})
    return {"tariff": tariff.id, "dry_run": dry_run, "invoices": out}


# ---------------------------------------------------------------------------- validating
def truth_facts(tenant_id: str, day: str) -> dict[tuple[str, str], Fact]:
    """The day's facts recomputed: Cirrus orders from their own records (created within the
    window), the ledger's facts of older orders (outside what is checked), external orders."""
    from oms.data.billing_sources import orders_billable_on

    window_start = iso(parse_iso(f"{day}T00:00:00Z") - timedelta(days=TRUTH_WINDOW_DAYS))
    facts: list[Fact] = []
    for doc in orders_billable_on(tenant_id, day, window_start):
        facts += [f for f in facts_of_order(Order.model_validate(doc)) if f.day == day]
    facts += [f for f in ledger_source(tenant_id, day) if f.created_at and f.created_at < window_start]
    facts += external_source(tenant_id, day)
    return dedupe(facts)


def _exceptions(tenant_id: str, since: str, until: str) -> Iterable[Mapping[str, Any]]:
    from oms.services.context import repos

    found = getattr(repos, "exceptions", None)
    return [] if found is None else found.in_range(tenant_id, since, until)


def _tariff_of(tenant_id: str, invoice: Mapping[str, Any]) -> Tariff | None:
    found = billing.tariff(tenant_id, str(invoice.get("tariff_id")))
    if found is not None:
        return tariffs._load(*found)
    return tariffs.active_tariff(tenant_id)


def validate_day(tenant_id: str, day: str) -> dict[str, Any]:
    invoice_id = inv.invoice_id(tenant_id, day)
    stored = billing.invoice(tenant_id, invoice_id)
    if stored is None:
        return {"day": day, "invoice_id": invoice_id, "action": "none"}
    invoice, version = stored
    if invoice["status"] != inv.DRAFT:
        return {"day": day, "invoice_id": invoice_id, "action": "kept", "status": invoice["status"]}
    tariff = _tariff_of(tenant_id, invoice)
    if tariff is None:
        return {"day": day, "invoice_id": invoice_id, "action": "no_tariff"}
    truth = truth_facts(tenant_id, day)
    wanted = inv.discrepancies(invoice, tariff, quantities(truth.values()))
    start, end = inv.period(day)
    since = iso(parse_iso(start) - timedelta(days=CREDIT_WINDOW_DAYS))
    refs = [ref for ref, kind in truth if kind == "completed"]
    wanted += inv.sla_credits(invoice, tariff, refs, _exceptions(tenant_id, since, end))
    added = billing.add_adjustments(tenant_id, invoice_id, wanted)
    adjustments = [doc for doc, _ in billing.adjustments(tenant_id, invoice_id)]
    done = inv.summarise({**invoice, "status": inv.VALIDATED, "validated_at": now_iso()}, adjustments)
    billing.put_invoice(tenant_id, done, version)
    return {
        "day": day,
        "invoice_id": invoice_id,
        "action": "validated",
        "status": done["status"],
        "adjustments_added": added,
        "total": done["total"],
    }


def validate(tenant_id: str, days: Iterable[str]) -> dict[str, Any]:
    out = []
    for day in days:
        try:
            out.append(validate_day(tenant_id, day))
        except Conflict:
            out.append({"day": day, "action": "skipped_concurrent"})
    return {"invoices": out}


def job_days(lookback_hours: int | None, days_back: int | None) -> list[str]:
    return inv.closed_days(utcnow(), lookback_hours or DEFAULT_LOOKBACK_HOURS, days_back)


# ---------------------------------------------------------------------------- reading
def _load(principal: Principal, invoice_id: str) -> tuple[dict[str, Any], int]:
    found = billing.invoice(principal.tenant_id, invoice_id)
    if found is None:
        raise NotFound(f"no invoice {invoice_id}", code="invoice_not_found")
    return found


def get(principal: Principal, invoice_id: str) -> dict[str, Any]:
    invoice, _ = _load(principal, invoice_id)
    adjustments = [doc for doc, _ in billing.adjustments(principal.tenant_id, invoice_id)]
    return inv.public(invoice, adjustments)


def as_csv(principal: Principal, invoice_id: str) -> str:
    return inv.to_csv(get(principal, invoice_id))


def page(
    principal: Principal,
    status: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """Invoices newest first, by period (`since`/`until`: days or times; the day counts); a
    `status` filter applies within each page, so a page may hold fewer than `limit`."""
    low = "INV-" + (since[:10].replace("-", "") if since else "")
    high = "INV-" + (until[:10].replace("-", "") if until else "99999999") + "-\uffff"
    items, next_cursor = billing.invoices_page(principal.tenant_id, low, high, limit, cursor)
    if status:
        items = [i for i in items if i.get("status") == status]
    return {"items": [inv.public(i, None) for i in items], "count": len(items), "next_cursor": next_cursor}


# ---------------------------------------------------------------------------- deciding
def decide(principal: Principal, invoice_id: str, adjustment_id: str, approve: bool) -> dict[str, Any]:
    """Approve or reject an adjustment waiting in REVIEW (409 `already_decided` otherwise); the
    invoice's totals and status follow, in the same transaction."""
    invoice, version = _load(principal, invoice_id)
    found = billing.adjustments(principal.tenant_id, invoice_id)
    current = next(((d, v) for d, v in found if d["adjustment_id"] == adjustment_id), None)
    if current is None:
        raise NotFound(f"no adjustment {adjustment_id} on invoice {invoice_id}", code="adjustment_not_found")
    adjustment, adjustment_version = current
    if adjustment["status"] != inv.REVIEW:
        raise Conflict(
            f"adjustment {adjustment_id} is already {adjustment['status']}",
            code="already_decided",
            details={"status": adjustment["status"]},
        )
    decided = inv.decide(adjustment, approve, principal.email, now_iso())
    everything = [decided if d["adjustment_id"] == adjustment_id else d for d, _ in found]
    summary = inv.summarise(invoice, everything)
    billing.decide_adjustment(principal.tenant_id, decided, adjustment_version, summary, version)
    return inv.public(summary, everything)


# ---------------------------------------------------------------------------- on demand
def run_on_demand(
    principal: Principal,
    *,
    tenant_id: str | None,
    lookback_hours: int,
    days_back: int | None,
    dry_run: bool,
    validate_after: bool,
) -> dict[str, Any]:
    """generate_invoices (then validate_invoices when asked) with parameters, on the learning
    function like the scheduled runs. A tenant other than the caller's: the platform owner only."""
    from oms.adapters import jobs

    tenant = tenant_id or principal.tenant_id
    if tenant != principal.tenant_id and not principal.at_least(Role.PLATFORM_OWNER):
        raise Forbidden(
            "only the platform owner runs another tenant's invoices",
            code="insufficient_role",
            details={"required": Role.PLATFORM_OWNER.value, "have": principal.role.value},
        )
    params: dict[str, Any] = {"lookback_hours": lookback_hours, "days_back": days_back, "dry_run": dry_run}
    out: dict[str, Any] = {"tenant_id": tenant, "dry_run": dry_run}
    try:
        out["generate"] = jobs.run_learning_job("generate_invoices", tenant, params)
        if validate_after and not dry_run:
            out["validate"] = jobs.run_learning_job("validate_invoices", tenant, params)
    except jobs.JobFailed as exc:
        raise ServiceUnavailable(str(exc), code="job_failed") from exc
    return out
