"""Query scenarios, run in a subprocess with and without ``moto_patches``.

``python query_scenarios.py patched|original`` prints every query result (all pages) after each
round of writes - puts, updates that move an item between index partitions or drop its index
attribute, deletes, a cancelled and a committed transaction. The test compares both runs: queries
that start from the partition's candidates must return exactly what moto's full scan returns.
"""

from __future__ import annotations

import contextlib
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

T = "q"


def s(value: str) -> dict[str, str]:
    return {"S": value}


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": s("p1")}},
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :b)",
        "ExpressionAttributeValues": {":p": s("p1"), ":b": s("0")},
    },
    {
        "IndexName": "by_group",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": s("A")},
    },
    {
        "IndexName": "by_group",
        "KeyConditionExpression": "g = :g AND gs BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {":g": s("B"), ":lo": s("010"), ":hi": s("030")},
        "ScanIndexForward": False,
    },
    {
        "IndexName": "by_group",
        "KeyConditionExpression": "g = :g",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":g": s("A"), ":n": {"N": "20"}},
    },
    {
        "IndexName": "by_group",
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": s("none")},
    },
    {
        "IndexName": "by_flag",
        "KeyConditionExpression": "f = :f",
        "ExpressionAttributeValues": {":f": s("on")},
    },
    {
        "IndexName": "by_flag",
        "KeyConditionExpression": "f = :f",
        "ExpressionAttributeValues": {":f": s("on")},
        "Select": "COUNT",
    },
]


def run_queries(ddb: Any) -> list[Any]:
    out = []
    for query in QUERIES:
        pages = []
        kwargs: dict[str, Any] = {"TableName": T, "Limit": 7, **query}
        while True:
            page = ddb.query(**kwargs)
            pages.append({k: page.get(k) for k in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")})
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        out.append(pages)
    return out


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s(sk)}


def run() -> list[Any]:
    if sys.argv[1:] == ["patched"]:
        from infra.local import moto_patches

        moto_patches.apply()
    rounds: list[Any] = []
    with mock_aws():
        ddb = boto3.client("dynamodb")
        ddb.create_table(
            TableName=T,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g", "gs", "f")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_group",
                    "KeySchema": [
                        {"AttributeName": "g", "KeyType": "HASH"},
                        {"AttributeName": "gs", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_flag",
                    "KeySchema": [{"AttributeName": "f", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(60):
            item = {
                **key(f"p{i % 3}", f"{i:03d}"),
                "n": {"N": str(i)},
                "g": s("AB"[i % 2]),
                "gs": s(f"{i:03d}"),
            }
            if i % 4 == 0:
                item["f"] = s("on")
            if i % 10 == 9:
                del item["g"]  # sparse
            ddb.put_item(TableName=T, Item=item)
        rounds.append(run_queries(ddb))

        # move items between partitions, drop and add index attributes, delete some
        for i in range(0, 60, 5):
            ddb.update_item(
                TableName=T,
                Key=key(f"p{i % 3}", f"{i:03d}"),
                UpdateExpression="SET g = :g, f = :f",
                ExpressionAttributeValues={":g": s("B"), ":f": s("on")},
            )
        for i in range(1, 60, 7):
            ddb.update_item(TableName=T, Key=key(f"p{i % 3}", f"{i:03d}"), UpdateExpression="REMOVE g, f")
        for i in range(2, 60, 11):
            ddb.delete_item(TableName=T, Key=key(f"p{i % 3}", f"{i:03d}"))
        rounds.append(run_queries(ddb))

        # a cancelled transaction must leave the indexes as they were; a committed one updates them
        with contextlib.suppress(ClientError):
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": T,
                            "Key": key("p0", "003"),
                            "UpdateExpression": "SET g = :g",
                            "ExpressionAttributeValues": {":g": s("A")},
                        }
                    },
                    {"Put": {"TableName": T, "Item": {**key("p9", "new"), "g": s("A"), "gs": s("000")}}},
                    {
                        "ConditionCheck": {
                            "TableName": T,
                            "Key": key("p0", "000"),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        rounds.append(run_queries(ddb))
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": T,
                        "Item": {**key("p9", "new"), "g": s("A"), "gs": s("000"), "f": s("on")},
                    }
                },
                {"Delete": {"TableName": T, "Key": key("p1", "001")}},
            ]
        )
        rounds.append(run_queries(ddb))
    return rounds


if __name__ == "__main__":
    print(json.dumps(run(), sort_keys=True, default=str))
