"""The HTTP gateway: API Gateway payload 1.0 / 2.0 events in, proxy results out, over real HTTP."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.local.gateway import Gateway, PortInUseError, RouteTable
from infra.local.stack import HttpRoute
from infra.local.testing import deployed_template

from .conftest import REPO_ROOT


@pytest.fixture(scope="module")
def gateway(fixture_stack: Any) -> Iterator[Gateway]:
    server = Gateway(fixture_stack, fixture_stack.invoke, port=0, max_body_bytes=64 * 1024).start()
    try:
        yield server
    finally:
        server.stop()


def raw_event(gateway: Gateway, path: str, **kwargs: Any) -> dict[str, Any]:
    response = requests.get(gateway.url + path, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_payload_v1_event_fields(gateway: Gateway) -> None:
    event = raw_event(gateway, "/raw/42?x=1&x=2&y=z", headers={"X-Trace": "abc", "User-Agent": "pytest"})
    assert event["version"] == "1.0"
    assert event["resource"] == "/raw/{id}"
    assert event["path"] == "/raw/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "2", "y": "z"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["z"]}
    assert event["headers"]["x-trace"] == "abc"  # HTTP APIs lower-case header names
    assert event["multiValueHeaders"]["x-trace"] == ["abc"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["resourcePath"] == "/raw/{id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/raw/42"
    assert context["stage"] == "$default"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "pytest"
    assert context["requestId"]
    assert event["stageVariables"] is None


def test_response_mapping(gateway: Gateway) -> None:
    response = requests.get(gateway.url + "/raw/1", timeout=10)
    assert response.headers["x-echo"] == "raw"
    assert response.headers["content-type"] == "application/json"
    assert response.raw.headers.getlist("x-multi") == ["a", "b"] or response.headers["x-multi"] == "a, b"
    assert response.headers["apigw-requestid"]


def test_payload_v2_route(gateway: Gateway) -> None:
    response = requests.post(
        gateway.url + "/v2/a/b?q=1&q=2",
        data="hi",
        headers={"Content-Type": "text/plain", "Cookie": "a=1; b=2"},
        timeout=10,
    )
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /v2/{proxy+}"
    assert event["rawPath"] == "/v2/a/b"
    assert event["rawQueryString"] == "q=1&q=2"
    assert event["queryStringParameters"] == {"q": "1,2"}
    assert event["pathParameters"] == {"proxy": "a/b"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == "hi" and event["isBase64Encoded"] is False


def test_v2_infers_a_response_from_a_plain_value(gateway: Gateway) -> None:
    response = requests.get(gateway.url + "/v2/plain", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"plain": True}


def test_chalice_app_behind_the_catch_all_route(gateway: Gateway) -> None:
    root = requests.get(gateway.url + "/", timeout=10)
    assert root.json() == {"root": True}
    echoed = requests.post(gateway.url + "/echo?a=1", json={"x": 1}, timeout=10).json()
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/echo"
    assert echoed["query"] == {"a": "1"}
    assert json.loads(echoed["body"]) == {"x": 1}
    assert echoed["gateway_resource_path"] == "/{proxy+}"
    assert echoed["proxy"] == "echo"
    assert requests.get(gateway.url + "/items/abc", timeout=10).json() == {"item_id": "abc"}
    custom = requests.get(gateway.url + "/status/418", timeout=10)
    assert custom.status_code == 418
    assert custom.headers["X-Custom"] == "yes"
    assert custom.json() == {"code": 418}


def test_binary_bodies_are_base64_encoded(gateway: Gateway) -> None:
    data = bytes(range(256))
    result = requests.post(
        gateway.url + "/upload", data=data, headers={"Content-Type": "application/octet-stream"}, timeout=10
    ).json()
    assert result == {"size": 256, "b64": base64.b64encode(data).decode()}


def test_errors_and_limits(gateway: Gateway) -> None:
    crashed = requests.get(gateway.url + "/raw/crash", timeout=10)
    assert crashed.status_code == 500
    assert crashed.json() == {"message": "Internal Server Error"}
    too_big = requests.post(
        gateway.url + "/echo", data=b"x" * (64 * 1024 + 1), headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert too_big.status_code == 413
    assert requests.get(gateway.url + "/_fn/Nope/", timeout=10).status_code == 404
    assert requests.get(gateway.url + "/_api/Nope/", timeout=10).status_code == 404


def test_cors_preflight_and_headers(gateway: Gateway) -> None:
    preflight = requests.options(
        gateway.url + "/echo",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    simple = requests.get(gateway.url + "/", headers={"Origin": "https://app.example.com"}, timeout=10)
    assert simple.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    other = requests.get(gateway.url + "/", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_function_url_payload_v2(gateway: Gateway) -> None:
    url = gateway.function_url("RawFunction")
    assert url.endswith("/_fn/RawFunction/")
    response = requests.put(
        url + "some/path?x=1&x=2",
        data=b"\xff\x00",
        headers={"Origin": "https://a.example", "Content-Type": "application/octet-stream", "X-Two": "b"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path"
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["headers"]["x-two"] == "b"
    assert all(name == name.lower() for name in event["headers"])
    assert event["requestContext"]["http"]["method"] == "PUT"
    assert event["requestContext"]["http"]["path"] == "/some/path"
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"


def test_named_api_prefix(gateway: Gateway) -> None:
    assert requests.get(gateway.url + "/_api/FixtureApi/", timeout=10).json() == {"root": True}


def test_concurrent_requests(gateway: Gateway, capsys: pytest.CaptureFixture[str]) -> None:
    session_count = 4
    per_session = 25

    def worker(_: int) -> int:
        ok = 0
        with requests.Session() as session:
            for i in range(per_session):
                if session.get(f"{gateway.url}/items/{i}", timeout=10).json() == {"item_id": str(i)}:
                    ok += 1
        return ok

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(session_count) as pool:
        results = list(pool.map(worker, range(session_count)))
    elapsed = time.perf_counter() - started
    assert sum(results) == session_count * per_session
    with capsys.disabled():
        rate = session_count * per_session / elapsed
        print(f"\ngateway -> Chalice fixture app: {rate:.0f} requests/s (4 clients)")


def test_route_specificity() -> None:
    table = RouteTable(
        [
            HttpRoute("A", "HttpApi", "ANY", "/{proxy+}", "Catch"),
            HttpRoute("A", "HttpApi", "ANY", "/", "Root"),
            HttpRoute("A", "HttpApi", "GET", "/orders/{id}", "GetOrder"),
            HttpRoute("A", "HttpApi", "ANY", "/orders/{id}", "AnyOrder"),
            HttpRoute("A", "HttpApi", "GET", "/orders/export", "Export"),
            HttpRoute("A", "HttpApi", "GET", "/users/{user-id}/x", "Dashed"),
        ]
    )

    def target(method: str, path: str) -> str | None:
        found = table.match(method, path)
        return found[0].function if found else None

    assert target("GET", "/") == "Root"
    assert target("GET", "/orders/export") == "Export"
    assert target("GET", "/orders/1") == "GetOrder"
    assert target("POST", "/orders/1") == "AnyOrder"
    assert target("GET", "/orders/1/lines") == "Catch"
    assert table.match("GET", "/orders/a b") is not None
    assert table.match("GET", "/orders/a b")[1] == {"id": "a b"}  # type: ignore[index]
    assert table.match("GET", "/deep/er/path")[1] == {"proxy": "deep/er/path"}  # type: ignore[index]
    assert table.match("GET", "/users/u1/x")[1] == {"user-id": "u1"}  # type: ignore[index]
    # a trailing slash still matches a non-greedy route, as in API Gateway
    assert target("GET", "/orders/export/") == "Export"
    assert target("GET", "/orders/1/") == "GetOrder"


def test_dashboard_routes_win_over_the_api_catch_all() -> None:
    """The real template's shape: the dashboard's GET routes beside the API's ANY /{proxy+}."""
    table = RouteTable(
        [
            HttpRoute("A", "HttpApi", "ANY", "/{proxy+}", "Api"),
            HttpRoute("A", "HttpApi", "GET", "/", "Dashboard", "2.0"),
            HttpRoute("A", "HttpApi", "GET", "/app", "Dashboard", "2.0"),
            HttpRoute("A", "HttpApi", "GET", "/app/{proxy+}", "Dashboard", "2.0"),
        ]
    )

    def target(method: str, path: str) -> str | None:
        found = table.match(method, path)
        return found[0].function if found else None

    for path in ("/", "/app", "/app/", "/app/assets/index-abc.js", "/app/orders/o-1", "/app/../x"):
        assert target("GET", path) == "Dashboard", path
    assert table.match("GET", "/app/assets/a.js")[1] == {"proxy": "assets/a.js"}  # type: ignore[index]
    for path in ("/health", "/orders", "/application", "/apps/x", "/docs/", "/auth/login"):
        assert target("GET", path) == "Api", path
    assert target("POST", "/app/x") == "Api"  # the dashboard answers GET only: the API says 404/405
    assert target("POST", "/") is None  # no route: the gateway's own 404


def test_port_in_use_is_reported(fixture_stack: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(PortInUseError):
            Gateway(fixture_stack, fixture_stack.invoke, port=port).start()


def test_health_of_the_real_api_through_the_gateway() -> None:
    with deployed_template(REPO_ROOT, stack_name="gateway-health") as stack:
        server = Gateway(stack, stack.invoke, port=0).start()
        try:
            response = requests.get(server.url + "/health", timeout=30)
            # the API's non-JSON answers keep their Content-Type through the gateway
            docs = requests.get(server.url + "/docs", timeout=30)
            script = requests.get(server.url + "/docs/assets/swagger-ui-bundle.js", timeout=30)
            document = requests.get(server.url + "/openapi.json", timeout=30)
        finally:
            server.stop()
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert docs.status_code == 200 and docs.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in docs.headers["content-security-policy"]
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in script.text
    assert document.status_code == 200 and document.json()["openapi"] == "3.1.0"
