"""The fixture's state machine task and scheduled job."""

import uuid
from decimal import Decimal
from typing import Any

from sharedlib import LAYER_MARK, records_table


class StockConflict(Exception):
    """Caught by name in the state machine."""


def handler(event: dict[str, Any], context: Any) -> Any:
    mode = event.get("mode", "ok")
    if mode == "conflict":
        raise StockConflict("someone else took it")
    if mode == "decimal":
        return {"value": Decimal("1.5")}
    if mode == "context":
        return {
            "value": {
                "function_name": context.function_name,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "aws_request_id": context.aws_request_id,
                "remaining": context.get_remaining_time_in_millis(),
                "layer": LAYER_MARK,
            }
        }
    return {"value": event.get("n", 0) * 2}


def tick(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records_table().put_item(Item={"pk": "tick", "sk": str(uuid.uuid4()), "event": event})
    return {"ok": True}
