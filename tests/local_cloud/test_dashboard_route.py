"""The real template through the local gateway: the dashboard's routes reach DashboardFunction (a
small fixture bundle, DASHBOARD_BUNDLE_DIR), every other path still reaches the API, over HTTP."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from infra.local.gateway import Gateway
from infra.local.testing import deployed_template
from tests.dashboard_bundle import INDEX_HTML, SCRIPT, write_bundle

from .conftest import REPO_ROOT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    bundle = write_bundle(tmp_path_factory.mktemp("dashboard") / "dist")
    with deployed_template(
        REPO_ROOT, stack_name="dashboard-route", extra_env={"DASHBOARD_BUNDLE_DIR": str(bundle)}
    ) as stack:
        gateway = Gateway(stack, stack.invoke, port=0).start()
        try:
            yield gateway
        finally:
            gateway.stop()


def raw_get(gateway: Gateway, path: str) -> tuple[int, bytes]:
    """A request with the path exactly as written (clients would remove dot segments first)."""
    connection = http.client.HTTPConnection(gateway.host, gateway.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_root_redirects_to_the_dashboard(server: Gateway) -> None:
    response = requests.get(server.url + "/", allow_redirects=False, timeout=30)
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    followed = requests.get(server.url + "/", timeout=30)
    assert followed.url == server.url + "/app/"
    assert followed.text == INDEX_HTML


@pytest.mark.parametrize("path", ["/app", "/app/", "/app/orders/o-1/trail"])
def test_the_app_and_its_client_routes(server: Gateway, path: str) -> None:
    response = requests.get(server.url + path, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.text == INDEX_HTML


def test_assets_are_gzipped_and_immutable_through_the_gateway(server: Gateway) -> None:
    response = requests.get(
        server.url + "/app/assets/index-3f2a1b9c.js", headers={"Accept-Encoding": "gzip"}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"  # requests decoded it below
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.text == SCRIPT
    missing = requests.get(server.url + "/app/assets/index-00000000.js", timeout=30)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/app/../template.yaml", "/app/%2e%2e/template.yaml", "/app/assets/../../template.yaml"]
)
def test_traversal_never_reaches_the_repository(server: Gateway, path: str) -> None:
    status, body = raw_get(server, path)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    assert b"AWSTemplateFormatVersion" not in body


def test_every_other_path_is_still_the_api(server: Gateway) -> None:
    health = requests.get(server.url + "/health", timeout=30)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    login = requests.post(
        server.url + "/auth/login", json={"email": "nobody@example.com", "password": "x"}, timeout=30
    )
    assert login.status_code in (401, 404) and "error" in login.json()
    # the dashboard answers GET only; other methods under /app are the API's (no such route)
    posted: Any = requests.post(server.url + "/app/x", json={}, timeout=30).json()
    assert posted["error"]["code"] == "route_not_found"
    near = requests.get(server.url + "/application", timeout=30)
    assert near.status_code == 404 and near.json()["error"]["code"] == "route_not_found"
