"""Persistence: DynamoDB items and SQS messages survive a restart (different physical names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from infra.local import moto_patches
from infra.local.persistence import Persister, StateStore
from infra.local.testing import deployed_template

from .conftest import FIXTURE_APP

ITEMS: list[dict[str, Any]] = [
    {
        "pk": {"S": "all-types"},
        "sk": {"S": "1"},
        "s": {"S": "text é"},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xffbinary"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "m": {"M": {"inner": {"S": "x"}, "deep": {"M": {"n": {"N": "1"}}}}},
        "l": {"L": [{"S": "a"}, {"N": "2"}, {"B": b"\x01"}]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
    },
    *({"pk": {"S": "bulk"}, "sk": {"S": f"{i:04d}"}, "v": {"N": str(i)}} for i in range(250)),
]


def _scan(table: str) -> list[dict[str, Any]]:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = ddb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_round_trip_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with deployed_template(FIXTURE_APP, stack_name="before") as first:
        sqs = boto3.client("sqs", region_name="us-east-1")
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        for item in ITEMS:
            ddb.put_item(TableName=first["RecordsTable"], Item=item)
        sqs.send_message(
            QueueUrl=first["WorkQueue"],
            MessageBody="pending",
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "k"},
                "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
            },
        )
        sqs.send_message(QueueUrl=first["OrderedQueue"], MessageBody="first", MessageGroupId="g1")
        sqs.send_message(QueueUrl=first["OrderedQueue"], MessageBody="second", MessageGroupId="g1")
        before = _scan(first["RecordsTable"])
        first_table = first["RecordsTable"]
        counts = StateStore(state, first, "digest").save()
        assert counts["RecordsTable"] == len(ITEMS)
        assert counts["WorkQueue"] == 1 and counts["OrderedQueue"] == 2

    with deployed_template(FIXTURE_APP, stack_name="after") as second:
        sqs = boto3.client("sqs", region_name="us-east-1")
        assert second["RecordsTable"] != first_table  # new physical names: matched by logical id
        report = StateStore(state, second).restore()
        assert report.items == len(ITEMS) and report.skipped_items == 0
        assert report.messages == 3
        assert _scan(second["RecordsTable"]) == before
        work = sqs.receive_message(
            QueueUrl=second["WorkQueue"], MessageAttributeNames=["All"], MaxNumberOfMessages=10
        )["Messages"]
        assert [m["Body"] for m in work] == ["pending"]
        assert work[0]["MessageAttributes"]["kind"]["StringValue"] == "k"
        assert work[0]["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01"
        ordered = sqs.receive_message(
            QueueUrl=second["OrderedQueue"],
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["MessageGroupId"],
        )["Messages"]
        assert [m["Body"] for m in ordered] == ["first", "second"]
        assert {m["Attributes"]["MessageGroupId"] for m in ordered} == {"g1"}


def test_restore_without_state_is_a_no_op(tmp_path: Path) -> None:
    with deployed_template(FIXTURE_APP, stack_name="empty") as stack:
        report = StateStore(tmp_path, stack).restore()
        assert (report.items, report.messages) == (0, 0)


def test_persister_saves_only_after_changes_and_wipe_forgets(tmp_path: Path) -> None:
    with deployed_template(FIXTURE_APP, stack_name="changes") as stack:
        persister = Persister(StateStore(tmp_path, stack), interval=3600)
        assert persister.save_if_changed() is False
        boto3.client("dynamodb", region_name="us-east-1").put_item(
            TableName=stack["RecordsTable"], Item={"pk": {"S": "a"}, "sk": {"S": "b"}}
        )
        assert moto_patches.change_counter() > 0
        assert persister.save_if_changed() is True
        assert persister.save_if_changed() is False
        assert (tmp_path / "dynamodb" / "RecordsTable.json").exists()
        StateStore.wipe(tmp_path)
        assert not (tmp_path / "meta.json").exists()
        assert not StateStore(tmp_path, stack).has_state()


def test_sealed_secrets_still_open_after_a_restart(tmp_path: Path) -> None:
    """The real template's KMS key: a data key wrapped before the restart unwraps after it (the
    restored key keeps its material and answers to its old id)."""
    state = tmp_path / "state"
    context = {"tenant_id": "demo"}
    with deployed_template(stack_name="kms-before") as first:
        kms = boto3.client("kms", region_name="us-east-1")
        made = kms.generate_data_key(
            KeyId="alias/cirrus-secrets-dev", KeySpec="AES_256", EncryptionContext=context
        )
        old_key_id = first["SecretsKey"]
        StateStore(state, first, "digest").save()

    with deployed_template(stack_name="kms-after") as second:
        kms = boto3.client("kms", region_name="us-east-1")
        assert second["SecretsKey"] != old_key_id  # a new key, as after any restart
        StateStore(state, second).restore()
        opened = kms.decrypt(CiphertextBlob=made["CiphertextBlob"], EncryptionContext=context)
        assert opened["Plaintext"] == made["Plaintext"]
        fresh = kms.generate_data_key(
            KeyId="alias/cirrus-secrets-dev", KeySpec="AES_256", EncryptionContext=context
        )
        assert (
            kms.decrypt(CiphertextBlob=fresh["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
            == (fresh["Plaintext"])
        )
        StateStore(state, second, "digest").save()  # a second restart keeps both ids

    with deployed_template(stack_name="kms-third") as third:
        kms = boto3.client("kms", region_name="us-east-1")
        StateStore(state, third).restore()
        for blob in (made, fresh):
            assert (
                kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=context)["Plaintext"]
                == (blob["Plaintext"])
            )
