"""Tenant provisioning time (issue 12): how long the platform owner waits for a new tenant.

Method: the real template in moto in-process. Each provisioning is what the API does for
`POST /tenants` (the tenant, its slug and its first SUPERADMIN in one transaction, the invitation
token stored) followed by `POST /auth/accept-invitation` (the token redeemed and the password set
in one transaction, scrypt hashing included, a session issued) and the first authenticated request
(the user and the tenant's state read). 20 tenants after one that warms the process up; the
median and the slowest are reported.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from benchlib import figure, median

TENANTS = 20


def run() -> list[dict[str, Any]]:
    from infra.local.testing import deployed_template

    with deployed_template(extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}):
        from oms.domain.models import Principal, Role
        from oms.domain.tenancy import TenantCreate, TokenPassword
        from oms.services import auth, tenants, users

        owner = Principal(
            user_id="o", email="owner@bench.test", tenant_id="platform", role=Role.PLATFORM_OWNER
        )
        times: list[float] = []
        for n in range(TENANTS + 1):  # the first warms the process up (imports, signing key)
            slug = f"bench-{n}-{uuid.uuid4().hex[:6]}"
            began = time.perf_counter()
            made = tenants.create_tenant(
                owner, TenantCreate(name=f"Bench {n}", slug=slug, admin_email=f"boss@{slug}.test")
            )
            session = users.redeem(TokenPassword(token=made["invitation_token"], password="bench password 1"))
            principal = auth.authenticate(f"Bearer {session['access_token']}")
            if n:
                times.append(time.perf_counter() - began)
            assert principal.tenant_id == made["id"] and principal.role is Role.SUPERADMIN
    print(f"  {TENANTS} tenants: median {median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms")
    return [
        figure("tenant provisioning (create, accept invitation, first request)", median(times) * 1000,
               "ms", target=1000.0, note=f"median of {TENANTS}, moto in-process, scrypt included"),
        figure("tenant provisioning, slowest", max(times) * 1000, "ms", target=3000.0),
    ]  # fmt: skip
