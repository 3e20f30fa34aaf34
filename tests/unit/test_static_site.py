"""The dashboard function's file serving (oms.api.static_site), on a small fixture bundle."""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from oms.api.static_site import CONTENT_SECURITY_POLICY, IMMUTABLE, SECURITY_HEADERS, StaticSite
from tests.dashboard_bundle import INDEX_HTML, PNG, SCRIPT, write_bundle


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle(tmp_path / "dist")


@pytest.fixture
def site(bundle: Path) -> StaticSite:
    return StaticSite(bundle)


def v2(path: str, method: str = "GET", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "headers": headers or {},
        "requestContext": {"http": {"method": method, "path": path}},
    }


def body(response: dict[str, Any]) -> bytes:
    assert response["isBase64Encoded"] is True
    return base64.b64decode(response["body"])


def error_code(response: dict[str, Any]) -> str:
    assert response["headers"]["Content-Type"] == "application/json"
    return str(json.loads(body(response))["error"]["code"])


def test_root_redirects_to_the_app(site: StaticSite) -> None:
    response = site.handle(v2("/"))
    assert response["statusCode"] == 302
    assert response["headers"]["Location"] == "/app/"
    assert body(response) == b""


@pytest.mark.parametrize("path", ["/app", "/app/"])
def test_the_app_is_index_html_never_cached_unchecked(site: StaticSite, path: str) -> None:
    response = site.handle(v2(path))
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Cache-Control"] == "no-cache"
    assert body(response).decode() == INDEX_HTML


def test_hashed_assets_are_immutable_with_their_media_type(site: StaticSite) -> None:
    script = site.handle(v2("/app/assets/index-3f2a1b9c.js"))
    assert script["statusCode"] == 200
    assert script["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert script["headers"]["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert body(script).decode() == SCRIPT
    css = site.handle(v2("/app/assets/index-7d8e9f01.css"))
    assert css["headers"]["Content-Type"] == "text/css; charset=utf-8"
    png = site.handle(v2("/app/assets/logo-0a1b2c3d.png"))
    assert (png["headers"]["Content-Type"], body(png)) == ("image/png", PNG)
    svg = site.handle(v2("/app/favicon.svg"))
    assert svg["headers"]["Content-Type"] == "image/svg+xml"
    assert svg["headers"]["Cache-Control"] == "no-cache"  # not content-hashed


def test_gzip_when_the_client_accepts_it(site: StaticSite) -> None:
    path = "/app/assets/index-3f2a1b9c.js"
    zipped = site.handle(v2(path, headers={"Accept-Encoding": "gzip, deflate, br"}))
    assert zipped["headers"]["Content-Encoding"] == "gzip"
    assert zipped["headers"]["Vary"] == "Accept-Encoding"
    assert gzip.decompress(body(zipped)).decode() == SCRIPT
    assert int(zipped["headers"]["Content-Length"]) == len(body(zipped)) < len(SCRIPT)
    plain = site.handle(v2(path, headers={"accept-encoding": "gzip;q=0, br"}))
    assert "Content-Encoding" not in plain["headers"]
    assert body(plain).decode() == SCRIPT
    assert plain["headers"]["ETag"] != zipped["headers"]["ETag"]  # two representations
    # images are compressed already: sent as they are
    png = site.handle(v2("/app/assets/logo-0a1b2c3d.png", headers={"accept-encoding": "gzip"}))
    assert "Content-Encoding" not in png["headers"] and body(png) == PNG


def test_etag_revalidation_answers_304(site: StaticSite) -> None:
    first = site.handle(v2("/app/"))
    etag = first["headers"]["ETag"]
    again = site.handle(v2("/app/", headers={"If-None-Match": etag}))
    assert again["statusCode"] == 304 and body(again) == b""
    assert again["headers"]["ETag"] == etag
    assert site.handle(v2("/app/", headers={"If-None-Match": '"other"'}))["statusCode"] == 200


@pytest.mark.parametrize("path", ["/app/orders", "/app/orders/3f9c-11", "/app/architect/proposals"])
def test_client_side_routes_get_the_app(site: StaticSite, path: str) -> None:
    response = site.handle(v2(path))
    assert response["statusCode"] == 200
    assert body(response).decode() == INDEX_HTML
    assert response["headers"]["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/portal", "/portal/", "/portal/demo", "/portal/demo/orders/3f9c-11"])
def test_the_customer_portal_routes_get_the_app(site: StaticSite, path: str) -> None:
    response = site.handle(v2(path))
    assert response["statusCode"] == 200
    assert body(response).decode() == INDEX_HTML
    assert response["headers"]["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/portal/demo/app.js", "/portal/assets/index-3f2a1b9c.js", "/portal/../x", "/portals"]
)
def test_the_portal_serves_no_files(site: StaticSite, path: str) -> None:
    response = site.handle(v2(path))
    assert response["statusCode"] == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize(
    "path", ["/app/assets/index-00000000.js", "/app/assets/gone", "/app/missing.js", "/app/logo.png"]
)
def test_missing_files_are_404_json_not_the_app(site: StaticSite, path: str) -> None:
    response = site.handle(v2(path))
    assert response["statusCode"] == 404
    assert error_code(response) == "not_found"


@pytest.mark.parametrize(
    "raw",
    [
        "/app/../template.yaml",
        "/app/%2e%2e/template.yaml",
        "/app/%2E%2E/%2E%2E/template.yaml",
        "/app/assets/../../secret.txt",
        "/app/..%2f..%2ftemplate.yaml",
        "/app/./index.html",
        "/app//etc/passwd",
        "/app/..\\template.yaml",
        "/app/%5c..%5ctemplate.yaml",
        "/app/index.html%00.js",
    ],
)
def test_no_path_leaves_the_bundle(tmp_path: Path, raw: str) -> None:
    bundle = write_bundle(tmp_path / "site" / "dist")
    secret = "TOP SECRET outside the bundle"
    for name in ("template.yaml", "secret.txt"):
        (tmp_path / "site" / name).write_text(secret, encoding="utf-8")
        (tmp_path / name).write_text(secret, encoding="utf-8")
    response = StaticSite(bundle).handle(v2(raw))
    assert response["statusCode"] == 404, raw
    assert error_code(response) == "not_found"
    assert secret.encode() not in body(response)


def test_hidden_files_are_not_served(bundle: Path) -> None:
    (bundle / ".cirrus-source-hash").write_text("abc", encoding="utf-8")
    (bundle / ".git").mkdir()
    (bundle / ".git" / "config.json").write_text("{}", encoding="utf-8")
    site = StaticSite(bundle)
    assert ".cirrus-source-hash" not in site.files
    assert body(site.handle(v2("/app/.cirrus-source-hash"))).decode() == INDEX_HTML  # a route, not it
    assert site.handle(v2("/app/.git/config.json"))["statusCode"] == 404


def test_symlinks_out_of_the_bundle_are_not_served(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "dist")
    (tmp_path / "outside.js").write_text("secret()", encoding="utf-8")
    os.symlink(tmp_path / "outside.js", bundle / "assets" / "link-00000000.js")
    os.symlink(tmp_path, bundle / "up")
    site = StaticSite(bundle)
    assert site.handle(v2("/app/assets/link-00000000.js"))["statusCode"] == 404
    assert site.handle(v2("/app/up/outside.js"))["statusCode"] == 404


@pytest.mark.parametrize(
    "path", ["/", "/app/", "/app/assets/index-3f2a1b9c.js", "/app/orders", "/app/nope.js", "/app/../x"]
)
def test_every_answer_carries_the_security_headers(site: StaticSite, path: str) -> None:
    headers = site.handle(v2(path))["headers"]
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value
    policy = dict(d.split(" ", 1) for d in headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data: https:"  # a tenant's logo URL
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_only_get_and_head(site: StaticSite) -> None:
    head = site.handle(v2("/app/assets/index-3f2a1b9c.js", method="HEAD"))
    assert head["statusCode"] == 200 and body(head) == b""
    assert int(head["headers"]["Content-Length"]) == len(SCRIPT)
    post = site.handle(v2("/app/", method="POST"))
    assert post["statusCode"] == 405 and post["headers"]["Allow"] == "GET, HEAD"
    assert error_code(post) == "method_not_allowed"


def test_payload_format_1_0_events_work_too(site: StaticSite) -> None:
    event = {"httpMethod": "GET", "path": "/app/assets/index-7d8e9f01.css", "headers": {}}
    response = site.handle(event)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/css; charset=utf-8"


def test_an_unbuilt_dashboard_says_how_to_build_it(tmp_path: Path) -> None:
    site = StaticSite(tmp_path / "nothing-here")
    assert not site.built
    response = site.handle(v2("/app/"))
    assert response["statusCode"] == 503
    assert error_code(response) == "dashboard_not_built"
    assert "make web" in json.loads(body(response))["error"]["message"]
    assert site.handle(v2("/"))["statusCode"] == 302  # the redirect does not need the bundle


def test_a_rebuilt_bundle_is_served_without_a_restart(bundle: Path, site: StaticSite) -> None:
    assert site.handle(v2("/app/assets/index-3f2a1b9c.js"))["statusCode"] == 200
    for old in (bundle / "assets").iterdir():
        old.unlink()
    (bundle / "assets" / "index-99999999.js").write_text("export {}", encoding="utf-8")
    (bundle / "index.html").write_text(INDEX_HTML.replace("3f2a1b9c", "99999999") + "\n", encoding="utf-8")
    assert site.handle(v2("/app/assets/index-99999999.js"))["statusCode"] == 200
    assert site.handle(v2("/app/assets/index-3f2a1b9c.js"))["statusCode"] == 404
    assert b"99999999" in body(site.handle(v2("/app/")))


def test_files_too_large_for_a_lambda_response_are_left_out(tmp_path: Path, monkeypatch: Any) -> None:
    from oms.api import static_site

    monkeypatch.setattr(static_site, "MAX_FILE_BYTES", 1000)
    site = StaticSite(write_bundle(tmp_path / "dist"))
    assert "assets/index-3f2a1b9c.js" not in site.files  # 5 KB
    assert "index.html" in site.files
