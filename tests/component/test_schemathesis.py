"""Schemathesis over every operation of the OpenAPI document, on the component stack: no 5xx.

The document the API serves (oms.api.openapi) drives the generation. For every operation,
schemathesis generates valid requests (positive mode) and invalid ones (negative mode: wrong types,
values out of range, unknown fields, broken bodies, stray headers); each is sent through ApiClient,
the API function invoked with the API Gateway event of that request (tests/component/fuzz.py).

Who sends them:
- authenticated operations: as USER and as SUPERADMIN (demo users), and as PLATFORM_OWNER for the
  operations only that role may call (from USER or SUPERADMIN they would never pass the role check),
  and as CUSTOMER (the demo shopper) for the operations that admit customers;
- public operations (security: []): anonymously.
Path parameters are generated, or drawn from ids that exist (demo nodes, stock items, rules, two
orders made here, and whatever the run itself created), so requests also reach past the 404.

Bounded and reproducible: EXAMPLES cases per operation, mode and identity (CIRRUS_FUZZ_EXAMPLES
overrides), derandomized Hypothesis (the same cases every run), no deadline. Every 5xx is collected
and all are reported at once with the call that reproduces it. The figures are printed (shown by
pytest's terminal summary, also under xdist) and written to .local/reports/schemathesis.json,
which `make bench` shows.

Operations left out: none (SKIPPED is empty). The two that call systems outside the stack are still
driven: POST /connectors/{connector_id}/test and POST /webhooks/endpoints/{endpoint_id}/test reach
no live Shopify, Amazon or webhook receiver here (no connector or endpoint id is known to the run
unless it created one, and the machine resolves no outside name), which must give a 4xx, not a 5xx.
POST /architect/chat talks to Claude: the run gives it the local Messages API stub
(tests.fakes.FakeClaude), since without a key its documented answer is a 503.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.component import fuzz
from tests.component.apiclient import ApiClient
from tests.component.helpers import order_body
from tests.fakes import FakeClaude

pytestmark = pytest.mark.usefixtures("stack")

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / ".local" / "reports" / "schemathesis.json"
EXAMPLES = int(os.environ.get("CIRRUS_FUZZ_EXAMPLES", "5"))
# operationId -> why it is not fuzzed. Empty: every operation is.
SKIPPED: dict[str, str] = {}
DEAD_LETTER_QUEUES = ["warehouse", "webhooks"]  # names the ops endpoints know (template env)


def _known_ids(admin: ApiClient, user: ApiClient) -> dict[str, list[str]]:
    nodes = admin.get("/nodes").body["items"]
    items = admin.get("/inventory?limit=3").body["items"]
    rules = admin.get("/sourcing-rules").body["items"]
    line = [{"sku": "SKU-WIDGET-A", "quantity": 1}]
    orders = [user.post("/orders", order_body(line_items=line)).body for _ in range(2)]
    assert all("id" in o for o in orders), orders
    return {
        "node_id": [n["id"] for n in nodes],
        "item_id": [i["id"] for i in items],
        "sku": [i["sku"] for i in items],
        "rule_id": [r["id"] for r in rules],
        "order_id": [o["id"] for o in orders],
        "order_number": [o["order_number"] for o in orders],
        "queue": DEAD_LETTER_QUEUES,
    }


def test_the_document_and_the_docs_page_are_served(anon: ApiClient) -> None:
    from oms.api.app import app
    from oms.api.openapi import build_document

    served = anon.get("/openapi.json")
    assert served.status == 200 and served.headers["content-type"] == "application/json"
    assert served.body == json.loads(json.dumps(build_document(app)))

    page = anon.get("/docs")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "://" not in page.body, "the docs page loads nothing from another origin"
    assert 'src="docs/assets/swagger-ui-bundle.js' in page.body
    assert 'src="assets/docs.js' in anon.get("/docs/").body  # one folder deeper: still resolves

    for name, media_type, marker in [
        ("swagger-ui-bundle.js", "text/javascript", "SwaggerUIBundle"),
        ("swagger-ui.css", "text/css", ".swagger-ui"),
        ("docs.js", "text/javascript", "../../openapi.json"),
    ]:
        asset = anon.get(f"/docs/assets/{name}")
        assert asset.status == 200 and asset.headers["content-type"].startswith(media_type), name
        assert marker in asset.body
    for name in ("index.html", "swagger-ui-bundle.js.map", "..%2F..%2Foms%2F__init__.py", "%2Fetc%2Fpasswd"):
        missing = anon.get(f"/docs/assets/{name}")
        assert missing.status == 404 and missing.body["error"]["code"] == "not_found", name


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/nodes?capability=", 422),  # found by this run: an empty capability was a 500
        ("/nodes?capability=__class__", 422),
        ("/nodes?capability=can_ship", 200),
    ],
)
def test_what_the_run_found_stays_fixed(user: ApiClient, url: str, status: int) -> None:
    reply = user.get(url)
    assert reply.status == status, reply


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClaude]:
    fake = FakeClaude()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    yield fake
    fake.close()


# Last in the module: its anonymous login cases must not throttle the logins of the tests above.
@pytest.mark.usefixtures("claude")
def test_no_operation_answers_5xx(
    anon: ApiClient, user: ApiClient, admin: ApiClient, owner: ApiClient, record_property: Any
) -> None:
    from oms.api.app import app
    from oms.api.openapi import build_document

    document = build_document(app)
    schema = fuzz.load_schema(document)
    ops = sorted(fuzz.operations(schema), key=fuzz.order_key)
    assert {fuzz.operation_id(op) for op in ops} == {s.view for s in app.specs}, "an operation is missing"
    unknown = set(SKIPPED) - {s.view for s in app.specs}
    assert not unknown, f"SKIPPED names no operation: {unknown}"

    fuzzer = fuzz.Fuzzer(schema, EXAMPLES, _known_ids(admin, user))
    base = anon.with_token(None)
    users = [fuzz.Identity("USER", base, user.token), fuzz.Identity("SUPERADMIN", base, admin.token)]
    platform = fuzz.Identity("PLATFORM_OWNER", base, owner.token)
    shopper = anon.post("/auth/login", {"email": "customer@example.com", "password": "customer123"})
    customer = fuzz.Identity("CUSTOMER", base, shopper.body["access_token"])
    public = fuzz.Identity("ANONYMOUS", base)

    started = time.perf_counter()
    for op in ops:
        if fuzz.operation_id(op) in SKIPPED:
            continue
        role = op.definition.raw.get("x-required-role")
        who = [public] if role is None else users + ([platform] if role == "PLATFORM_OWNER" else [])
        if role == "CUSTOMER":  # the routes shoppers call, as a shopper too
            who = [*who, customer]
        for identity in who:
            for mode in fuzz.MODES:
                fuzzer.fuzz(op, identity, mode)
    seconds = time.perf_counter() - started

    figures = fuzzer.run.figures(seconds)
    figures["skipped"] = SKIPPED
    figures["examples_per_operation_mode_identity"] = EXAMPLES
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    record_property("summary", summary_line(figures))  # printed in pytest's summary (tests/conftest.py)
    print(f"\n{summary_line(figures)}")
    assert not fuzzer.run.failures, (
        f"{figures['server_errors']} server errors ({figures['distinct_server_errors']} distinct):\n"
        + fuzzer.run.report()
    )
    assert figures["operations"] == len(ops) - len(SKIPPED)


def summary_line(figures: dict[str, Any]) -> str:
    return (
        f"schemathesis: {figures['operations']} operations, {figures['cases']} cases, "
        f"{figures['server_errors']} server errors ({figures['seconds']} s)"
    )
