"""Shopify webhooks, behind a Function URL: verify, queue, answer (within a second).

The address is `<function url>/shopify/<tenant id>/<connector id>`; a connector's API view
carries it as `webhook_url`. The API also answers at `POST /connectors/{id}/webhook`
(`webhook_path`), with the same checks (oms.services.shopify_inbound)."""

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, ValidationError

from oms.runtime import init

init()

from oms.services import shopify_inbound  # noqa: E402

logger = Logger(service="cirrus-shopify")


class FunctionUrlRequest(BaseModel):
    """The parts of a Function URL (payload 2.0) event we use."""

    model_config = ConfigDict(extra="ignore")
    rawPath: str = "/"
    headers: dict[str, str] = {}
    body: str | None = None
    isBase64Encoded: bool = False

    def raw_body(self) -> bytes:
        if self.body is None:
            return b""
        if self.isBase64Encoded:
            return base64.b64decode(self.body, validate=True)
        return self.body.encode("utf-8", "surrogatepass")


def _reply(status: int, body: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "X-Request-Id": request_id},
        "body": json.dumps(body),
    }


def _error(status: int, code: str, message: str, request_id: str, details: Any = None) -> dict[str, Any]:
    return _reply(status, {"error": {"code": code, "message": message, "details": details}}, request_id)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request_id = str(getattr(context, "aws_request_id", "") or "")[:100]
    try:
        request = FunctionUrlRequest.model_validate(event)
        raw_body = request.raw_body()
    except (ValidationError, binascii.Error, ValueError):
        return _error(400, "malformed_request", "the request cannot be read", request_id)
    parts = [p for p in request.rawPath.split("/") if p]
    if len(parts) != 3 or parts[0] != "shopify":
        return _error(404, "not_found", "use /shopify/<tenant>/<connector>", request_id)
    try:
        status, body = shopify_inbound.receive_shopify(parts[1], parts[2], request.headers, raw_body)
    except Exception:
        # a 5xx tells Shopify to retry; what went wrong stays in the log, under the request id
        logger.exception("shopify delivery failed", extra={"request_id": request_id})
        message = f"Something went wrong on our side (request id {request_id})"
        return _error(500, "internal_error", message, request_id, {"request_id": request_id})
    return _reply(status, body, request_id)
