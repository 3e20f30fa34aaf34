"""SQS pollers: partial batch failures, whole-batch failures, and dead-lettering by redrive policy.

Uses the fixture template: ``WorkQueue`` (visibility 1 s, ``maxReceiveCount: 2`` into
``WorkDeadLetterQueue``) feeds ``WorkerFunction`` with ``ReportBatchItemFailures``; ``OrderedQueue``
(FIFO) feeds ``StrictWorkerFunction`` without it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.pollers import QueuePoller, StreamPoller, sqs_event_record
from infra.local.testing import deployed_template

from .conftest import FIXTURE_APP


@pytest.fixture
def stack() -> Iterator[Any]:
    # A fresh deployment per test: queues and tables start empty.
    with deployed_template(FIXTURE_APP, stack_name="pollers") as deployed:
        yield deployed


def _poller(stack: Any, function: str) -> QueuePoller:
    (source,) = stack.functions[function].queues
    return QueuePoller(source, stack.invoke, wait_seconds=0)


def _send(stack: Any, queue: str, bodies: list[dict[str, Any]], **extra: Any) -> list[str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    return [
        sqs.send_message(QueueUrl=stack[queue], MessageBody=json.dumps(body), **extra)["MessageId"]
        for body in bodies
    ]


def _attempts(stack: Any) -> dict[str, int]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack["RecordsTable"])
    items = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "seen"})["Items"]
    return {item["sk"]: int(item["attempts"]) for item in items}


def _queue_depth(stack: Any, queue: str) -> int:
    attrs = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=stack[queue],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def _wait_visible_again(clock: Any) -> None:
    clock.shift(1.1)  # the fixture queue's VisibilityTimeout is 1 s: moved past it, not slept


def test_event_record_shape() -> None:
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "hello",
        "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "MessageAttributes": {
            "kind": {"StringValue": "a", "DataType": "String"},
            "blob": {"BinaryValue": b"\x00\x01", "DataType": "Binary"},
        },
    }
    record = sqs_event_record(message, "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")
    assert record["messageId"] == "m1"
    assert record["receiptHandle"] == "r1"
    assert record["body"] == "hello"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "a",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:q"
    assert record["awsRegion"] == "us-east-1"


def test_partial_batch_failure_keeps_only_the_failed_message(stack: Any) -> None:
    ids = _send(stack, "WorkQueue", [{"id": 1}, {"id": 2, "fail": True}, {"id": 3}])
    poller = _poller(stack, "WorkerFunction")
    deleted, failed = poller.poll_once()
    assert sorted(deleted) == sorted([ids[0], ids[2]])
    assert failed == [ids[1]]
    assert _queue_depth(stack, "WorkQueue") == 1
    assert _attempts(stack) == {"1": 1, "2": 1, "3": 1}


def test_failed_message_is_redelivered_then_dead_lettered(stack: Any, frozen_clock: Any) -> None:
    _send(
        stack,
        "WorkQueue",
        [{"id": 7, "fail": True}],
        MessageAttributes={"k": {"StringValue": "v", "DataType": "String"}},
    )
    poller = _poller(stack, "WorkerFunction")
    assert len(poller.poll_once()[1]) == 1  # receive 1
    assert poller.poll_once() == ([], [])  # invisible until its visibility timeout ends
    _wait_visible_again(frozen_clock)
    assert len(poller.poll_once()[1]) == 1  # receive 2 (= maxReceiveCount)
    _wait_visible_again(frozen_clock)
    assert poller.poll_once() == ([], [])  # moto moves it to the DLQ on this receive
    assert _attempts(stack) == {"7": 2}
    sqs = boto3.client("sqs", region_name="us-east-1")
    dead = sqs.receive_message(
        QueueUrl=stack["WorkDeadLetterQueue"], MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )["Messages"]
    assert [json.loads(m["Body"]) for m in dead] == [{"id": 7, "fail": True}]
    assert dead[0]["MessageAttributes"]["k"]["StringValue"] == "v"
    assert _queue_depth(stack, "WorkQueue") == 0


def test_malformed_batch_response_fails_the_whole_batch(stack: Any) -> None:
    _send(stack, "WorkQueue", [{"id": 1}, {"id": 2, "malformed": True}])
    deleted, failed = _poller(stack, "WorkerFunction").poll_once()
    assert deleted == []
    assert len(failed) == 2
    assert _queue_depth(stack, "WorkQueue") == 2


def test_exception_returns_the_whole_batch(stack: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    for body, group in (("one", "g"), ("boom", "g"), ("three", "g")):
        sqs.send_message(QueueUrl=stack["OrderedQueue"], MessageBody=body, MessageGroupId=group)
    poller = _poller(stack, "StrictWorkerFunction")
    deleted, failed = poller.poll_once()
    assert deleted == []
    assert len(failed) == 3
    assert _queue_depth(stack, "OrderedQueue") == 3


def test_batch_size_is_respected(stack: Any) -> None:
    _send(stack, "WorkQueue", [{"id": i} for i in range(12)])
    poller = _poller(stack, "WorkerFunction")
    sizes = []
    while True:
        deleted, failed = poller.poll_once()
        if not deleted and not failed:
            break
        sizes.append(len(deleted) + len(failed))
    assert sizes == [5, 5, 2]
    assert len(_attempts(stack)) == 12


def test_poller_thread_drains_the_queue_with_speedup(stack: Any) -> None:
    _send(stack, "WorkQueue", [{"id": i} for i in range(8)] + [{"id": 99, "fail": True}])
    (source,) = stack.functions["WorkerFunction"].queues
    poller = QueuePoller(source, stack.invoke, speed=10).start()  # failed messages retry after 0.1 s
    try:
        deadline = time.monotonic() + 15
        while _queue_depth(stack, "WorkQueue") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    attempts = _attempts(stack)
    assert all(attempts[str(i)] == 1 for i in range(8))
    assert attempts["99"] == 2  # then dead-lettered
    assert _queue_depth(stack, "WorkQueue") == 0
    assert _queue_depth(stack, "WorkDeadLetterQueue") == 1


# --------------------------------------------------------------------------- DynamoDB streams


def _stream_poller(stack: Any) -> StreamPoller:
    (source,) = stack.functions["AuditFunction"].streams
    return StreamPoller(source, stack.invoke, speed=1000)


def _put(stack: Any, pk: str, sk: str, **extra: Any) -> None:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack["RecordsTable"])
    table.put_item(Item={"pk": pk, "sk": sk, **extra})


def _audit(stack: Any) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack["RecordsTable"])
    return list(
        table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "audit"})["Items"]
    )


def test_stream_records_reach_the_function_filtered_and_in_order(stack: Any) -> None:
    poller = _stream_poller(stack)
    _put(stack, "order#1", "a")
    _put(stack, "other", "ignored")  # filtered out by FilterCriteria
    _put(stack, "order#2", "b")
    boto3.resource("dynamodb", region_name="us-east-1").Table(stack["RecordsTable"]).delete_item(
        Key={"pk": "order#1", "sk": "a"}
    )
    while poller.poll_once():
        pass
    audit = sorted(_audit(stack), key=lambda i: int(i["sk"].split("#")[1]))
    assert [(i["sk"].split("#")[0], i["event"]) for i in audit] == [
        ("a", "INSERT"),
        ("b", "INSERT"),
        ("a", "REMOVE"),
    ]
    assert audit[0]["source"] == stack.functions["AuditFunction"].streams[0].stream_arn
    assert poller.filtered == 1 + 3  # "other", plus the audit records the function wrote itself


def test_stream_partial_failure_retries_then_goes_to_the_failure_queue(stack: Any) -> None:
    poller = _stream_poller(stack)
    _put(stack, "order#1", "good")
    _put(stack, "order#2", "bad", poison=True)
    _put(stack, "order#3", "after")
    poller.poll_once()  # 1st attempt: "good" done, resumes at "bad"
    assert [i["sk"].split("#")[0] for i in _audit(stack)] == ["good"]
    poller.poll_once()  # 2nd attempt (MaximumRetryAttempts: 1): gives up on the batch from "bad"
    while poller.poll_once():
        pass
    assert poller.discarded == 2
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=stack["AuditFailureQueue"])["Messages"]
    info = json.loads(messages[0]["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["batchSize"] == 2
    # the stream goes on after the skipped batch
    _put(stack, "order#4", "later")
    while poller.poll_once():
        pass
    assert "later" in [i["sk"].split("#")[0] for i in _audit(stack)]


def test_stream_poller_thread(stack: Any) -> None:
    poller = _stream_poller(stack).start()
    try:
        for i in range(5):
            _put(stack, f"order#{i}", f"s{i}")
        deadline = time.monotonic() + 10
        while len(_audit(stack)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    assert len(_audit(stack)) == 5
