"""SQS consumers of the fixture: partial batch failures, and an all-or-nothing one."""

import json
from typing import Any

from sharedlib import records_table


def handler(event: dict[str, Any], context: Any) -> Any:
    table = records_table()
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        table.update_item(
            Key={"pk": "seen", "sk": str(body.get("id", record["messageId"]))},
            UpdateExpression="ADD attempts :one SET receive_count = :rc",
            ExpressionAttributeValues={":one": 1, ":rc": record["attributes"]["ApproximateReceiveCount"]},
        )
        if body.get("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
        elif body.get("malformed"):
            return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
    return {"batchItemFailures": failures}


def strict(event: dict[str, Any], context: Any) -> None:
    table = records_table()
    for record in event["Records"]:
        if "boom" in record["body"]:
            raise RuntimeError("boom")
        table.put_item(
            Item={"pk": "ordered", "sk": record["attributes"]["SequenceNumber"], "body": record["body"]}
        )
    return None
