"""TransactWriteItems scenarios, run in a subprocess with and without ``moto_patches``.

``python transact_scenarios.py patched|original`` prints one JSON document: for every scenario the
error code, message and cancellation reasons, the table afterwards and the number of stream records.
The test compares both runs: the patch must not change moto's observable semantics.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
)
for _key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_key]

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

T = "t"


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "cancel_restores_every_touched_item": [
        {"Put": {"TableName": T, "Item": {**key("a", "3"), "v": {"N": "3"}}}},
        {
            "Update": {
                "TableName": T,
                "Key": key("a", "1"),
                "UpdateExpression": "SET v = :ten, tags = :tags",
                "ExpressionAttributeValues": {":ten": {"N": "10"}, ":tags": {"SS": ["x"]}},
            }
        },
        {"Delete": {"TableName": T, "Key": key("b", "1")}},
        {
            "ConditionCheck": {
                "TableName": T,
                "Key": key("a", "2"),
                "ConditionExpression": "v = :nine",
                "ExpressionAttributeValues": {":nine": {"N": "9"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ],
    "update_that_creates_then_cancel": [
        {
            "Update": {
                "TableName": T,
                "Key": key("new", "1"),
                "UpdateExpression": "SET v = :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": T,
                "Item": {**key("a", "2"), "v": {"N": "0"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ],
    "condition_failure_without_all_old": [
        {
            "Update": {
                "TableName": T,
                "Key": key("a", "1"),
                "UpdateExpression": "ADD v :one",
                "ConditionExpression": "v > :big",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":big": {"N": "100"}},
            }
        },
        {
            "ConditionCheck": {
                "TableName": T,
                "Key": key("missing", "1"),
                "ConditionExpression": "attribute_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
    ],
    "first_operation_fails_later_writes_are_undone": [
        {
            "Update": {
                "TableName": T,
                "Key": key("a", "1"),
                "UpdateExpression": "ADD v :minus",
                "ConditionExpression": "v >= :need",
                "ExpressionAttributeValues": {":minus": {"N": "-5"}, ":need": {"N": "5"}},
            }
        },
        {
            "Put": {
                "TableName": T,
                "Item": {**key("reservation", "1"), "q": {"N": "5"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Put": {
                "TableName": T,
                "Item": {**key("b", "1"), "v": {"N": "2"}},
                "ConditionExpression": "v = :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ],
    "all_succeed": [
        {"Put": {"TableName": T, "Item": {**key("a", "4"), "v": {"N": "4"}}}},
        {
            "Update": {
                "TableName": T,
                "Key": key("a", "1"),
                "UpdateExpression": "ADD v :one",
                "ConditionExpression": "v = :v",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":v": {"N": "1"}},
            }
        },
        {"Delete": {"TableName": T, "Key": key("b", "1"), "ConditionExpression": "attribute_exists(pk)"}},
        {
            "ConditionCheck": {
                "TableName": T,
                "Key": key("a", "2"),
                "ConditionExpression": "attribute_exists(v)",
            }
        },
    ],
    "same_item_twice_is_a_validation_error": [
        {"Put": {"TableName": T, "Item": {**key("a", "5"), "v": {"N": "5"}}}},
        {"Put": {"TableName": T, "Item": {**key("a", "6"), "v": {"N": "6"}}}},
        {"Delete": {"TableName": T, "Key": key("a", "5")}},
    ],
    "unknown_table_is_reported_per_item": [
        {"Put": {"TableName": T, "Item": {**key("a", "7"), "v": {"N": "7"}}}},
        {"Put": {"TableName": "nope", "Item": {**key("a", "8")}}},
    ],
}


def run() -> dict[str, Any]:
    if sys.argv[1:] == ["patched"]:
        from infra.local import moto_patches

        moto_patches.apply()
    results: dict[str, Any] = {}
    for name, items in SCENARIOS.items():
        with mock_aws():
            ddb = boto3.client("dynamodb")
            ddb.create_table(
                TableName=T,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
            for pk, sk, v in (("a", "1", "1"), ("a", "2", "2"), ("b", "1", "1")):
                ddb.put_item(TableName=T, Item={**key(pk, sk), "v": {"N": v}})
            outcome: dict[str, Any] = {"error": None}
            try:
                ddb.transact_write_items(TransactItems=items)
            except ClientError as exc:
                outcome["error"] = exc.response["Error"]["Code"]
                outcome["message"] = exc.response["Error"]["Message"]
                outcome["reasons"] = exc.response.get("CancellationReasons")
            outcome["items"] = sorted(
                ddb.scan(TableName=T)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"])
            )
            from moto.dynamodb.models import dynamodb_backends

            shard = dynamodb_backends["123456789012"]["us-east-1"].tables[T].stream_shard
            assert shard is not None
            outcome["stream_records"] = [r.record["eventName"] for r in shard.items]
            results[name] = outcome
    return results


if __name__ == "__main__":
    print(json.dumps(run(), sort_keys=True, default=str))
