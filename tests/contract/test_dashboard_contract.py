"""The dashboard in template.yaml (ADR 0027): its own small function on the API's own address.

`GET /`, `GET /app` and `GET /app/{proxy+}` of the HTTP API go to DashboardFunction, whose package
(functions/dashboard, with the built bundle copied into static/ by scripts/web.sh) serves the
single-page app; every other path stays the API's. The API (Chalice) declares nothing there, so the
dashboard can never shadow an operation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DASHBOARD_ROUTES = {
    ("GET", "/"),
    ("GET", "/app"),
    ("GET", "/app/{proxy+}"),
    # the customer portal, a customer mode of the same app (ADR 0037)
    ("GET", "/portal"),
    ("GET", "/portal/{proxy+}"),
}


def http_routes(resources: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """Function logical id -> (method, path) of its HttpApi events."""
    out: dict[str, set[tuple[str, str]]] = {}
    for name, res in resources.items():
        for event in ((res.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                props = event.get("Properties") or {}
                out.setdefault(name, set()).add((str(props.get("Method", "ANY")).upper(), props["Path"]))
    return out


def test_the_dashboard_function_serves_its_routes(
    resources: dict[str, Any], functions: dict[str, Any]
) -> None:
    fn = functions["DashboardFunction"]
    assert fn["CodeUri"].rstrip("/") == "functions/dashboard"
    assert fn["Handler"] == "app.handler"
    assert fn["Runtime"] == "python3.12"
    assert int(fn["MemorySize"]) <= 256, "serving files needs little memory (cost, ADR 0027)"
    routes = http_routes(resources)
    assert routes["DashboardFunction"] == DASHBOARD_ROUTES
    for event in resources["DashboardFunction"]["Properties"]["Events"].values():
        assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}
        assert str(event["Properties"]["PayloadFormatVersion"]) == "2.0"


def test_the_api_keeps_every_other_path(resources: dict[str, Any]) -> None:
    routes = http_routes(resources)
    assert routes["ApiFunction"] == {("ANY", "/{proxy+}")}
    # the search routes run the API's own code in instances of their own (ADR 0028)
    assert routes["SearchFunction"] == {("ANY", "/search/{proxy+}")}
    others = {
        name: r
        for name, r in routes.items()
        if name not in ("ApiFunction", "DashboardFunction", "SearchFunction")
    }
    assert others == {}, "no other function on the HTTP API"


def test_no_api_operation_lives_where_the_dashboard_is(repo_root: Path) -> None:
    paths = json.loads((repo_root / "docs" / "openapi.json").read_text(encoding="utf-8"))["paths"]
    assert paths, "the committed OpenAPI document lists the API's operations"
    clashes = [
        p for p in paths if p in ("/", "/app", "/portal") or p.startswith("/app/") or p.startswith("/portal/")
    ]
    assert clashes == []


def test_the_role_may_only_write_its_logs(resources: dict[str, Any]) -> None:
    role = resources["DashboardRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [sorted(s["Action"]) for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]


def test_the_bundle_is_built_into_the_package_and_never_committed(repo_root: Path) -> None:
    ignored = (repo_root / ".gitignore").read_text(encoding="utf-8").split()
    assert "functions/dashboard/static/" in ignored
    deploy = (repo_root / "scripts" / "deploy.sh").read_text(encoding="utf-8")
    assert deploy.index("bash scripts/web.sh build") < deploy.index("bin/sam build"), (
        "sam build needs the bundle"
    )
    for script in ("run.sh", "test.sh", "bench.sh"):
        assert "scripts/web.sh" in (repo_root / "scripts" / script).read_text(encoding="utf-8"), script
