"""DynamoDB stream consumer of the fixture: copies order changes to audit records."""

from typing import Any

from sharedlib import records_table


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = records_table()
    failures = []
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        if "poison" in image:
            # In order: report the first failure and stop; Lambda resumes the stream from it.
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            break
        table.put_item(
            Item={
                "pk": "audit",
                "sk": record["dynamodb"]["Keys"]["sk"]["S"] + "#" + record["dynamodb"]["SequenceNumber"],
                "event": record["eventName"],
                "source": record["eventSourceARN"],
            }
        )
    return {"batchItemFailures": failures}
