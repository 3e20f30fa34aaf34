"""Calls the API function exactly as API Gateway (HTTP API, payload 1.0, catch-all route) does."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class Context:
    function_name = "ApiFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


class ApiClient:
    """`token`: a bearer token (a person); `api_key`: sent as X-API-Key (a machine); `source_ip`:
    the caller's address as API Gateway reports it (requestContext.identity.sourceIp)."""

    def __init__(
        self,
        app: Any,
        token: str | None = None,
        *,
        api_key: str | None = None,
        source_ip: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.token = token
        self.api_key = api_key
        self.source_ip = source_ip

    def with_token(self, token: str | None) -> ApiClient:
        return ApiClient(self.app, token, source_ip=self.source_ip)

    def with_api_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.app, None, api_key=key, source_ip=self.source_ip)

    def from_address(self, source_ip: str) -> ApiClient:
        return ApiClient(self.app, self.token, api_key=self.api_key, source_ip=source_ip)

    def call(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | str | None = None,
    ) -> Reply:
        parts = urlsplit(url)
        all_headers = {
            "content-type": "application/json",
            **{k.lower(): v for k, v in (headers or {}).items()},
        }
        if self.token:
            all_headers.setdefault("authorization", f"Bearer {self.token}")
        if self.api_key:
            all_headers.setdefault("x-api-key", self.api_key)
        encoded = False
        if isinstance(raw, bytes):
            try:
                payload: str | None = raw.decode()
            except UnicodeDecodeError:  # not text: API Gateway hands it over base64-encoded
                payload, encoded = base64.b64encode(raw).decode(), True
        elif raw is not None:
            payload = raw
        else:
            payload = json.dumps(body) if body is not None else None
        multi_query: dict[str, list[str]] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            multi_query.setdefault(key, []).append(value)
        query = {k: v[-1] for k, v in multi_query.items()} or None
        event = {
            "resource": "/{proxy+}",
            "path": parts.path,
            "httpMethod": method.upper(),
            "headers": all_headers,
            "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": {"proxy": parts.path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "resourcePath": "/{proxy+}",
                "httpMethod": method.upper(),
                "path": parts.path,
                "stage": "$default",
                "requestId": str(uuid.uuid4()),
                "identity": {"sourceIp": self.source_ip},
            },
            "body": payload,
            "isBase64Encoded": encoded,
        }
        result = self.app(event, Context())
        text = result.get("body") or ""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text
        headers_out = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return Reply(result["statusCode"], data, headers_out)

    def get(self, url: str, **kw: Any) -> Reply:
        return self.call("GET", url, **kw)

    def post(self, url: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", url, body, **kw)

    def patch(self, url: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("PATCH", url, body, **kw)

    def delete(self, url: str, **kw: Any) -> Reply:
        return self.call("DELETE", url, **kw)
