"""The OpenAPI 3.1 document of the HTTP API, generated from the routes and their pydantic models.

Every operation is registered with `oms.api.http.route`, which records a `RouteSpec` (path, method,
view, role, status, body and query models, summary, tag) in `app.specs`. `build_document(app)` turns
those into one OpenAPI 3.1.0 document:

* paths and operations from the specs (paths keep Chalice's `{name}` templating, which is also what
  API Gateway's `/{proxy+}` route hands the app: one segment per parameter);
* path parameters from the `{name}` segments, query parameters from the query model's JSON schema
  (constraints, enums, defaults and `required` kept), the request body from the body model;
* the declared success status and the error responses the route can give, each an `Error` body;
* components.schemas from pydantic's `models_json_schema` (validation mode: what a client sends);
* security: `bearerAuth` (the JWT from /auth/login) on authenticated operations, `security: []` on
  public ones; `x-required-role` names the least role an operation needs.

The output is deterministic (sorted keys, sorted lists) so docs/openapi.json can be committed and
compared: tests/contract/test_openapi.py fails when code and document drift (`make openapi` writes
the file). The API serves the same document at GET /openapi.json (oms.api.routes.docs).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import oms

if TYPE_CHECKING:
    from oms.api.http import CirrusApp, RouteSpec

OPENAPI_VERSION = "3.1.0"
TITLE = "Cirrus OMS"
REF_TEMPLATE = "#/components/schemas/{model}"
PATH_PARAM = re.compile(r"{(\w+)}")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "description": "Every error the API returns: a machine-readable code, a message for people and "
    "details (for validation errors, one entry per problem with its location).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "examples": ["validation_failed"]},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}

# Error responses (components.responses), by status: name, description, and headers.
ERRORS: dict[int, tuple[str, str]] = {
    400: ("MalformedJson", "Malformed request: the body is not valid JSON (`malformed_json`)."),
    401: (
        "Unauthenticated",
        "No valid credentials (`missing_token`, `invalid_token`, `invalid_credentials`).",
    ),
    403: ("Forbidden", "The caller's role may not do this (`insufficient_role`, `forbidden`)."),
    404: ("NotFound", "No such resource in the caller's tenant (`not_found`)."),
    409: ("Conflict", "The resource's state does not allow this now (`conflict` and its kinds)."),
    413: ("PayloadTooLarge", "The request body is larger than 1 MB (`payload_too_large`)."),
    422: (
        "ValidationFailed",
        "The request failed validation (`validation_failed`); `details` lists each problem.",
    ),
    429: ("TooManyRequests", "Too many attempts: try again after `Retry-After` seconds."),
    503: (
        "ServiceUnavailable",
        "Something the request needs is not available now (`ai_unavailable`: no Claude key, or Claude "
        "did not answer; the message says which).",
    ),
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 0}}}

# ---- security -------------------------------------------------------------------------------
# bearerAuth: the JWT that POST /auth/login returns, sent as `Authorization: Bearer <token>`.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `access_token` from POST /auth/login.",
    },
}
# Hook for machine principals: API keys (`X-API-Key: <key>`, role INTEGRATION). When the route
# decorator can grant an operation to INTEGRATION keys, make `accepts_api_key` say which operations
# do; the scheme below is then declared and offered on exactly those operations (as an alternative
# to bearerAuth). Nothing else here needs to change.
API_KEY_SCHEME_NAME = "apiKeyAuth"
API_KEY_SCHEME: dict[str, Any] = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "An API key a SUPERADMIN issued (POST /api-keys): role INTEGRATION, one tenant.",
}


def accepts_api_key(spec: RouteSpec) -> bool:
    """Whether an INTEGRATION API key may call this operation."""
    roles = getattr(spec, "roles", None) or ((spec.role,) if spec.role is not None else ())
    return any(str(role) == "INTEGRATION" for role in roles)


def security_requirements(spec: RouteSpec) -> list[dict[str, list[str]]]:
    """The operation's `security`: [] when public, else each accepted scheme (any one suffices)."""
    if spec.role is None:
        return []
    requirements: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    if accepts_api_key(spec):
        requirements.append({API_KEY_SCHEME_NAME: []})
    return requirements


# ---- media types other than JSON --------------------------------------------------------------
_PRODUCES: dict[str, tuple[str, ...]] = {}


def produces(*media_types: str) -> Any:
    """Mark a view (decorate it under `route`) as answering with these media types, not JSON."""

    def mark(view: Any) -> Any:
        _PRODUCES[view.__name__] = media_types
        return view

    return mark


# ---- the document -----------------------------------------------------------------------------
def build_document(app: CirrusApp) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every operation registered on `app`."""
    specs = sorted(app.specs, key=lambda s: (s.path, s.method))
    views = [s.view for s in specs]
    duplicates = sorted({v for v in views if views.count(v) > 1})
    if duplicates:
        raise ValueError(f"operationId must be unique; views registered twice: {duplicates}")

    models = _models(specs)
    refs, defs = _schemas(models)
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        operation = _operation(spec, refs, defs)
        paths.setdefault(spec.path, {})[spec.method.lower()] = operation
    # query models are spelled out as parameters: keep their schema only if something refers to it
    used = json.dumps([paths, defs])
    queries = {refs[s.query] for s in specs if s.query is not None}
    schemas: dict[str, Any] = {
        name: schema
        for name, schema in defs.items()
        if name not in queries or f'"{REF_TEMPLATE.format(model=name)}"' in used
    }
    schemas["Error"] = ERROR_SCHEMA

    schemes = dict(SECURITY_SCHEMES)
    if any(accepts_api_key(s) for s in specs):
        schemes[API_KEY_SCHEME_NAME] = API_KEY_SCHEME
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": oms.__version__,
            "description": "The HTTP API of Cirrus OMS, generated from its routes and models. Errors are "
            '`{"error": {"code", "message", "details"}}`; authenticate with POST /auth/login and send '
            "`Authorization: Bearer <access_token>`.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": _tags(specs),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": _error_responses(),
            "securitySchemes": schemes,
        },
    }


def document_json(app: CirrusApp) -> str:
    """The document as the committed file holds it: sorted keys, two-space indent, newline."""
    return json.dumps(build_document(app), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _models(specs: Iterable[RouteSpec]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for spec in specs:
        for model in (spec.body, spec.query, spec.customer_body):
            if model is not None:
                seen.setdefault(f"{model.__module__}.{model.__qualname__}", model)
    return [seen[k] for k in sorted(seen)]


def _schemas(models: list[type[BaseModel]]) -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    """Each model's component name, and every component schema (models and what they use)."""
    mode: JsonSchemaMode = "validation"
    by_model, top = models_json_schema([(m, mode) for m in models], ref_template=REF_TEMPLATE)
    refs = {model: by_model[(model, mode)]["$ref"].rsplit("/", 1)[-1] for model in models}
    return refs, dict(top.get("$defs", {}))


def _operation(spec: RouteSpec, refs: dict[type[BaseModel], str], defs: dict[str, Any]) -> dict[str, Any]:
    summary = spec.summary[:1].upper() + spec.summary[1:]
    operation: dict[str, Any] = {
        "operationId": spec.view,
        "summary": summary,
        "tags": [spec.tag],
        "security": security_requirements(spec),
        "parameters": _path_parameters(spec.path) + _query_parameters(spec, refs, defs),
        "responses": _responses(spec),
    }
    if spec.role is not None:
        operation["x-required-role"] = spec.role.value
    if not operation["parameters"]:
        del operation["parameters"]
    if spec.body is not None:
        name = refs[spec.body]
        schema: dict[str, Any] = {"$ref": REF_TEMPLATE.format(model=name)}
        if spec.customer_body is not None:  # a CUSTOMER sends the other one
            schema = {"oneOf": [schema, {"$ref": REF_TEMPLATE.format(model=refs[spec.customer_body])}]}
        operation["requestBody"] = {
            "required": bool(defs[name].get("required")),
            "content": {"application/json": {"schema": schema}},
        }
    return operation


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in PATH_PARAM.findall(path)
    ]


def _query_parameters(
    spec: RouteSpec, refs: dict[type[BaseModel], str], defs: dict[str, Any]
) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    schema = defs[refs[spec.query]]
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop_schema = _without_null(prop)
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        description = prop_schema.pop("description", None)
        prop_schema.pop("title", None)
        if description:
            param["description"] = description
        param["schema"] = prop_schema
        params.append(param)
    return params


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or a value, never JSON null: drop the `null` branch of `X | None`."""
    prop = dict(prop)
    options = prop.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            del prop["anyOf"]
            prop = {**kept[0], **prop}
        else:
            prop["anyOf"] = kept
    if prop.get("default", 0) is None:
        del prop["default"]
    return prop


def _error_statuses(spec: RouteSpec) -> list[int]:
    statuses = set()
    if spec.body is not None:
        statuses |= {400, 413, 422}
    if spec.query is not None:
        statuses.add(422)
    if spec.role is not None:
        statuses |= {401, 403}
        if spec.method in WRITE_METHODS:
            statuses.add(409)
    if PATH_PARAM.search(spec.path):
        statuses.add(404)
    if spec.path == "/auth/login":
        statuses |= {401, 429}
    if spec.path == "/orders/{order_id}/fulfillment-events":
        statuses.add(429)  # the per-order rate of callbacks (ADR 0018)
    if spec.path == "/architect/chat":
        statuses.add(503)  # no Claude key, or Claude did not answer (ADR 0025)
    return sorted(statuses)


def _responses(spec: RouteSpec) -> dict[str, Any]:
    success: dict[str, Any] = {"description": _success_description(spec.status)}
    if spec.status != 204:
        media_types = _PRODUCES.get(spec.view)
        if media_types is None:
            success["content"] = {"application/json": {"schema": {"type": "object"}}}
        else:
            success["content"] = {t: {"schema": {"type": "string"}} for t in media_types}
    responses: dict[str, Any] = {str(spec.status): success}
    for status in _error_statuses(spec):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
    return responses


def _error_responses() -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}}
    responses: dict[str, Any] = {}
    for status, (name, description) in ERRORS.items():
        responses[name] = {"description": description, "content": error}
        if status == 429:
            responses[name]["headers"] = RETRY_AFTER
    return responses


def _success_description(status: int) -> str:
    return {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(status, "Success")


def _tags(specs: Iterable[RouteSpec]) -> list[dict[str, str]]:
    tags = []
    for name in sorted({s.tag for s in specs}):
        module = sys.modules.get(f"oms.api.routes.{name}")
        doc = (module.__doc__ or "").strip().splitlines() if module else []
        tags.append({"name": name, "description": doc[0]} if doc else {"name": name})
    return tags
