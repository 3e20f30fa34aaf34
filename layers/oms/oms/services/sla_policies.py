"""SLA policies (issue 11): CRUD, one active default per tenant (changed in one transaction with
the default pointer and the old default), and the default the detectors apply (cached briefly)."""

from __future__ import annotations

import threading
import time
from typing import Any

from pydantic import ValidationError

from oms.data.base import new_id
from oms.data.radar import RadarRepository
from oms.domain.clock import now_iso
from oms.domain.errors import Conflict, NotFound, ValidationFailed, require_version
from oms.domain.models import Principal
from oms.domain.sla_policy import SlaPolicy, SlaPolicyFields, SlaPolicyPatch

radar = RadarRepository()
CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, SlaPolicy | None]] = {}
_lock = threading.Lock()


def invalid(exc: ValidationError, where: str) -> ValidationFailed:
    """A pydantic error as the API's 422, each problem with its path (lint-friendly)."""
    return ValidationFailed(
        "SLA policy failed validation",
        details=[
            {"loc": [where, *[str(p) for p in e["loc"]]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ],
    )


def _stored(doc: dict[str, Any]) -> SlaPolicy:
    return SlaPolicy.model_validate(doc)


def _doc(policy: SlaPolicy) -> dict[str, Any]:
    return policy.public()


def list_policies(principal: Principal) -> dict[str, Any]:
    items = sorted(
        (_stored(d).public() for d in radar.policies(principal.tenant_id)), key=lambda p: p["name"]
    )
    return {"items": items, "count": len(items)}


def get(principal: Principal, policy_id: str) -> dict[str, Any]:
    return _require(principal.tenant_id, policy_id).public()


def _require(tenant_id: str, policy_id: str) -> SlaPolicy:
    doc = radar.policy(tenant_id, policy_id)
    if doc is None:
        raise NotFound(f"SLA policy {policy_id} not found", code="sla_policy_not_found")
    return _stored(doc)


def _default_change(tenant_id: str, policy: SlaPolicy, was_default: bool) -> tuple[Any, Any]:
    """(pointer, old default to un-default) for a write that makes `policy` the default or stops
    it being one; (None, None) when the default does not change."""
    pointer_id, pointer_version = radar.default_pointer(tenant_id)
    if policy.is_default:
        if pointer_id == policy.id:
            return None, None
        old = radar.policy(tenant_id, pointer_id) if pointer_id else None
        undefault = None
        if old is not None:
            undefault = {**old, "is_default": False, "updated_at": policy.updated_at}
        return (policy.id, pointer_version), undefault
    if was_default or pointer_id == policy.id:
        return (None, pointer_version), None
    return None, None


def create(principal: Principal, fields: SlaPolicyFields) -> dict[str, Any]:
    now = now_iso()
    policy = SlaPolicy(**fields.model_dump(), id=new_id(), version=1, created_at=now, updated_at=now)
    pointer, undefault = _default_change(principal.tenant_id, policy, False)
    radar.write_policy(principal.tenant_id, _doc(policy), None, pointer, undefault)
    _forget(principal.tenant_id)
    return policy.public()


def update(principal: Principal, policy_id: str, patch: SlaPolicyPatch) -> dict[str, Any]:
    current = _require(principal.tenant_id, policy_id)
    require_version(f"SLA policy {policy_id}", current.version, patch.expected_version)
    merged = {**current.public_fields(), **patch.changes()}
    try:
        fields = SlaPolicyFields.model_validate(merged)
    except ValidationError as exc:
        raise invalid(exc, "body") from exc
    policy = SlaPolicy(
        **fields.model_dump(),
        id=current.id,
        version=current.version,
        created_at=current.created_at,
        updated_at=now_iso(),
    )
    pointer, undefault = _default_change(principal.tenant_id, policy, current.is_default)
    radar.write_policy(principal.tenant_id, _doc(policy), current.version, pointer, undefault)
    _forget(principal.tenant_id)
    return {**policy.public(), "version": current.version + 1}


def delete(principal: Principal, policy_id: str) -> None:
    current = _require(principal.tenant_id, policy_id)
    pointer_id, pointer_version = radar.default_pointer(principal.tenant_id)
    if pointer_id == policy_id and len(radar.policies(principal.tenant_id)) > 1:
        raise Conflict(
            "this is the default SLA policy; make another policy the default first",
            code="default_policy",
        )
    radar.delete_policy(
        principal.tenant_id, policy_id, current.version, pointer_version if pointer_id == policy_id else None
    )
    _forget(principal.tenant_id)


# ---------------------------------------------------------------- what the detectors apply
def default_policy(tenant_id: str) -> SlaPolicy | None:
    """The tenant's active default policy (None: the radar does not track its orders), read at
    most every CACHE_SECONDS per process (a stream batch or sweep asks once per tenant)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(tenant_id)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    doc = radar.default_policy(tenant_id)
    policy = _stored(doc) if doc else None
    if policy is not None and not policy.is_active:
        policy = None
    with _lock:
        _cache[tenant_id] = (now, policy)
    return policy


def _forget(tenant_id: str) -> None:
    with _lock:
        _cache.pop(tenant_id, None)


def seed_demo(tenant_id: str) -> None:
    """The demo tenant's one policy (layers/oms/oms/demo.py), unless it has a default already."""
    from oms.domain.models import Role
    from oms.domain.sla_policy import DEMO_POLICY

    if radar.default_pointer(tenant_id)[0]:
        return
    principal = Principal(user_id="demo", email="demo@example.com", tenant_id=tenant_id, role=Role.SUPERADMIN)
    create(principal, SlaPolicyFields.model_validate(DEMO_POLICY))
