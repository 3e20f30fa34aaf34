"""The OpenAPI document: committed file == generated from the code, complete, valid OpenAPI 3.1.

Unlike the other contract tests this one imports the application (the document is generated from
its routes and models); it still opens no socket and needs no AWS.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "openapi.json"
sys.path.insert(0, str(ROOT / "layers" / "oms"))
sys.path.insert(0, str(ROOT / "scripts"))

from oms.api.app import app  # noqa: E402
from oms.api.openapi import accepts_api_key, build_document, document_json, security_requirements  # noqa: E402

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document(app)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method.upper(), op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_the_committed_document_matches_the_code() -> None:
    from openapi import diff  # scripts/openapi.py

    generated = document_json(app)
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != generated:
        pytest.fail(
            "docs/openapi.json differs from the document the code generates; "
            "run `make openapi` and commit the file.\n" + diff(committed, generated),
            pytrace=False,
        )


def test_generation_is_deterministic() -> None:
    assert document_json(app) == document_json(app)


def test_it_is_a_valid_openapi_3_1_document(document: dict[str, Any]) -> None:
    from openapi_spec_validator import OpenAPIV31SpecValidator

    assert document["openapi"] == "3.1.0"
    problems = [str(e.message) for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert not problems, problems


def test_every_route_is_an_operation(document: dict[str, Any]) -> None:
    documented = {(path, method) for path, method, _ in operations(document)}
    declared = {(s.path, s.method) for s in app.specs}
    chalice = {(path, method) for path, entries in app.routes.items() for method in entries}
    assert documented == declared, (declared - documented, documented - declared)
    assert chalice == declared, f"routes registered without oms.api.http.route: {chalice - declared}"


def test_operation_ids_are_the_unique_view_names(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    by_route = {(s.path, s.method): s.view for s in app.specs}
    assert all(op["operationId"] == by_route[(p, m)] for p, m, op in operations(document))


def test_every_path_parameter_is_declared(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        templated = re.findall(r"{(\w+)}", path)
        declared = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        assert declared == templated, f"{method} {path}: {declared} != {templated}"
        assert all(p["required"] for p in op.get("parameters", []) if p["in"] == "path")


def test_paths_route_to_themselves_through_the_catch_all(document: dict[str, Any]) -> None:
    """The gateway hands the app any path (`/{proxy+}`); the app must resolve each document path,
    filled in, to that same path template (literal segments beat parameters)."""
    for path in document["paths"]:
        concrete = re.sub(r"{\w+}", "abc-123", path)
        matches = [route for pattern, route, _ in app._route_patterns() if pattern.match(concrete)]
        assert matches and matches[0] == path, (path, matches)
        assert "+" not in path and "//" not in path


def test_query_parameters_and_bodies_come_from_the_models(document: dict[str, Any]) -> None:
    specs = {(s.path, s.method): s for s in app.specs}
    for path, method, op in operations(document):
        spec = specs[(path, method)]
        query = [p for p in op.get("parameters", []) if p["in"] == "query"]
        fields = spec.query.model_fields if spec.query else {}
        assert [p["name"] for p in query] == list(fields), f"{method} {path}"
        for p in query:
            assert p["required"] == fields[p["name"]].is_required()
            assert "null" not in json.dumps(p["schema"]), f"{method} {path}: query {p['name']} nullable"
        body = op.get("requestBody")
        if spec.body is None:
            assert body is None, f"{method} {path}"
        else:
            schema = body["content"]["application/json"]["schema"]
            # a route that takes another body from a CUSTOMER documents both (oneOf)
            refs = [s["$ref"] for s in schema["oneOf"]] if spec.customer_body else [schema["$ref"]]
            assert len(refs) == (2 if spec.customer_body else 1), f"{method} {path}"
            for ref in refs:
                assert ref.rsplit("/", 1)[-1] in document["components"]["schemas"]


def test_constraints_and_enums_reach_the_query_parameters(document: dict[str, Any]) -> None:
    params = {p["name"]: p for p in document["paths"]["/inventory"]["get"]["parameters"]}
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}
    status = {p["name"]: p for p in document["paths"]["/orders"]["get"]["parameters"]}["status"]
    enum = document["components"]["schemas"][status["schema"]["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert "CANCELLED" in enum


def test_security_follows_the_role(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    specs = {(s.path, s.method): s for s in app.specs}
    for path, method, op in operations(document):
        spec = specs[(path, method)]
        if spec.role is None:
            assert op["security"] == [] and "x-required-role" not in op, f"{method} {path}"
            assert "401" not in op["responses"] or path == "/auth/login"  # wrong credentials
        else:
            assert {"bearerAuth": []} in op["security"], f"{method} {path}"
            assert op["x-required-role"] == spec.role.value
            assert {"401", "403"} <= set(op["responses"])


def test_the_api_key_hook_offers_x_api_key_to_integration_operations() -> None:
    spec = replace(app.specs[0], role=cast(Any, "INTEGRATION"), roles=(cast(Any, "INTEGRATION"),))
    assert accepts_api_key(spec)
    assert security_requirements(spec) == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    # exactly the operations whose admitted roles include INTEGRATION offer the key
    for s in app.specs:
        assert accepts_api_key(s) == any(r.value == "INTEGRATION" for r in s.roles), s.path


def test_responses_declare_the_status_and_the_error_shape(document: dict[str, Any]) -> None:
    specs = {(s.path, s.method): s for s in app.specs}
    errors = document["components"]["responses"]
    error_schema = document["components"]["schemas"]["Error"]
    assert error_schema["properties"]["error"]["required"] == ["code", "message", "details"]
    for path, method, op in operations(document):
        spec = specs[(path, method)]
        assert str(spec.status) in op["responses"], f"{method} {path}"
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                name = response["$ref"].rsplit("/", 1)[-1]
                assert errors[name]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
        if spec.body is not None:
            assert {"400", "413", "422"} <= set(op["responses"]), f"{method} {path}"
    login = document["paths"]["/auth/login"]["post"]["responses"]
    assert "429" in login and "Retry-After" in errors["TooManyRequests"]["headers"]


def test_the_docs_page_and_the_document_are_public_operations(document: dict[str, Any]) -> None:
    assert document["paths"]["/openapi.json"]["get"]["security"] == []
    page = document["paths"]["/docs"]["get"]
    assert page["security"] == [] and "text/html" in page["responses"]["200"]["content"]


def test_info_carries_the_project_version(document: dict[str, Any]) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert document["info"]["version"] == project["version"], "bump oms.__version__ with pyproject.toml"
    assert document["info"]["title"] == "Cirrus OMS"
