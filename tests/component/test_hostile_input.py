"""No 5xx for a client's mistake, no internals in errors (issue 8, finding 6).

Every operation the API declares (`app.specs`) is fed what a careless or hostile client sends:
JSON nested 100,000 deep, bytes that are not UTF-8, unpaired surrogates, header values with
bytes over 0x7f, strings near the body limit, absurd path parameters and query values. Each answer
is a 4xx in the error shape, with `X-Request-Id`. A 5xx that does happen says only its request id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

from oms.api.app import app as api_app
from oms.api.http import RouteSpec
from tests.component.helpers import order_body

SPECS: list[RouteSpec] = sorted(api_app.specs, key=lambda s: (s.path, s.method))
WITH_BODY = [s for s in SPECS if s.body is not None]
WITH_QUERY = [s for s in SPECS if s.query is not None]
# what DynamoDB's and boto's messages carry: table names, ARNs, request ids, our key layout
INTERNALS = re.compile(r"cirrus-|[A-Za-z]Table\b|\btable \(|arn:aws|Exception|on request \(|\bT#\w|\bsk\b")


def concrete(path: str, value: str = "x") -> str:
    return re.sub(r"{\w+}", value, path)


def ids(specs: list[RouteSpec]) -> list[str]:
    return [f"{s.method} {s.path}" for s in specs]


def assert_client_error(reply: Any, *statuses: int) -> None:
    """A 4xx (one of `statuses` when given) in the error shape, nothing internal in it."""
    assert 400 <= reply.status < 500, reply
    if statuses:
        assert reply.status in statuses, reply
    error = reply.body["error"]
    assert set(error) == {"code", "message", "details"} and error["code"], reply
    assert reply.headers["x-request-id"], reply
    assert not INTERNALS.search(str(reply.body)), reply


def assert_no_5xx(reply: Any) -> None:
    assert reply.status < 500, reply
    assert reply.headers.get("x-request-id"), reply
    if reply.status >= 400:
        assert_client_error(reply)


# ------------------------------------------------------------------ bodies, on every body route
BAD_BODIES: list[tuple[str, bytes]] = [
    ("100,000 nested [", b"[" * 100_000),
    ("100,000 nested {", b'{"a":' * 100_000),
    ("nested 40 deep", b'{"a":' * 40 + b"1" + b"}" * 40),
    ("not UTF-8", b'{"name": "\xff\xfe\xc3"}'),
    ("UTF-8 BOM", b'\xef\xbb\xbf{"name": "x"}'),
    ("unpaired surrogate", b'{"name": "\\ud800"}'),
    ("surrogate as a key", b'{"\\udfff": 1}'),
    ("truncated", b'{"name": '),
    ("NaN", b'{"name": NaN'),
]


@pytest.mark.parametrize("spec", WITH_BODY, ids=ids(WITH_BODY))
def test_undecodable_bodies_are_400_on_every_route(owner, spec):
    for why, raw in BAD_BODIES:
        reply = owner.call(spec.method, concrete(spec.path), raw=raw)
        assert_client_error(reply, 400)
        assert reply.body["error"]["code"] == "malformed_json", (why, reply)


@pytest.mark.parametrize("spec", WITH_BODY, ids=ids(WITH_BODY))
def test_huge_values_in_every_field_are_4xx(owner, spec):
    fields = list(spec.body.model_fields) if hasattr(spec.body, "model_fields") else []
    share = 900_000 // max(1, len(fields))
    for value in ("x" * share, ["x" * 64] * (share // 70), {"k": "x" * share}):
        body = {f: value for f in fields} or {"x": value}
        assert_client_error(owner.call(spec.method, concrete(spec.path), body))
    assert_client_error(owner.call(spec.method, concrete(spec.path), raw="x" * 1_100_000), 400, 413)


# ------------------------------------------------------------------ headers, on every route
@pytest.mark.parametrize("spec", SPECS, ids=ids(SPECS))
def test_header_values_with_bytes_over_0x7f_are_refused_on_every_route(owner, spec):
    path = concrete(spec.path)
    for value in ("Bearer \xe9\xff", "\u2603", "Bearer " + "a" * 9000):
        reply = owner.call(spec.method, path, {}, headers={"authorization": value})
        assert_client_error(reply, 401)
    reply = owner.call(spec.method, path, {}, headers={"x-api-key": "k\xe9y"})
    assert_client_error(reply, 401)
    for name, value in (
        ("idempotency-key", "caf\xe9"),
        ("idempotency-key", "k" * 256),
        ("content-length", "lots"),
        ("content-type", "application/json; charset=\xe9"),
    ):
        assert_client_error(owner.call(spec.method, path, {}, headers={name: value}), 400)
    for name in ("x-shopify-hmac-sha256", "x-request-id", "user-agent", "x-forwarded-for"):
        assert_no_5xx(owner.call(spec.method, path, {}, headers={name: "\xe9\xff\u2603"}))
    assert_no_5xx(owner.call(spec.method, path, {}, headers={"content-type": "application/xml"}))


# ------------------------------------------------------------------ paths and queries
PARAM_SPECS = [s for s in SPECS if "{" in s.path]


@pytest.mark.parametrize("spec", PARAM_SPECS, ids=ids(PARAM_SPECS))
def test_absurd_path_parameters_are_4xx(owner, spec):
    for value in ("x" * 5000, "%C3%A9%E2%98%83", "%00", "..", "%ED%A0%80", "a%2Fb"):
        assert_no_5xx(owner.call(spec.method, concrete(spec.path, value), {}))
    assert_client_error(owner.call(spec.method, concrete(spec.path, "y" * 5000), {}), 404)


@pytest.mark.parametrize("spec", WITH_QUERY, ids=ids(WITH_QUERY))
def test_absurd_query_values_are_422(owner, spec):
    path = concrete(spec.path)
    for name in spec.query.model_fields:  # type: ignore[union-attr]
        for value in ("x" * 10_000, "\xe9\u2603", "-1", "0001-01-01T00:00:00-05:00"):
            reply = owner.call(spec.method, f"{path}?{urlencode({name: value})}", {})
            assert_no_5xx(reply)
        assert_client_error(
            owner.call(spec.method, f"{path}?{urlencode({name: 'x' * 10_000})}", {}), 404, 422
        )


# ------------------------------------------------------------------ the three requests
def test_finding_6_reproduced(admin):
    nested = admin.post("/orders", raw="[" * 100_000)
    assert_client_error(nested, 400)
    assert nested.body["error"]["code"] == "malformed_json"

    rule = {"name": "huge", "priority": 5, "excluded_node_ids": ["n" * 450] * 1000}
    refused = admin.post("/sourcing-rules", rule)
    assert_client_error(refused, 422)
    assert {tuple(d["loc"][:2]) for d in refused.body["error"]["details"]} == {("body", "excluded_node_ids")}

    backwards = admin.get("/orders?created_from=2026-02-01&created_to=2026-01-01")
    assert_client_error(backwards, 422)
    assert admin.get("/orders?created_from=2026-01-01&created_to=2026-02-01").status == 200


def test_a_value_dynamodb_refuses_is_422_without_dynamodbs_words(admin, monkeypatch):
    """Past validation (here: its rule-size limit lifted), DynamoDB's own refusal of an item over
    400 KB is still the client's too-large value: 422 `invalid_value`, nothing of DynamoDB's text."""
    monkeypatch.setattr("oms.domain.rules.MAX_RULE_BYTES", 10**9)
    values = [f"customer-{i:05d}@example.com" for i in range(500)]
    conditions = [{"field": "customer_email", "operator": "IN", "value": values}] * 40
    reply = admin.post("/sourcing-rules", {"name": "too big", "priority": 6, "conditions": conditions})
    assert_client_error(reply, 422)
    assert reply.body["error"]["code"] == "invalid_value"
    assert "too large" in reply.body["error"]["message"]


def test_a_5xx_says_only_its_request_id(admin, monkeypatch):
    """Whatever the internal message (a table, a key, an ARN), the client sees a generic one and
    the request id, which is also the X-Request-Id header; the details go to the log."""
    from oms.domain.errors import TransientStoreError
    from oms.services import sourcing

    def busy(*args: Any, **kwargs: Any) -> Any:
        raise TransientStoreError(
            "Failed to put item: An error occurred (ThrottlingException) on request (ABC123) on table "
            "(cirrus-prod-InventoryTable-X) key T#demo#RULES arn:aws:dynamodb:us-east-1:1:table/x"
        )

    def bug(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("T#demo#RULES")

    for broken, status, code in ((busy, 503, "temporarily_unavailable"), (bug, 500, "internal_error")):
        monkeypatch.setattr(sourcing, "list_rules", broken)
        reply = admin.get("/sourcing-rules")
        request_id = reply.headers["x-request-id"]
        assert reply.status == status and reply.body["error"]["code"] == code, reply
        assert set(reply.body["error"]) == {"code", "message", "details"}
        assert reply.body["error"]["details"] == {"request_id": request_id}
        assert request_id in reply.body["error"]["message"]
        assert not INTERNALS.search(str(reply.body)), reply


def test_trailing_slashes_and_chalices_own_errors(admin):
    created = admin.post("/orders/", order_body())
    assert created.status == 201, created
    assert admin.get(f"/orders/{created.body['id']}/").status == 200
    assert admin.get("/connectors/").status == 200
    wrong_method = admin.call("PUT", "/orders", {})
    assert_client_error(wrong_method, 405)
    unknown = admin.get("/nope/" + "z" * 3000)
    assert_client_error(unknown, 404)
    assert len(unknown.body["error"]["message"]) < 300
    xml = admin.call("POST", "/orders", raw="<order/>", headers={"content-type": "application/xml"})
    assert_client_error(xml, 415)
    assert xml.body["error"]["code"] == "unsupported_media_type"
