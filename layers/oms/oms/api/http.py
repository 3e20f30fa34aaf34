"""HTTP plumbing for the Chalice app: proxy-route resolution, JSON errors, body parsing, auth.

Route functions stay thin: parse with pydantic, call one service function, return a dict.
Every error leaves as `{"error": {"code", "message", "details"}}`; only a genuine bug is a 500.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalice import Chalice, Response
from chalice.app import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oms.domain.errors import DomainError, MalformedRequest, PayloadTooLarge, RateLimited, ValidationFailed
from oms.domain.models import Principal, Role, admitted_roles

log = logging.getLogger("oms.api")
MAX_BODY_BYTES = 1024 * 1024
M = TypeVar("M", bound=BaseModel)


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body={"error": {"code": code, "message": message, "details": details}},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def validation_details(exc: ValidationError, prefix: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [
        {"loc": [*prefix, *[str(p) for p in err["loc"]]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


class CirrusApp(Chalice):
    """A Chalice app that also serves a catch-all proxy route (`/{proxy+}`), as an HTTP API or
    a Function URL gives it, by matching the path against its own route table."""

    def __init__(self, app_name: str) -> None:
        self._per_thread = threading.local()
        super().__init__(app_name=app_name)
        self.specs: list[RouteSpec] = []
        self._compiled: list[tuple[re.Pattern[str], str, list[str]]] | None = None

    # Chalice keeps the request being handled on the app object; keep it per thread, so one warm
    # process can serve concurrent invocations (the local cloud does) without mixing requests.
    @property
    def current_request(self) -> Request | None:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._per_thread.request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value

    def _route_patterns(self) -> list[tuple[re.Pattern[str], str, list[str]]]:
        if self._compiled is None:
            compiled = []
            # literal segments win over parameters: sort by number of params, then length desc
            for path in sorted(self.routes, key=lambda p: (p.count("{"), -len(p))):
                names = re.findall(r"{(\w+)}", path)
                regex = "^" + re.sub(
                    r"{\w+}", r"([^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
                )
                compiled.append((re.compile(regex + "/?$"), path, names))
            self._compiled = compiled
        return self._compiled

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        ctx = event.setdefault("requestContext", {})
        resource = ctx.get("resourcePath") or event.get("resource")
        if resource is None or "{proxy+}" in resource or resource not in self.routes:
            path = event.get("path") or "/"
            from urllib.parse import unquote

            for pattern, route, names in self._route_patterns():
                match = pattern.match(path)
                if match:
                    event["resource"] = route
                    ctx["resourcePath"] = route
                    ctx.setdefault("httpMethod", event.get("httpMethod"))
                    event["pathParameters"] = {
                        n: unquote(v) for n, v in zip(names, match.groups(), strict=True)
                    }
                    break
            else:
                return error_response(404, "route_not_found", f"No route for {path}").to_dict()
        method = event.get("httpMethod") or ctx.get("httpMethod")
        ctx["httpMethod"] = method
        if method not in self.routes[ctx["resourcePath"]] and method != "OPTIONS":
            allowed = ", ".join(sorted(self.routes[ctx["resourcePath"]]))
            return error_response(
                405,
                "method_not_allowed",
                f"{method} is not allowed here",
                {"allowed": allowed},
                headers={"Allow": allowed},
            ).to_dict()
        return super().__call__(event, context)


def current_request(app: Chalice) -> Request:
    request = app.current_request
    if request is None:  # only outside an HTTP invocation
        raise RuntimeError("no current request")
    return request


def json_body(app: Chalice, model: type[M]) -> M:
    body = current_request(app).raw_body or b""
    raw = body if isinstance(body, bytes) else str(body).encode()
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedRequest(f"request body is not valid JSON: {exc}", code="malformed_json") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(
            "request body must be a JSON object",
            details=[{"loc": ["body"], "msg": "expected an object", "type": "type_error"}],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            "request body failed validation", details=validation_details(exc, ("body",))
        ) from exc


def source_ip(app: Chalice) -> str | None:
    """The caller's address as API Gateway saw it (HTTP API payload 1.0:
    requestContext.identity.sourceIp). Never X-Forwarded-For, which any client can write."""
    context = getattr(current_request(app), "context", None) or {}
    identity = context.get("identity") if isinstance(context, dict) else None
    value = identity.get("sourceIp") if isinstance(identity, dict) else None
    return value if isinstance(value, str) and value else None


def query_model(app: Chalice, model: type[M]) -> M:
    params = dict(current_request(app).query_params or {})
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise ValidationFailed(
            "query parameters failed validation", details=validation_details(exc, ("query",))
        ) from exc


@dataclass(frozen=True)
class RouteSpec:
    """What one operation declares: the OpenAPI document and the route x role test read these.

    `role` is the least human role (None: public); `roles` every role admitted, INTEGRATION
    included when the route names it (authenticated by `X-API-Key` rather than a bearer token)."""

    path: str
    method: str
    view: str
    role: Role | None
    roles: tuple[Role, ...]
    status: int
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    summary: str
    tag: str


def route(
    app: CirrusApp,
    path: str,
    methods: list[str],
    *,
    role: Role | None = Role.USER,
    integration: bool = False,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view: authenticate (unless role is None), authorise, parse, map errors, serialise.

    `role` is the least human role admitted (PLATFORM_OWNER > SUPERADMIN > USER); INTEGRATION
    (API keys) is admitted only with `integration=True`. Authorisation comes before parsing and
    before any lookup: a caller without the role gets 403 whatever it sent.

    The view gets the Principal first (when authenticated), then the path parameters, then
    `body=` (the parsed `body` model) and `query=` (the parsed `query` model) when declared.
    Declared models are what the OpenAPI document describes (oms.api.openapi)."""

    if role is None and integration:
        raise ValueError("a public route needs no integration flag")
    roles = admitted_roles(role, integration) if role is not None else ()

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        def endpoint(**params: str) -> Response:
            try:
                request = current_request(app)
                length = int(request.headers.get("content-length") or 0)
                if length > MAX_BODY_BYTES or len(request.raw_body or b"") > MAX_BODY_BYTES:
                    raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
                args: list[Any] = []
                if role is not None:
                    from oms.services.auth import authenticate, require

                    principal: Principal = authenticate(
                        request.headers.get("authorization"), request.headers.get("x-api-key")
                    )
                    require(principal, roles)
                    args.append(principal)
                kwargs: dict[str, Any] = dict(params)
                if query is not None:
                    kwargs["query"] = query_model(app, query)
                if body is not None:
                    kwargs["body"] = json_body(app, body)
                result = view(*args, **kwargs)
            except DomainError as exc:
                retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
                return error_response(exc.status, exc.code, exc.message, exc.details, headers=retry)
            except ValidationError as exc:  # a model built inside a service from client data
                return error_response(
                    422, "validation_failed", "request failed validation", validation_details(exc)
                )
            except Exception:
                log.exception("unhandled error on %s %s", methods, path)
                return error_response(500, "internal_error", "Something went wrong on our side")
            if isinstance(result, Response):
                return result
            return Response(
                body=json.dumps(result, default=str),
                status_code=status,
                headers={"Content-Type": "application/json"},
            )

        endpoint.__name__ = view.__name__
        app.route(
            path,
            methods=methods,
            content_types=[
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "application/octet-stream",
            ],
        )(endpoint)
        doc = (view.__doc__ or view.__name__.replace("_", " ")).strip()
        for method in methods:
            app.specs.append(
                RouteSpec(
                    path=path,
                    method=method,
                    view=view.__name__,
                    role=role,
                    roles=roles,
                    status=status,
                    body=body,
                    query=query,
                    summary=doc.splitlines()[0],
                    tag=view.__module__.rsplit(".", 1)[-1],
                )
            )
        return view

    return register


class PageQuery(BaseModel):
    """`limit` and an opaque `cursor`: the paging of every list that pages."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
