"""Returns the event it got, so tests can inspect exactly what the gateway sent."""

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> Any:
    path = event.get("rawPath") or event.get("path") or ""
    if path.endswith("/crash"):
        raise ValueError("crash requested")
    if path.endswith("/plain"):
        return {"plain": True}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-echo": "raw"},
        "multiValueHeaders": {"x-multi": ["a", "b"]},
        "body": json.dumps(event),
    }
