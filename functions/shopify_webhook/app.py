"""Shopify webhooks, behind a Function URL: verify, queue, answer (within a second).

The address is `<function url>/shopify/<tenant id>/<connector id>`; a connector's API view
carries it as `webhook_url`."""

import base64
import json
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

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
        return base64.b64decode(self.body) if self.isBase64Encoded else self.body.encode("utf-8")


def _reply(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = FunctionUrlRequest.model_validate(event)
    parts = [p for p in request.rawPath.split("/") if p]
    if len(parts) != 3 or parts[0] != "shopify":
        return _reply(404, {"error": {"code": "not_found", "message": "use /shopify/<tenant>/<connector>"}})
    status, body = shopify_inbound.receive_shopify(parts[1], parts[2], request.headers, request.raw_body())
    return _reply(status, body)
