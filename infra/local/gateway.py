"""A local HTTP front door that speaks to the functions the way API Gateway and Function URLs do.

API Gateway cannot be created in moto and ``sam local`` needs Docker, so this small threaded WSGI
server (werkzeug) turns HTTP requests into the events the functions get in AWS and maps their
results back:

* routes of the template's HTTP APIs (``AWS::Serverless::HttpApi`` events, read from the generated
  OpenAPI body, so hand-written ``DefinitionBody`` routes work too) and REST APIs (``Api`` events)
  become **payload format 1.0** proxy events: ``resource`` and ``requestContext.resourcePath`` are
  the matched route (``/{proxy+}``), ``pathParameters`` hold its parameters (``proxy``),
  ``headers``/``multiValueHeaders``, ``queryStringParameters``/``multiValueQueryStringParameters``,
  ``body`` (base64 with ``isBase64Encoded`` for non-text content), ``requestContext.requestId``,
  ``stage``, ``identity.sourceIp``, ``httpMethod``, ``path``; routes declared with
  ``PayloadFormatVersion: "2.0"`` get 2.0 events;
* Function URLs (``FunctionUrlConfig``) are served under ``/_fn/<FunctionLogicalId>/...`` with
  **payload format 2.0** events (``rawPath``, ``rawQueryString``, lower-case ``headers``, ``cookies``,
  ``requestContext.http.method``...);
* routes are matched like API Gateway: the most specific one wins (no greedy ``{proxy+}``, more
  literal segments, fewer parameters, a method over ``ANY``), and a trailing slash does not stop a
  request from matching a non-greedy route (``/app/`` is the route ``/app``);
* the first API is served at ``/``; every API is also reachable under ``/_api/<ApiLogicalId>/``;
  a REST API's stage is not part of local URLs; ``/_local/...`` are the local cloud's own
  endpoints (``control.py``: quiet status, chaos plan), never a function;
* CORS configured on an HTTP API or Function URL is applied like AWS does: preflight ``OPTIONS``
  requests are answered by the gateway and ``Access-Control-Allow-Origin`` is added to responses;
* a function error becomes ``500 {"message": "Internal Server Error"}``, a malformed proxy result
  ``502``, a body over 10 MB ``413``, as in API Gateway.

Authorizers, throttling and request validation are not emulated.
"""

from __future__ import annotations

import base64
import errno
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from infra.local.stack import FunctionUrlConfig, HttpRoute, StackResources

log = logging.getLogger("infra.local.gateway")
access_log = logging.getLogger("infra.local.access")

__all__ = ["Gateway", "PortInUseError", "RouteTable", "port_is_free"]

MAX_BODY_BYTES = 10 * 1024 * 1024
_TEXT_TYPES = re.compile(
    r"^(text/|application/(json|.*\+json|xml|.*\+xml|x-www-form-urlencoded|javascript|graphql|x-yaml|yaml))",
    re.IGNORECASE,
)


class PortInUseError(OSError):
    """The gateway's port is taken."""


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (0: any free port, always true)."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # path parameter names, by regex group index
    score: tuple[int, int, int, int]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.method not in ("ANY", method):
            return None
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        # werkzeug already decoded the path, as API Gateway decodes path parameters.
        return dict(zip(self.names, found.groups(), strict=True))


def _compile(route: HttpRoute) -> _CompiledRoute:
    regex = ""
    names: list[str] = []
    literals = params = 0
    greedy = False
    for segment in route.path.strip("/").split("/"):
        if not segment:
            continue
        name = re.fullmatch(r"\{([^{}+]+)(\+?)\}", segment)
        if name is None:
            regex += "/" + re.escape(segment)
            literals += 1
            continue
        names.append(name.group(1))
        if name.group(2):
            regex += "/(.+)"
            greedy = True
        else:
            regex += "/([^/]+)"
            params += 1
    # API Gateway routes "/app/" to the route "/app" (a trailing slash does not make another path)
    regex = regex + ("" if greedy else "/?") if regex else "/"
    # Most specific first: no greedy part, more literal segments, fewer parameters, a real method.
    score = (0 if greedy else 1, literals, -params, 0 if route.method == "ANY" else 1)
    return _CompiledRoute(route, re.compile(regex), tuple(names), score)


class RouteTable:
    """The routes of one API, matched by specificity like API Gateway."""

    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self.routes = sorted((_compile(r) for r in routes), key=lambda c: c.score, reverse=True)

    def match(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        path = path or "/"
        for compiled in self.routes:
            params = compiled.match(method, path)
            if params is not None:
                return compiled.route, params
        return None


def _normalise_cors(cors: Any) -> dict[str, Any] | None:
    if not isinstance(cors, dict):
        return None
    return {key[:1].lower() + key[1:]: value for key, value in cors.items()}


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class _QuietHandler(WSGIRequestHandler):
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


class Gateway:
    """The HTTP server; ``start()`` binds (``PortInUseError`` if taken) and serves in a thread."""

    def __init__(
        self,
        stack: StackResources,
        invoke: Callable[[str, Any], Any],
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        max_body_bytes: int = MAX_BODY_BYTES,
        local_endpoints: Callable[[Request], Response] | None = None,
    ) -> None:
        self.stack = stack
        self.invoke = invoke
        self.local_endpoints = local_endpoints  # the cloud's own /_local/... endpoints (control.py)
        if access_log.level == logging.NOTSET:
            access_log.setLevel(logging.WARNING)  # one line per request is opt-in (CLI --verbose)
        self.host = host
        self.port = port
        self.max_body_bytes = max_body_bytes
        self.apis = {
            api_id: {"table": RouteTable(info["routes"]), **info}
            for api_id, info in stack.apis.items()
            if info.get("routes")
        }
        http_first = sorted(
            self.apis, key=lambda a: (self.apis[a]["kind"] != "HttpApi", list(self.apis).index(a))
        )
        self.primary_api = http_first[0] if http_first else None
        self.function_urls: dict[str, FunctionUrlConfig] = {u.function: u for u in stack.function_urls}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.requests = 0

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def function_url(self, logical_id: str) -> str:
        return f"{self.url}/_fn/{logical_id}/"

    def bind(self) -> None:
        in_use = PortInUseError(errno.EADDRINUSE, f"port {self.port} on {self.host} is already in use")
        if not port_is_free(self.host, self.port):
            raise in_use
        try:
            server = make_server(self.host, self.port, self, threaded=True, request_handler=_QuietHandler)
        except SystemExit as exc:  # werkzeug prints and exits when the port is taken
            raise in_use from exc
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise in_use from exc
            raise
        self._server = server
        self.port = server.server_port

    def start(self) -> Gateway:
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="http-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # ----------------------------------------------------------------- WSGI
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.perf_counter()
        try:
            response = self.handle(request)
        except Exception:
            log.exception("gateway failure on %s %s", request.method, request.path)
            response = _json_response(500, {"message": "Internal Server Error"})
        self.requests += 1
        access_log.info(
            "%s %s %s %.0fms",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_local/") and self.local_endpoints is not None:
            return self.local_endpoints(request)
        if path.rstrip("/") == "/local/mailbox" and self.local_endpoints is not None:
            return self.local_endpoints(request)  # the local mailbox (control.py), never the API
        if path.startswith("/_fn/"):
            _, _, rest = path.partition("/_fn/")
            function, _, sub = rest.partition("/")
            config = self.function_urls.get(function)
            if config is None:
                return _json_response(404, {"message": f"no Function URL for {function!r}"})
            return self._function_url(request, config, "/" + sub)
        if path.startswith("/_api/"):
            _, _, rest = path.partition("/_api/")
            api_id, _, sub = rest.partition("/")
            if api_id not in self.apis:
                return _json_response(404, {"message": f"no API {api_id!r}"})
            return self._api(request, api_id, "/" + sub)
        if self.primary_api is None:
            return _json_response(404, {"message": "Not Found"})
        return self._api(request, self.primary_api, path)

    def _read_body(self, request: Request) -> bytes | None:
        length = request.content_length
        if length is not None and length > self.max_body_bytes:
            return None
        data = request.get_data(cache=True)
        return None if len(data) > self.max_body_bytes else data

    # ----------------------------------------------------------------- API Gateway
    def _api(self, request: Request, api_id: str, path: str) -> Response:
        api = self.apis[api_id]
        cors = _normalise_cors(api.get("cors")) if api["kind"] == "HttpApi" else None
        if cors and _is_preflight(request):
            return _preflight(request, cors)
        matched = api["table"].match(request.method, path)
        if matched is None:
            return _json_response(404, {"message": "Not Found"})
        route, params = matched
        body = self._read_body(request)
        if body is None:
            return _json_response(413, {"message": "Request Entity Too Large"})
        if route.payload_format_version == "2.0":
            event = payload_v2_event(
                request, path, body, self.stack.account_id, route_key=f"{route.method} {route.path}"
            )
            event["pathParameters"] = params or None
        else:
            event = payload_v1_event(
                request, path, body, route=route, params=params, account_id=self.stack.account_id
            )
        outcome = self.invoke(route.function, event)
        response = _v2_response(outcome) if route.payload_format_version == "2.0" else _v1_response(outcome)
        response.headers["apigw-requestid"] = event["requestContext"]["requestId"]
        if cors:
            _add_cors(request, response, cors)
        return response

    # ----------------------------------------------------------------- Function URLs
    def _function_url(self, request: Request, config: FunctionUrlConfig, path: str) -> Response:
        cors = _normalise_cors(config.cors)
        if cors and _is_preflight(request):
            return _preflight(request, cors)
        body = self._read_body(request)
        if body is None:
            return _json_response(413, {"message": "Request Entity Too Large"})
        event = payload_v2_event(request, path, body, "anonymous", route_key="$default")
        outcome = self.invoke(config.function, event)
        response = _v2_response(outcome)
        response.headers["x-amzn-RequestId"] = event["requestContext"]["requestId"]
        if cors:
            _add_cors(request, response, cors)
        return response


# --------------------------------------------------------------------------- events


def _body_fields(request: Request, body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    content_type = request.headers.get("Content-Type", "")
    if not content_type or _TEXT_TYPES.match(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _multi_headers(request: Request, lower: bool) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for key, value in request.headers.items():
        name = key.lower() if lower else key
        headers.setdefault(name, []).append(value)
    return headers


def _request_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def payload_v1_event(
    request: Request,
    path: str,
    body: bytes,
    *,
    route: HttpRoute,
    params: dict[str, str],
    account_id: str,
) -> dict[str, Any]:
    """An API Gateway proxy event, payload format 1.0."""
    lower = route.kind == "HttpApi"
    multi_headers = _multi_headers(request, lower)
    headers = {k: ",".join(v) if lower else v[-1] for k, v in multi_headers.items()}
    query_pairs = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for key, value in query_pairs:
        multi_query.setdefault(key, []).append(value)
    text, is_b64 = _body_fields(request, body)
    now = time.time()
    request_id = str(uuid.uuid4())
    method = request.method.upper()
    host = request.host or "localhost"
    return {
        "version": "1.0",
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": route.api.lower(),
            "domainName": host,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": request.remote_addr or "127.0.0.1",
                "user": None,
                "userAgent": request.headers.get("User-Agent", ""),
                "userArn": None,
            },
            "path": path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id,
            "requestTime": _request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": f"{route.method} {route.path}",
            "resourcePath": route.path,
            "stage": route.stage,
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }


def payload_v2_event(
    request: Request, path: str, body: bytes, account_id: str, *, route_key: str = "$default"
) -> dict[str, Any]:
    """A payload format 2.0 event (HTTP API 2.0 routes and Function URLs)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in request.headers.items():
        name = key.lower()
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    raw_query = request.query_string.decode("latin-1")
    query: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    text, is_b64 = _body_fields(request, body)
    now = time.time()
    request_id = str(uuid.uuid4())
    host = request.host or "localhost"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "http": {
                "method": request.method.upper(),
                "path": path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": _request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if text is not None:
        event["body"] = text
    return event


# --------------------------------------------------------------------------- responses


def _function_failed(outcome: Any) -> bool:
    return bool(getattr(outcome, "errored", False))


def _payload(outcome: Any) -> Any:
    return getattr(outcome, "payload", outcome)


def _decode_body(body: Any, is_b64: bool) -> bytes:
    if body is None:
        return b""
    if is_b64:
        return base64.b64decode(body)
    return str(body).encode("utf-8")


def _v1_response(outcome: Any) -> Response:
    if _function_failed(outcome):
        return _json_response(500, {"message": "Internal Server Error"})
    result = _payload(outcome)
    if not isinstance(result, dict) or "statusCode" not in result:
        log.warning("function returned %r, not a proxy response", str(result)[:200])
        return _json_response(502, {"message": "Internal Server Error"})
    try:
        status = int(result["statusCode"])
        data = _decode_body(result.get("body"), bool(result.get("isBase64Encoded")))
    except (TypeError, ValueError):
        return _json_response(502, {"message": "Internal Server Error"})
    response = Response(data, status=status)
    response.headers.pop("Content-Type", None)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            response.headers.add(key, str(value))
    for key, value in (result.get("headers") or {}).items():
        if key not in response.headers:
            response.headers[key] = str(value)
    if "Content-Type" not in response.headers and data:
        response.headers["Content-Type"] = "application/json"
    return response


def _v2_response(outcome: Any) -> Response:
    if _function_failed(outcome):
        return _json_response(500, {"message": "Internal Server Error"})
    result = _payload(outcome)
    if not (isinstance(result, dict) and "statusCode" in result):
        # Payload 2.0 infers a response from any other value: it becomes a JSON body.
        text = result if isinstance(result, str) else json.dumps(result)
        return Response(text, status=200, mimetype="application/json")
    try:
        status = int(result["statusCode"])
        data = _decode_body(result.get("body"), bool(result.get("isBase64Encoded")))
    except (TypeError, ValueError):
        return _json_response(502, {"message": "Internal Server Error"})
    response = Response(data, status=status)
    response.headers.pop("Content-Type", None)
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", str(cookie))
    if "Content-Type" not in response.headers and data:
        response.headers["Content-Type"] = "application/json"
    return response


# --------------------------------------------------------------------------- CORS


def _is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def _allowed_origin(origin: str, cors: dict[str, Any]) -> str | None:
    origins = [str(o) for o in cors.get("allowOrigins") or []]
    if "*" in origins:
        return "*" if not cors.get("allowCredentials") else origin
    return origin if origin in origins else None


def _preflight(request: Request, cors: dict[str, Any]) -> Response:
    response = Response(status=204)
    origin = _allowed_origin(request.headers.get("Origin", ""), cors)
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    methods = [str(m) for m in cors.get("allowMethods") or []]
    response.headers["Access-Control-Allow-Methods"] = ",".join(methods) if methods else "*"
    allowed_headers = [str(h) for h in cors.get("allowHeaders") or []]
    if allowed_headers:
        response.headers["Access-Control-Allow-Headers"] = ",".join(allowed_headers)
    if cors.get("maxAge") is not None:
        response.headers["Access-Control-Max-Age"] = str(cors["maxAge"])
    if cors.get("allowCredentials"):
        response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Date"] = formatdate(usegmt=True)
    return response


def _add_cors(request: Request, response: Response, cors: dict[str, Any]) -> None:
    origin_header = request.headers.get("Origin")
    if not origin_header:
        return
    origin = _allowed_origin(origin_header, cors)
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    exposed = [str(h) for h in cors.get("exposeHeaders") or []]
    if exposed:
        response.headers["Access-Control-Expose-Headers"] = ",".join(exposed)
    if cors.get("allowCredentials"):
        response.headers["Access-Control-Allow-Credentials"] = "true"
