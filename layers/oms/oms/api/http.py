"""HTTP plumbing for the Chalice app: proxy-route resolution, JSON errors, body parsing, auth.

Route functions stay thin: parse with pydantic, call one service function, return a dict.
Every error leaves as `{"error": {"code", "message", "details"}}`; only a genuine bug is a 500.
"""

from __future__ import annotations

import binascii
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


# ------------------------------------------------------------------ [inbound] client mistakes
# Everything between here and CirrusApp is the "no 5xx for a client's mistake, no internals in
# errors" plumbing: request ids, header values, decoding, and the last look at every response.
MAX_PATH_PARAM = 200
MAX_JSON_DEPTH = 32
MAX_CREDENTIAL_HEADER = 8192
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e\t]*$")
# header -> (status and code when its value is not printable ASCII of a sane length, max length)
_CHECKED_HEADERS: dict[str, tuple[int, str, int]] = {
    "authorization": (401, "invalid_credentials", MAX_CREDENTIAL_HEADER),
    "x-api-key": (401, "invalid_api_key", MAX_CREDENTIAL_HEADER),
    "idempotency-key": (400, "invalid_header", 255),
    "content-type": (400, "invalid_header", 255),
    "content-length": (400, "invalid_header", 20),
}
_GENERIC_5XX = {
    503: "The service is busy; retry shortly",
    500: "Something went wrong on our side",
}
# 5xx errors whose message is written for the client (nothing internal in it): kept as they are
PUBLIC_5XX_CODES = frozenset({"ai_unavailable"})


def correlation_id(event: Any, context: Any) -> str:
    """The id a client quotes when it reports a problem: API Gateway's request id (what the
    gateway logs and returns), else the Lambda invocation's id, else a new one."""
    ctx = event.get("requestContext") if isinstance(event, dict) else None
    found = ctx.get("requestId") if isinstance(ctx, dict) else None
    if not found:
        found = getattr(context, "aws_request_id", None)
    if not isinstance(found, str) or not found or not _PRINTABLE_ASCII.match(found):
        import uuid

        found = str(uuid.uuid4())
    return found[:100]


def header_problem(headers: dict[str, Any]) -> Response | None:
    """A header a client sent that we would use but cannot: credentials (401), others (400).
    API Gateway hands over header bytes as characters (latin-1 for bytes over 0x7f), so anything
    outside printable ASCII is refused here rather than failing deeper down."""
    for name, value in headers.items():
        rule = _CHECKED_HEADERS.get(str(name).lower())
        if rule is None:
            continue
        status, code, limit = rule
        if not isinstance(value, str) or len(value) > limit or not _PRINTABLE_ASCII.match(value):
            label = "-".join(part.capitalize() for part in str(name).split("-"))
            return error_response(
                status,
                code,
                f"the {label} header is not valid (printable ASCII, at most {limit} characters)",
                [{"loc": ["header", label], "msg": "invalid value", "type": "invalid_header"}],
            )
        if name.lower() == "content-length" and value.strip() and not value.strip().isdigit():
            return error_response(
                400,
                "invalid_header",
                "the Content-Length header is not a number",
                [{"loc": ["header", "Content-Length"], "msg": "invalid value", "type": "invalid_header"}],
            )
    return None


def finish_response(result: dict[str, Any], request_id: str, event: Any) -> dict[str, Any]:
    """The last look at every response: X-Request-Id on all of them; Chalice's own error bodies
    (`{"Code", "Message"}`) in our shape; a 5xx keeps its code but its message (which may name
    a table, key or ARN) goes to the log only, replaced by a generic one with the request id,
    which is also its `details.request_id` (the shape stays `{code, message, details}`)."""
    headers = dict(result.get("headers") or {})
    headers["X-Request-Id"] = request_id
    result["headers"] = headers
    multi = result.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi.pop("X-Request-Id", None)
    status = int(result.get("statusCode") or 500)
    if status < 400:
        return result
    try:
        body = json.loads(result.get("body") or "null")
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(body, dict) and error is None and "Code" not in body and "Message" not in body:
        return result  # a report a view answers with on purpose (the degraded deep health check)
    if not isinstance(error, dict):
        chalice_code = body.get("Code") if isinstance(body, dict) else None
        message = body.get("Message") if isinstance(body, dict) else None
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", str(chalice_code or "")).lower().removesuffix("_error")
        if code in ("", "internal_server", "chalice_view"):
            code = "internal_error" if status >= 500 else "bad_request"
        error = {"code": code, "message": str(message or ""), "details": None}
    if status >= 500 and error.get("code") not in PUBLIC_5XX_CODES:
        method = event.get("httpMethod") if isinstance(event, dict) else None
        path = event.get("path") if isinstance(event, dict) else None
        log.error(
            "%s answered %s on %s %s (request_id=%s): %s",
            error.get("code"),
            status,
            method,
            path,
            request_id,
            error.get("message"),
        )
        generic = _GENERIC_5XX.get(status, _GENERIC_5XX[500])
        error = {
            "code": error.get("code") or "internal_error",
            "message": f"{generic} (request id {request_id})",
            "details": {"request_id": request_id},
        }
    result["body"] = json.dumps({"error": error})
    headers["Content-Type"] = "application/json"
    return result


def raw_request_body(request: Request) -> bytes:
    """The body as bytes; a body flagged base64 that is not base64 is the client's mistake."""
    try:
        body = request.raw_body or b""
    except (binascii.Error, ValueError) as exc:
        raise MalformedRequest("the request body is not valid base64", code="malformed_body") from exc
    return body if isinstance(body, bytes) else str(body).encode("utf-8", "surrogatepass")


def _json_problem(data: Any) -> str | None:
    """Too deep, or a string with an unpaired surrogate (valid JSON escapes, but no text can carry
    them: DynamoDB and every encoder downstream would refuse). Iterative: no recursion to blow."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if depth > MAX_JSON_DEPTH:
                return f"nested deeper than {MAX_JSON_DEPTH} levels"
            stack.extend((v, depth + 1) for v in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds an unpaired UTF-16 surrogate"
    return None


def parse_json_bytes(raw: bytes) -> Any:
    """Strict UTF-8 JSON: every decoding failure is a 400 `malformed_json`, never a 500."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(
            f"request body is not valid UTF-8 (byte {exc.start})", code="malformed_json"
        ) from exc
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise MalformedRequest(
            f"request body is nested deeper than {MAX_JSON_DEPTH} levels", code="malformed_json"
        ) from exc
    except ValueError as exc:
        raise MalformedRequest(f"request body is not valid JSON: {exc}", code="malformed_json") from exc
    problem = _json_problem(data)
    if problem is not None:
        raise MalformedRequest(f"request body is not acceptable JSON: {problem}", code="malformed_json")
    return data


def store_rejection(exc: Exception) -> Response | None:
    """A DynamoDB ValidationException that escaped the data layer (which maps them itself) is
    still the client's value being refused: 422, without DynamoDB's text."""
    code = getattr(exc, "cause_response_code", None)
    response = getattr(exc, "response", None)
    if code is None and isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
    if code != "ValidationException":
        return None
    log.warning("store refused a value: %s", exc)
    return error_response(
        422,
        "invalid_value",
        "a value in the request cannot be stored (too large or malformed)",
        [{"loc": ["body"], "msg": "cannot be stored", "type": "invalid_value"}],
    )


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

    # [inbound] every response carries X-Request-Id; a 5xx body carries it too and never the
    # internal message (logged instead); header values and path parameters are checked first.
    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        request_id = correlation_id(event, context)
        try:
            result = self._dispatch(event, context)
        except Exception:
            log.exception("unhandled error before the view (request_id=%s)", request_id)
            result = error_response(500, "internal_error", "Something went wrong on our side").to_dict()
        return finish_response(result, request_id, event)

    def _dispatch(self, event: Any, context: Any) -> dict[str, Any]:
        problem = header_problem(event.get("headers") or {})
        if problem is not None:
            return problem.to_dict()
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
                    if any(len(v) > MAX_PATH_PARAM for v in event["pathParameters"].values()):
                        # [inbound] no id is that long: answer before it reaches a key (DynamoDB
                        # refuses keys over 1 KB) or an error message
                        return error_response(404, "not_found", "No such resource").to_dict()
                    break
            else:
                return error_response(404, "route_not_found", f"No route for {path[:200]}").to_dict()
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
    raw = raw_request_body(current_request(app))  # [inbound] decoding: see parse_json_bytes
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES} bytes")
    data: Any = {} if not raw.strip() else parse_json_bytes(raw)
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
    customer_body: type[BaseModel] | None = None  # what a CUSTOMER sends instead of `body`


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
    customer_body: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view: authenticate (unless role is None), authorise, parse, map errors, serialise.

    `role` is the least human role admitted (PLATFORM_OWNER > SUPERADMIN > USER); INTEGRATION
    (API keys) is admitted only with `integration=True`. Authorisation comes before parsing and
    before any lookup: a caller without the role gets 403 whatever it sent.

    The view gets the Principal first (when authenticated), then the path parameters, then
    `body=` (the parsed `body` model) and `query=` (the parsed `query` model) when declared.
    Declared models are what the OpenAPI document describes (oms.api.openapi). A route that
    admits customers may take a different body from them (`customer_body`, parsed instead of
    `body` when the caller is a CUSTOMER)."""

    if role is None and integration:
        raise ValueError("a public route needs no integration flag")
    roles = admitted_roles(role, integration) if role is not None else ()

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        def endpoint(**params: str) -> Response:
            try:
                request = current_request(app)
                length = int((request.headers.get("content-length") or "0").strip() or 0)  # [inbound]
                if length > MAX_BODY_BYTES or len(raw_request_body(request)) > MAX_BODY_BYTES:
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
                    customer = customer_body is not None and args and args[0].role is Role.CUSTOMER
                    kwargs["body"] = json_body(app, customer_body if customer else body)  # type: ignore[arg-type]
                result = view(*args, **kwargs)
            except DomainError as exc:
                retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
                return error_response(exc.status, exc.code, exc.message, exc.details, headers=retry)
            except ValidationError as exc:  # a model built inside a service from client data
                return error_response(
                    422, "validation_failed", "request failed validation", validation_details(exc)
                )
            except Exception as exc:
                rejected = store_rejection(exc)  # [inbound] DynamoDB refusing a client's value: 422
                if rejected is not None:
                    return rejected
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
                    customer_body=customer_body,
                )
            )
        return view

    return register


class PageQuery(BaseModel):
    """`limit` and an opaque `cursor`: the paging of every list that pages."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
