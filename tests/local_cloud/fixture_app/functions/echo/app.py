"""A tiny Chalice app behind a catch-all HTTP API route, like the real API function."""

import base64
import re
from typing import Any

from chalice import Chalice, Response


class ProxyChalice(Chalice):
    """Resolves the concrete route for events of the /{proxy+} catch-all (Chalice routes by resource)."""

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        ctx = event.setdefault("requestContext", {})
        resource = ctx.get("resourcePath") or event.get("resource")
        ctx["gatewayResourcePath"] = resource
        if resource is None or "{proxy+}" in resource or resource not in self.routes:
            path = event.get("path") or "/"
            for route in self.routes:
                pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route) + "$"
                found = re.match(pattern, path)
                if found:
                    ctx["resourcePath"] = route
                    event["resource"] = route
                    event["pathParameters"] = {
                        **(event.get("pathParameters") or {}),
                        **found.groupdict(),
                    } or None
                    break
        return super().__call__(event, context)


app = ProxyChalice(app_name="fixture-echo")


@app.route("/")
def root() -> dict[str, Any]:
    return {"root": True}


@app.route("/echo", methods=["GET", "POST", "PUT"], content_types=["application/json", "text/plain"])
def echo() -> dict[str, Any]:
    request = app.current_request
    original = request.to_original_event()
    return {
        "method": request.method,
        "path": original["path"],
        "query": request.query_params,
        "multi_query": original.get("multiValueQueryStringParameters"),
        "headers": dict(request.headers),
        "body": request.raw_body.decode() if request.raw_body else None,
        "gateway_resource_path": original["requestContext"].get("gatewayResourcePath"),
        "proxy": (original.get("pathParameters") or {}).get("proxy"),
    }


@app.route("/items/{item_id}")
def item(item_id: str) -> dict[str, Any]:
    return {"item_id": item_id}


@app.route("/upload", methods=["POST"], content_types=["application/octet-stream"])
def upload() -> dict[str, Any]:
    data = app.current_request.raw_body
    return {"size": len(data), "b64": base64.b64encode(data).decode()}


@app.route("/status/{code}")
def status(code: str) -> Response:
    return Response(body={"code": int(code)}, status_code=int(code), headers={"X-Custom": "yes"})
