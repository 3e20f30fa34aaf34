"""Tariffs (ADR 0032): what a tenant is charged per operation, its SLA credit rules and its
auto-credit limit. One active tariff per tenant: activating one deactivates the other in the
same transaction. Changes are made over the version the client read (409 otherwise)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError

from oms.data.billing import BillingRepository
from oms.data.busy import transient_when_busy
from oms.domain.billing import Tariff, TariffFields
from oms.domain.clock import now_iso
from oms.domain.errors import NotFound, ValidationFailed, require_version
from oms.domain.models import Principal

transient_when_busy(BillingRepository)
billing = BillingRepository()


def _doc(tariff: Tariff) -> dict[str, Any]:
    return tariff.model_dump(mode="json")


def _load(doc: dict[str, Any], version: int) -> Tariff:
    return Tariff.model_validate({**doc, "version": version})


def all_tariffs(tenant_id: str) -> list[Tariff]:
    return [_load(doc, version) for doc, version in billing.tariffs(tenant_id)]


def active_tariff(tenant_id: str) -> Tariff | None:
    return next((t for t in all_tariffs(tenant_id) if t.is_active), None)


def _others_off(tenant_id: str, keep: str) -> list[tuple[dict[str, Any], int | None]]:
    """Every other active tariff of the tenant, deactivated (to write with the new active one)."""
    at = now_iso()
    return [
        (
            _doc(t.model_copy(update={"is_active": False, "version": t.version + 1, "updated_at": at})),
            t.version,
        )
        for t in all_tariffs(tenant_id)
        if t.is_active and t.id != keep
    ]


def create(principal: Principal, fields: TariffFields, tariff_id: str | None = None) -> dict[str, Any]:
    at = now_iso()
    tariff = Tariff.model_validate(
        {
            **fields.model_dump(),
            "id": tariff_id or str(uuid.uuid4()),
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
    )
    others = _others_off(principal.tenant_id, tariff.id) if tariff.is_active else []
    billing.save_tariffs(principal.tenant_id, [(_doc(tariff), None), *others])
    return tariff.public()


def list_tariffs(principal: Principal) -> list[dict[str, Any]]:
    return [t.public() for t in sorted(all_tariffs(principal.tenant_id), key=lambda t: t.created_at)]


def get(principal: Principal, tariff_id: str) -> Tariff:
    found = billing.tariff(principal.tenant_id, tariff_id)
    if found is None:
        raise NotFound(f"no tariff {tariff_id}", code="tariff_not_found")
    return _load(*found)


def update(
    principal: Principal, tariff_id: str, changes: dict[str, Any], expected_version: int
) -> dict[str, Any]:
    """Change the fields given (the merged tariff is validated whole) over `expected_version`."""
    current = get(principal, tariff_id)
    require_version(f"tariff {tariff_id}", current.version, expected_version)
    merged = {
        **TariffFields.model_validate(
            current.model_dump(include=set(TariffFields.model_fields))
        ).model_dump(),
        **changes,
    }
    try:
        fields = TariffFields.model_validate(merged)
    except ValidationError as exc:
        raise ValidationFailed(
            "the tariff failed validation",
            details=[
                {"loc": ["body", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ],
        ) from exc
    updated = Tariff.model_validate(
        {
            **current.model_dump(),
            **fields.model_dump(),
            "version": current.version + 1,
            "updated_at": now_iso(),
        }
    )
    others = _others_off(principal.tenant_id, tariff_id) if updated.is_active else []
    billing.save_tariffs(principal.tenant_id, [(_doc(updated), current.version), *others])
    return updated.public()
