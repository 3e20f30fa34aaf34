"""Auth, roles, tenancy and the error contract of the HTTP API."""

import json

import pytest

pytestmark = pytest.mark.usefixtures("stack")


def test_health_needs_no_token(anon):
    r = anon.get("/health")
    assert r.status == 200 and r.body["status"] == "ok"


@pytest.mark.date_sensitive  # a token's iat/exp against now
def test_login_returns_a_bearer_token(anon):
    r = anon.post("/auth/login", {"email": "admin@example.com", "password": "admin123"})
    assert r.status == 200
    assert r.body["token_type"] == "bearer" and r.body["expires_in"] > 0 and r.body["access_token"]
    assert anon.with_token(r.body["access_token"]).get("/orders?limit=1").status == 200


@pytest.mark.date_sensitive
def test_a_token_works_until_its_expiry_and_not_after(anon, frozen_clock):
    r = anon.post("/auth/login", {"email": "admin@example.com", "password": "admin123"})
    client = anon.with_token(r.body["access_token"])
    frozen_clock.shift(r.body["expires_in"] - 1)
    assert client.get("/orders?limit=1").status == 200
    frozen_clock.shift(1)  # exp is exclusive
    expired = client.get("/orders?limit=1")
    assert expired.status == 401 and expired.body["error"]["code"] == "token_expired"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "admin@example.com", "password": "nope"},
        {"email": "ghost@example.com", "password": "admin123"},
    ],
)
def test_bad_credentials_are_401(anon, body):
    r = anon.post("/auth/login", body)
    assert r.status == 401 and r.body["error"]["code"] == "invalid_credentials"


def test_missing_and_invalid_tokens_are_401(anon):
    assert anon.get("/orders").status == 401
    assert anon.get("/orders").body["error"]["code"] == "missing_token"
    assert anon.with_token("garbage").get("/orders").body["error"]["code"] == "invalid_token"


def test_forged_token_with_another_key_is_401(anon):
    import jwt

    forged = jwt.encode(
        {
            "iss": "cirrus-oms",
            "sub": "x",
            "tid": "demo",
            "role": "PLATFORM_OWNER",
            "iat": 1,
            "exp": 4102444800,
        },
        "not-the-key-not-the-key-not-the-key",
        algorithm="HS256",
    )
    assert anon.with_token(forged).get("/orders").status == 401


def test_user_role_cannot_create_nodes(user):
    r = user.post(
        "/nodes", {"code": "X1", "name": "x", "node_type": "WAREHOUSE", "latitude": 1, "longitude": 1}
    )
    assert r.status == 403 and r.body["error"]["code"] == "insufficient_role"


def test_malformed_json_is_400(admin):
    r = admin.post("/nodes", raw="{not json")
    assert r.status == 400 and r.body["error"]["code"] == "malformed_json"


def test_schema_violation_is_422_with_fields(admin):
    r = admin.post("/nodes", {"code": "X", "name": "x", "node_type": "SPACESHIP", "latitude": 200})
    assert r.status == 422
    locs = {tuple(d["loc"]) for d in r.body["error"]["details"]}
    assert ("body", "node_type") in locs and ("body", "latitude") in locs and ("body", "longitude") in locs


def test_body_over_one_megabyte_is_413(admin):
    r = admin.post("/orders", raw=json.dumps({"notes": "x" * (1024 * 1024 + 10)}))
    assert r.status == 413 and r.body["error"]["code"] == "payload_too_large"


def test_unknown_route_and_method(admin):
    assert admin.get("/no/such/thing").status == 404
    r = admin.call("PUT", "/orders")
    assert r.status == 405


def test_every_error_has_the_same_shape(admin, anon):
    for reply in (anon.get("/orders"), admin.get("/orders/missing"), admin.post("/nodes", raw="{")):
        assert set(reply.body["error"]) == {"code", "message", "details"}


def test_concurrent_requests_in_one_process_do_not_mix(admin):
    """The local cloud runs several invocations of the API function at once in one interpreter;
    the Chalice app keeps each request per thread."""
    from concurrent.futures import ThreadPoolExecutor

    nodes = admin.get("/nodes").body["items"]

    def fetch(node):
        return admin.get(f"/nodes/{node['id']}").body["code"] == node["code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(fetch, nodes * 5))
