"""Issue 8, "Roles match the work" (finding 2) and "Login and tokens" (finding 5), over HTTP.

Roles: fulfilment callbacks belong to machines (INTEGRATION API keys) and admins; a USER cancels
only the orders they created. API keys: issued by a SUPERADMIN, shown once, hashed at rest, scoped
to the tenant, revoked at once. Login: failures throttled per account and per source address
(429 + Retry-After). Tokens: `ver` follows the user record (a role change or a deactivation ends
a session within 60 s), `aud` is the stage's.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from infra.local.testing import TEST_JWT_SECRET
from tests.component.helpers import order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def clock(frozen_clock: Any) -> Any:
    """The clock stopped at now (tests/conftest.py); `clock.shift(seconds)` moves it (no sleeping)."""
    return frozen_clock


def make_user(role: str = "USER", tenant: str = "demo", password: str = "right-pass") -> str:
    from oms.adapters.passwords import hash_password
    from oms.data.directory import StoredUser
    from oms.domain.clock import now_iso
    from oms.services.context import repos

    email = f"{role.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    repos.directory.put_user(
        StoredUser(
            user_id=str(uuid.uuid4()),
            tenant_id=tenant,
            email=email,
            name="Someone",
            role=role,
            password_hash=hash_password(password),
            active=True,
        ),
        now_iso(),
    )
    return email


def login(anon, email, password="right-pass"):
    return anon.post("/auth/login", {"email": email, "password": password})


def logged_in(anon, email, password="right-pass"):
    reply = login(anon, email, password)
    assert reply.status == 200, reply
    return anon.with_token(reply.body["access_token"])


# ------------------------------------------------------------------ finding 2: roles
def test_a_user_may_not_post_fulfilment_events_but_a_machine_and_an_admin_may(user, admin, integration):
    order = user.post("/orders", order_body()).body
    wait_for_status(admin, order["id"], {"SOURCED"})

    refused = user.post(f"/orders/{order['id']}/fulfillment-events", {"type": "PICKING"})
    assert refused.status == 403 and refused.body["error"]["code"] == "insufficient_role"
    # refused before the body is read: an empty body is still a 403, not a 422
    assert user.post(f"/orders/{order['id']}/fulfillment-events", {}).status == 403
    assert admin.get(f"/orders/{order['id']}").body["status"] == "SOURCED"

    picked = integration.post(f"/orders/{order['id']}/fulfillment-events", {"type": "PICKING"})
    assert picked.status == 200 and picked.body["status"] == "PICKING"
    packed = admin.post(f"/orders/{order['id']}/fulfillment-events", {"type": "PACKING"})
    assert packed.status == 200 and packed.body["status"] == "PACKING"
    key_id = integration.get("/auth/me").body["user_id"]
    actors = [h["actor"] for h in admin.get(f"/orders/{order['id']}").body["status_history"][-2:]]
    assert actors == [f"integration:{key_id}", "user:admin@example.com"]


def test_a_user_cancels_only_the_orders_they_created(user, admin, integration):
    theirs = user.post("/orders", order_body()).body
    someone_elses = admin.post("/orders", order_body()).body

    refused = user.post(f"/orders/{someone_elses['id']}/cancel", {"reason": "not mine"})
    assert refused.status == 403 and refused.body["error"]["code"] == "not_your_order"
    assert admin.get(f"/orders/{someone_elses['id']}").body["status"] != "CANCELLED"

    own = user.post(f"/orders/{theirs['id']}/cancel", {"reason": "changed my mind"})
    assert own.status == 200 and own.body["status"] == "CANCELLED"

    by_machine = integration.post(f"/orders/{someone_elses['id']}/cancel", {"reason": "out of stock"})
    assert by_machine.status == 200 and by_machine.body["status"] == "CANCELLED"
    key_id = integration.get("/auth/me").body["user_id"]
    assert by_machine.body["status_history"][-1]["actor"] == f"integration:{key_id}"


def test_an_integration_key_calls_only_the_routes_that_name_it(integration, admin):
    me = integration.get("/auth/me")
    assert me.status == 200 and me.body["role"] == "INTEGRATION" and me.body["tenant_id"] == "demo"
    order = integration.post("/orders", order_body())
    assert order.status == 201 and order.body["created_by"] == f"integration:{me.body['user_id']}"
    assert integration.get(f"/orders/{order.body['id']}").status == 200

    for method, path, body in [
        ("GET", "/orders", None),
        ("GET", "/nodes", None),
        ("POST", "/nodes", {}),
        ("GET", "/inventory", None),
        ("PATCH", f"/orders/{order.body['id']}/status", {"status": "CANCELLED"}),
        ("GET", "/api-keys", None),
        ("POST", "/api-keys", {"name": "a key minting keys"}),
        ("GET", "/webhooks/endpoints", None),
    ]:
        reply = integration.call(method, path, body)
        assert reply.status == 403, (method, path, reply)
        assert reply.body["error"]["code"] == "insufficient_role"


# ------------------------------------------------------------------ API keys
def test_an_api_key_is_shown_once_listed_by_prefix_and_hashed_at_rest(admin, stack):
    created = admin.post("/api-keys", {"name": "WMS east"})
    assert created.status == 201
    body = created.body
    assert {"id", "key", "name", "created_at", "prefix", "last4"} <= set(body)
    key = body["key"]
    assert key.startswith(body["prefix"] + "_") and key.endswith(body["last4"]) and len(key) >= 60

    listed = admin.get("/api-keys").body["items"]
    mine = next(k for k in listed if k["id"] == body["id"])
    assert mine["status"] == "ACTIVE" and mine["name"] == "WMS east"
    assert key not in str(listed) and "digest" not in mine and "key" not in mine

    import boto3

    items = boto3.resource("dynamodb").Table(stack["DirectoryTable"]).scan()["Items"]
    stored = [i for i in items if i.get("key_id") == body["id"]]
    assert len(stored) == 2 and all(key not in str(i) for i in stored)
    lookup = next(i for i in stored if i["pk"] == f"APIKEY#{body['id']}")
    assert lookup["digest"] == hashlib.sha256(key.encode()).hexdigest()


def test_keys_are_a_superadmins_to_issue_and_stay_in_their_tenant(admin, user, other_tenant, anon):
    assert user.post("/api-keys", {"name": "mine"}).status == 403
    assert user.get("/api-keys").status == 403
    assert anon.post("/api-keys", {"name": "mine"}).status == 401
    assert admin.post("/api-keys", {}).status == 422

    created = admin.post("/api-keys", {"name": "carrier"}).body
    assert created["id"] not in str(other_tenant.get("/api-keys").body)
    assert other_tenant.delete(f"/api-keys/{created['id']}").status == 404
    assert anon.with_api_key(created["key"]).get("/auth/me").body["tenant_id"] == "demo"

    # a key of another tenant finds nothing of this one
    foreign_key = other_tenant.post("/api-keys", {"name": "acme wms"}).body["key"]
    foreign = anon.with_api_key(foreign_key)
    assert foreign.get("/auth/me").body["tenant_id"] == "acme"
    order = admin.post("/orders", order_body()).body
    assert foreign.get(f"/orders/{order['id']}").status == 404
    assert foreign.post(f"/orders/{order['id']}/cancel", {}).status == 404
    assert foreign.post(f"/orders/{order['id']}/fulfillment-events", {"type": "PICKING"}).status == 404
    assert admin.get(f"/orders/{order['id']}").body["status"] != "CANCELLED"


def test_a_revoked_key_stops_at_once(admin, anon):
    created = admin.post("/api-keys", {"name": "to revoke"}).body
    machine = anon.with_api_key(created["key"])
    assert machine.get("/auth/me").status == 200

    assert admin.delete(f"/api-keys/{created['id']}").status == 204
    refused = machine.get("/auth/me")
    assert refused.status == 401 and refused.body["error"]["code"] == "invalid_api_key"
    assert admin.delete(f"/api-keys/{created['id']}").status == 204  # again: nothing to do
    listed = next(k for k in admin.get("/api-keys").body["items"] if k["id"] == created["id"])
    assert listed["status"] == "REVOKED" and listed["revoked_at"]


@pytest.mark.date_sensitive
def test_a_key_revoked_by_another_process_stops_within_a_minute(admin, anon, clock):
    from oms.data.api_keys import StoredKey
    from oms.domain.clock import now_iso
    from oms.services.context import repos

    created = admin.post("/api-keys", {"name": "revoked elsewhere"}).body
    machine = anon.with_api_key(created["key"])
    assert machine.get("/auth/me").status == 200  # this process now remembers the key

    stored = repos.api_keys.get(created["id"])
    assert isinstance(stored, StoredKey)
    assert repos.api_keys.revoke(
        stored, now_iso(), "user:elsewhere", datetime.now(UTC).timestamp()
    )  # not via this process

    clock.shift(61)
    assert machine.get("/auth/me").status == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": "cok_0123456789abcdef_" + "A" * 43},  # well-formed, never issued
        {"X-API-Key": "cok_0123456789abcdef_" + "A" * 43 + "é"},
    ],
)
def test_wrong_keys_are_401(anon, headers):
    reply = anon.get("/auth/me", headers=headers)
    assert reply.status == 401 and reply.body["error"]["code"] == "invalid_api_key"


def test_a_token_and_a_key_together_are_refused(admin, integration):
    reply = admin.get("/auth/me", headers={"X-API-Key": integration.api_key})
    assert reply.status == 401 and reply.body["error"]["code"] == "ambiguous_credentials"


# ------------------------------------------------------------------ finding 5: login throttling
@pytest.mark.date_sensitive  # failures counted in 15-minute windows of the clock
def test_thirty_wrong_passwords_lock_the_account_with_retry_after(anon, clock):
    email = make_user()
    caller = anon.from_address("198.51.100.7")
    answers = [login(caller, email, "wrong") for _ in range(30)]

    assert [a.status for a in answers[:5]] == [401] * 5
    assert all(a.status == 429 for a in answers[5:]), [a.status for a in answers]
    locked = answers[5]
    assert locked.body["error"]["code"] == "too_many_attempts"
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60

    during = login(caller, email)  # the right password does not open a locked account
    assert during.status == 429 and "retry-after" in during.headers
    assert login(anon.from_address("192.0.2.44"), email).status == 429  # nor from elsewhere

    clock.shift(int(locked.headers["retry-after"]) + 1)
    assert login(caller, email).status == 200

    # the next lock within a day lasts twice as long
    again = [login(caller, email, "wrong") for _ in range(6)]
    assert [a.status for a in again] == [401] * 5 + [429]
    assert 15 * 60 < int(again[-1].headers["retry-after"]) <= 30 * 60


@pytest.mark.date_sensitive  # frozen: all thirty guesses fall in one window
def test_parallel_guesses_cannot_slip_past_the_limit(anon, clock):
    from concurrent.futures import ThreadPoolExecutor

    email = make_user()
    caller = anon.from_address("198.51.100.9")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(lambda _: login(caller, email, "wrong").status, range(30)))
    assert statuses == [401] * 5 + [429] * 25
    assert login(caller, email).status == 429


@pytest.mark.date_sensitive
def test_an_unknown_account_is_throttled_exactly_like_a_known_one(anon, clock):
    caller = anon.from_address("198.51.100.8")
    known, unknown = make_user(), f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    pattern = {
        email: [
            (r.status, r.body["error"]["code"]) for r in (login(caller, email, "wrong") for _ in range(7))
        ]
        for email in (known, unknown)
    }
    assert pattern[known] == pattern[unknown]
    assert pattern[known][4] == (401, "invalid_credentials") and pattern[known][5][0] == 429


@pytest.mark.date_sensitive
def test_failures_are_counted_per_source_address_from_the_gateway_not_from_headers(anon, clock):
    attacker = anon.from_address("203.0.113.9")
    spoofed = {"X-Forwarded-For": "10.9.8.7"}
    for i in range(20):  # one failure each for many accounts: no account reaches its limit
        assert login(attacker, f"stuffing-{i}-{uuid.uuid4().hex[:6]}@example.com", "x").status == 401

    email = make_user()
    blocked = attacker.post("/auth/login", {"email": email, "password": "right-pass"}, headers=spoofed)
    assert blocked.status == 429 and int(blocked.headers["retry-after"]) >= 1
    # another address is not affected, even when it claims to be the attacker's in a header
    other = anon.from_address("203.0.113.10")
    claims_attacker = {"X-Forwarded-For": "203.0.113.9"}
    ok = other.post("/auth/login", {"email": email, "password": "right-pass"}, headers=claims_attacker)
    assert ok.status == 200


@pytest.mark.date_sensitive
def test_a_successful_login_does_not_reset_the_address_counter(anon, clock):
    attacker = anon.from_address("203.0.113.20")
    own = make_user()
    for i in range(19):
        assert login(attacker, f"guess-{i}-{uuid.uuid4().hex[:6]}@example.com", "x").status == 401
    assert login(attacker, own).status == 200  # the attacker's own account
    assert login(attacker, f"guess-last-{uuid.uuid4().hex[:6]}@example.com", "x").status == 401
    assert login(attacker, own).status == 429


# ------------------------------------------------------------------ finding 5: tokens
@pytest.mark.date_sensitive
def test_a_deactivated_user_is_refused_within_a_minute(anon, clock):
    from oms.services.context import repos

    email = make_user()
    session = logged_in(anon, email)
    assert session.get("/orders").status == 200
    repos.directory.update_user(email, active=False)

    clock.shift(61)
    refused = session.get("/orders")
    assert refused.status == 401 and refused.body["error"]["code"] == "session_revoked"
    assert login(anon, email).status == 401


@pytest.mark.date_sensitive
def test_a_role_change_ends_the_old_tokens_and_a_new_login_works_at_once(anon, clock):
    from oms.services.context import repos

    email = make_user("SUPERADMIN")
    old = logged_in(anon, email)
    assert old.get("/api-keys").status == 200
    repos.directory.update_user(email, role="USER")

    new = logged_in(anon, email)  # issued after the change: valid now, and a USER
    assert new.get("/api-keys").status == 403
    assert new.get("/auth/me").body["role"] == "USER"
    assert old.get("/api-keys").status == 401  # this process has seen the newer version
    clock.shift(61)
    assert old.get("/orders").status == 401


@pytest.mark.date_sensitive
def test_the_user_record_is_read_once_a_minute_not_once_a_request(anon, clock, monkeypatch):
    from oms.services.context import repos

    email = make_user()
    session = logged_in(anon, email)
    reads: list[str] = []
    real = repos.directory.user_by_email

    def counting(address: str):
        reads.append(address)
        return real(address)

    monkeypatch.setattr(repos.directory, "user_by_email", counting)
    for _ in range(5):
        assert session.get("/auth/me").status == 200
    assert reads == []  # the login left the record in this process's memory
    clock.shift(61)
    for _ in range(5):
        assert session.get("/auth/me").status == 200
    assert reads == [email]


def _token(**claims):
    from oms.config import settings

    base = {
        "iss": "cirrus-oms",
        "aud": settings().token_audience,
        "sub": "x",
        "email": "admin@example.com",
        "tid": "demo",
        "role": "SUPERADMIN",
        "ver": 0,
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int(datetime.now(UTC).timestamp()) + 600,
    }
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, TEST_JWT_SECRET, algorithm="HS256")


@pytest.mark.date_sensitive  # tokens built with iat/exp around now
def test_tokens_carry_this_stages_audience_and_a_version(anon, admin):
    from oms.config import settings

    claims = jwt.decode(admin.token, options={"verify_signature": False})
    assert claims["aud"] == settings().token_audience == "cirrus-oms:dev"
    assert isinstance(claims["ver"], int)
    me = admin.get("/auth/me").body
    good = _token(sub=me["user_id"], ver=claims["ver"])
    assert anon.with_token(good).get("/auth/me").status == 200  # the signing key and claims are right

    for bad in (
        _token(sub=me["user_id"], ver=claims["ver"], aud="cirrus-oms:prod"),
        _token(sub=me["user_id"], ver=claims["ver"], aud=None),
        _token(sub=me["user_id"], ver=None),
        _token(sub=me["user_id"], ver=claims["ver"], role="INTEGRATION"),
        _token(sub="someone-else", ver=claims["ver"]),
        _token(sub=me["user_id"], ver=claims["ver"], role="PLATFORM_OWNER"),
    ):
        assert anon.with_token(bad).get("/auth/me").status == 401
