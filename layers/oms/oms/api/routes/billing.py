"""Invoice Guard (ADR 0032): tariffs, invoices (JSON and CSV), adjustment decisions, and running
the invoice generator on demand (the ops CLI's `invoices generate`)."""

from __future__ import annotations

from typing import Any

from chalice import Response
from pydantic import Field

from oms.api.http import PageQuery, route
from oms.api.instance import app
from oms.domain.billing import TariffFields
from oms.domain.invoices import STATUSES
from oms.domain.models import Principal, Role, Strict
from oms.services import invoices, tariffs

_DAY = r"^\d{4}-\d{2}-\d{2}"


class TariffPatch(TariffFields):
    """Any subset of a tariff's fields, and the version it was read at; the merged tariff is
    validated whole."""

    name: str | None = Field(default=None, min_length=1, max_length=100)  # type: ignore[assignment]
    version: int = Field(ge=1)


class InvoiceQuery(PageQuery):
    status: str | None = Field(default=None, pattern="^(" + "|".join(STATUSES) + ")$")
    since: str | None = Field(default=None, pattern=_DAY, max_length=40)
    until: str | None = Field(default=None, pattern=_DAY, max_length=40)


class GenerateRequest(Strict):
    """Which closed UTC days: those ended within `lookback_hours`, or with `backfill` the last
    `days_back` days. `tenant_id`: your own (another tenant's for the platform owner only)."""

    tenant_id: str | None = Field(default=None, min_length=1, max_length=64)
    lookback_hours: int = Field(default=24, ge=1, le=24 * 400)
    backfill: bool = False
    days_back: int | None = Field(default=None, ge=1, le=400)
    dry_run: bool = False
    validate_after: bool = False


# ------------------------------------------------------------------ tariffs
@route(app, "/billing/tariffs", ["POST"], role=Role.SUPERADMIN, status=201, body=TariffFields)
def create_tariff(principal: Principal, *, body: TariffFields) -> dict[str, Any]:
    """Create a tariff (an active one deactivates the tenant's other active tariff)."""
    return tariffs.create(principal, body)


@route(app, "/billing/tariffs", ["GET"])
def list_tariffs(principal: Principal) -> dict[str, Any]:
    items = tariffs.list_tariffs(principal)
    return {"items": items, "count": len(items)}


@route(app, "/billing/tariffs/{tariff_id}", ["GET"])
def get_tariff(principal: Principal, tariff_id: str) -> dict[str, Any]:
    return tariffs.get(principal, tariff_id).public()


@route(app, "/billing/tariffs/{tariff_id}", ["PATCH"], role=Role.SUPERADMIN, body=TariffPatch)
def update_tariff(principal: Principal, tariff_id: str, *, body: TariffPatch) -> dict[str, Any]:
    """Change a tariff over the version you read (409 `version_conflict` if it moved)."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"}, mode="json")
    return tariffs.update(principal, tariff_id, changes, body.version)


# ------------------------------------------------------------------ invoices
@route(app, "/invoices", ["GET"], query=InvoiceQuery)
def list_invoices(principal: Principal, *, query: InvoiceQuery) -> dict[str, Any]:
    """Invoices newest first; `since`/`until` bound their period (UTC days)."""
    return invoices.page(principal, query.status, query.since, query.until, query.limit, query.cursor)


@route(app, "/invoices/{invoice_id}", ["GET"])
def get_invoice(principal: Principal, invoice_id: str) -> Any:
    """An invoice with its lines and adjustments (`<id>.csv`: the same as CSV)."""
    if invoice_id.endswith(".csv"):  # a gateway or router that matched the shorter route
        return invoice_csv(principal, invoice_id.removesuffix(".csv"))
    return invoices.get(principal, invoice_id)


@route(app, "/invoices/{invoice_id}.csv", ["GET"])
def invoice_csv(principal: Principal, invoice_id: str) -> Response:
    """The invoice as CSV (text/csv): header, lines, adjustments, totals."""
    return Response(
        body=invoices.as_csv(principal, invoice_id),
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{invoice_id}.csv"',
        },
    )


@route(app, "/invoices/{invoice_id}/adjustments/{adjustment_id}/approve", ["POST"], role=Role.SUPERADMIN)
def approve_adjustment(principal: Principal, invoice_id: str, adjustment_id: str) -> dict[str, Any]:
    """Approve an adjustment in REVIEW (409 `already_decided` if it was decided)."""
    return invoices.decide(principal, invoice_id, adjustment_id, approve=True)


@route(app, "/invoices/{invoice_id}/adjustments/{adjustment_id}/reject", ["POST"], role=Role.SUPERADMIN)
def reject_adjustment(principal: Principal, invoice_id: str, adjustment_id: str) -> dict[str, Any]:
    """Reject an adjustment in REVIEW (409 `already_decided` if it was decided)."""
    return invoices.decide(principal, invoice_id, adjustment_id, approve=False)


@route(app, "/billing/invoices/generate", ["POST"], role=Role.SUPERADMIN, body=GenerateRequest)
def generate_invoices(principal: Principal, *, body: GenerateRequest) -> dict[str, Any]:
    """Run generate_invoices now with parameters (and validate_invoices after it when asked)."""
    return invoices.run_on_demand(
        principal,
        tenant_id=body.tenant_id,
        lookback_hours=body.lookback_hours,
        days_back=(body.days_back or 7) if body.backfill else None,
        dry_run=body.dry_run,
        validate_after=body.validate_after,
    )
