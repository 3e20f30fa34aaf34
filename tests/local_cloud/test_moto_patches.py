"""moto_patches: each patch has a test that fails without it, and the patched moto keeps moto's
semantics. How fast the patched paths are is measured by `make bench BENCH=local_cloud`.

Patch -> tests: 1 lock: test_1_*, test_conditional_put_*, test_guarded_counter_*; 2 transaction
snapshot: test_transactions_never_copy_whole_tables, test_transactions_behave_exactly_like_*,
test_validation_error_mid_transaction_*; 3 Step Functions via CloudFormation:
test_cloudformation_state_machine_*; 4 SDK clients: test_4_*; 5 SQS delete race: test_5_*,
test_sqs_send_and_delete_race_*; 6 parse cache: test_6_*; 7 JSONPath cache: test_7_*; 8 routing
cache: test_8_*; 9 TCP_NODELAY: test_9_*; 10 query candidates: test_10_*, test_queries_return_*;
11 plain JSON responses: test_11_*; 12 async invoke: test_12_*. The version pin: test_apply_refuses_*.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import moto_patches
from infra.local.moto_patches import DYNAMODB_LOCK

HERE = Path(__file__).resolve().parent


@pytest.fixture
def table() -> Iterator[Any]:
    moto_patches.apply()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield ddb


def test_apply_is_idempotent() -> None:
    moto_patches.apply()
    from moto.dynamodb.models import DynamoDBBackend

    first = DynamoDBBackend.transact_write_items
    moto_patches.apply()
    assert DynamoDBBackend.transact_write_items is first
    assert moto_patches.is_applied()


def test_transactions_behave_exactly_like_unpatched_moto() -> None:
    """Every scenario (cancel, ALL_OLD, validation errors, success) gives moto's own answer."""
    script = str(HERE / "transact_scenarios.py")
    runs = {
        mode: subprocess.Popen([sys.executable, script, mode], stdout=subprocess.PIPE, text=True)
        for mode in ("patched", "original")
    }
    outputs = {mode: json.loads(proc.communicate(timeout=120)[0]) for mode, proc in runs.items()}
    assert outputs["patched"] == outputs["original"]
    cancelled = outputs["patched"]["cancel_restores_every_touched_item"]
    assert cancelled["error"] == "TransactionCanceledException"
    assert [r["Code"] for r in cancelled["reasons"]] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert cancelled["reasons"][3]["Item"]["v"] == {"N": "2"}  # ALL_OLD
    assert len(cancelled["items"]) == 3  # nothing written, nothing deleted


def test_queries_return_exactly_what_moto_returns() -> None:
    """Queries start from the partition's candidates; results must equal moto's full-scan answer."""
    script = str(HERE / "query_scenarios.py")
    runs = {
        mode: subprocess.Popen([sys.executable, script, mode], stdout=subprocess.PIPE, text=True)
        for mode in ("patched", "original")
    }
    outputs = {mode: json.loads(proc.communicate(timeout=120)[0]) for mode, proc in runs.items()}
    assert outputs["patched"] == outputs["original"]
    counts = [[sum(page["Count"] for page in query) for query in round_] for round_ in outputs["patched"]]
    assert len({tuple(c) for c in counts}) > 1  # the writes between rounds changed the answers


def test_10_queries_start_from_the_partition_instead_of_scanning_the_table(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto answers a Query by walking every item of the table; patched, it walks the items of the
    requested partition only (of the table or of an index), kept up to date on every write. How
    fast: `make bench BENCH=local_cloud`."""
    from moto.dynamodb.models.table import Table

    table.create_table(
        TableName="g",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(40):
        table.put_item(TableName="g", Item={"pk": {"S": f"p{i}"}, "g": {"S": f"g{i % 4}"}})
        table.put_item(TableName="t", Item={"pk": {"S": f"p{i % 4}"}, "sk": {"S": f"s{i:02d}"}})

    def by_g(value: str) -> set[str]:
        items = table.query(
            TableName="g",
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": value}},
        )["Items"]
        return {item["pk"]["S"] for item in items}

    assert len(by_g("g1")) == 10  # the first index query builds the partition map (one walk)

    def no_scan(self: Any) -> Any:
        raise AssertionError(f"a query walked every item of {self.name}")

    monkeypatch.setattr(Table, "all_items", no_scan)
    table.put_item(TableName="g", Item={"pk": {"S": "new"}, "g": {"S": "g1"}})
    table.update_item(
        TableName="g",
        Key={"pk": {"S": "p1"}},
        UpdateExpression="SET g = :g",
        ExpressionAttributeValues={":g": {"S": "g2"}},
    )
    table.delete_item(TableName="g", Key={"pk": {"S": "p5"}})
    assert by_g("g1") == {f"p{i}" for i in range(1, 40, 4)} - {"p1", "p5"} | {"new"}
    assert "p1" in by_g("g2")
    base = table.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p3"}}
    )["Items"]
    assert [item["sk"]["S"] for item in base] == [f"s{i:02d}" for i in range(3, 40, 4)]


def test_validation_error_mid_transaction_restores_earlier_writes(table: Any) -> None:
    table.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as raised:
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": "5"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "ConditionExpression": "n = :x",
                        "ExpressionAttributeValues": {":x": {"N": "99"}},
                    }
                },
            ]
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"  # same item twice
    items = table.scan(TableName="t")["Items"]
    assert items == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}}]


def test_conditional_put_is_atomic_under_threads(table: Any) -> None:
    winners: list[int] = []
    errors: list[str] = []
    barrier = threading.Barrier(8)

    def claim(worker: int) -> None:
        barrier.wait()
        try:
            table.put_item(
                TableName="t",
                Item={"pk": {"S": "lock"}, "sk": {"S": "x"}, "owner": {"N": str(worker)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            winners.append(worker)
        except ClientError as exc:
            errors.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert errors == ["ConditionalCheckFailedException"] * 7


def test_guarded_counter_never_exceeds_its_limit_under_threads(table: Any) -> None:
    table.put_item(TableName="t", Item={"pk": {"S": "stock"}, "sk": {"S": "x"}, "reserved": {"N": "0"}})
    granted = []

    def reserve() -> None:
        for _ in range(10):
            try:
                table.update_item(
                    TableName="t",
                    Key={"pk": {"S": "stock"}, "sk": {"S": "x"}},
                    UpdateExpression="ADD reserved :one",
                    ConditionExpression="reserved < :limit",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": "25"}},
                )
                granted.append(1)
            except ClientError:
                pass

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    item = table.get_item(TableName="t", Key={"pk": {"S": "stock"}, "sk": {"S": "x"}})["Item"]
    assert item["reserved"] == {"N": "25"}
    assert len(granted) == 25


def test_change_counter_moves_on_writes_only(table: Any) -> None:
    before = moto_patches.change_counter()
    table.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert moto_patches.change_counter() == before
    table.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert moto_patches.change_counter() > before


def test_transactions_never_copy_whole_tables(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    from moto.dynamodb.models.table import Table

    original = copy.deepcopy

    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        assert not isinstance(value, Table), "a whole table was deep-copied"
        return original(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", guarded)
    with pytest.raises(ClientError):
        table.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}}}},
                {
                    "ConditionCheck": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "2"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert table.scan(TableName="t")["Items"] == []


def test_sqs_send_and_delete_race_loses_nothing() -> None:
    moto_patches.apply()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="race")["QueueUrl"]
        sent = 120
        stop = threading.Event()
        received: set[str] = set()

        deadline = time.monotonic() + 20

        def consume() -> None:
            while (not stop.is_set() or len(received) < sent) and time.monotonic() < deadline:
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                for message in messages:
                    received.add(message["Body"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if not messages:
                    time.sleep(0.005)

        consumer = threading.Thread(target=consume)
        consumer.start()
        for i in range(sent):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
        stop.set()
        consumer.join(timeout=30)
        assert received == {str(i) for i in range(sent)}


def test_cloudformation_state_machine_is_express_and_executes() -> None:
    moto_patches.apply()
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Result": {"queue": "${Url}"}, "End": True}},
    }
    template = {
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue"},
            "M": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineType": "EXPRESS",
                    "Definition": definition,
                    "DefinitionSubstitutions": {"Url": {"Ref": "Q"}},
                    "RoleArn": "arn:aws:iam::123456789012:role/x",
                },
            },
        }
    }
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        cf = boto3.client("cloudformation", region_name="us-east-1")
        cf.create_stack(StackName="s", TemplateBody=json.dumps(template))
        resources = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cf.describe_stack_resources(StackName="s")["StackResources"]
        }
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        described = sfn.describe_state_machine(stateMachineArn=resources["M"])
        assert described["type"] == "EXPRESS"
        assert resources["Q"] in described["definition"]
        arn = sfn.start_execution(stateMachineArn=resources["M"], name="one")["executionArn"]
        deadline = time.monotonic() + 5
        while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert status == "SUCCEEDED"
        output = json.loads(sfn.describe_execution(executionArn=arn)["output"])
        assert output == {"queue": resources["Q"]}


# ------------------------------------------------------------------ the pin
def test_apply_refuses_a_moto_other_than_the_pinned_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    moto_patches.check_moto_version(moto_patches.PINNED_MOTO_VERSION)
    with pytest.raises(moto_patches.MotoVersionMismatch, match=r"written for moto 5\.2\.5, but moto 5\.3\.0"):
        moto_patches.check_moto_version("5.3.0")
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "9.9.9" if name == "moto" else real_version(name)
    )
    monkeypatch.setattr(moto_patches._State, "applied", False)  # as in a fresh process
    with pytest.raises(moto_patches.MotoVersionMismatch, match=r"9\.9\.9"):
        moto_patches.apply()  # refused before patching anything


def test_the_pinned_moto_is_the_one_pyproject_installs() -> None:
    import importlib.metadata

    pyproject = (HERE.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    pin = re.search(r'"moto\[[^\]]*\]==([0-9.]+)"', pyproject)
    assert pin is not None, "pyproject.toml must pin moto exactly"
    assert pin.group(1) == moto_patches.PINNED_MOTO_VERSION == importlib.metadata.version("moto")


# ------------------------------------------------------------------ one test per remaining patch
def test_1_every_dynamodb_request_runs_under_the_lock(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    held: list[tuple[str, bool]] = []

    def spy_on(name: str) -> None:
        original = getattr(Table, name)

        def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
            held.append((name, DYNAMODB_LOCK._is_owned()))  # type: ignore[attr-defined]
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Table, name, spy)

    for name in ("put_item", "get_item", "query", "scan"):
        spy_on(name)
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    table.put_item(TableName="t", Item=key, ConditionExpression="attribute_not_exists(pk)")
    table.get_item(TableName="t", Key=key)
    table.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}})
    table.scan(TableName="t")
    assert {name for name, _ in held} == {"put_item", "get_item", "query", "scan"}
    assert all(owned for _, owned in held), held


def test_4_state_machine_tasks_reuse_one_client_aimed_at_the_application_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_patches.apply()
    from moto.core.models import botocore_stubber
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
        state_task_service_sqs,
    )
    from moto.stepfunctions.parser.asl.utils import boto_client

    monkeypatch.setattr(botocore_stubber, "enabled", False)  # as under the local cloud's server
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4599")
    first = boto_client.boto_client_for("us-east-1", "sqs")
    assert boto_client.boto_client_for("us-east-1", "sqs") is first  # cached, not one per task
    assert first.meta.endpoint_url == "http://127.0.0.1:4599"
    for module in (lambda_eval_utils, state_task_service_dynamodb, state_task_service_sqs):
        assert module.boto_client_for is boto_client.boto_client_for  # type: ignore[attr-defined]


def test_5_an_sqs_delete_holds_the_queue_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race itself (test_sqs_send_and_delete_race_loses_nothing) needs luck to show; this
    checks its cause: delete_message rebuilds the message list under the lock add_message takes."""
    moto_patches.apply()
    from moto.sqs.models import Message, sqs_backends

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="locked")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]
        queue = sqs_backends["123456789012"]["us-east-1"].queues["locked"]
        held: list[bool] = []
        original = Message.had_receipt_handle

        def spy(self: Any, receipt_handle: str) -> bool:
            held.append(queue._messages_lock._is_owned())
            return bool(original(self, receipt_handle))

        monkeypatch.setattr(Message, "had_receipt_handle", spy)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert held and all(held)


def test_6_a_state_machine_definition_is_parsed_once_and_shared_ready() -> None:
    moto_patches.apply()
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Comment": "6", "End": True}}})
    worker: Any = SimpleNamespace(
        _evaluation_details=SimpleNamespace(state_machine_details=SimpleNamespace(definition=definition))
    )
    program = ExecutionWorker._get_evaluation_entrypoint(worker)
    assert ExecutionWorker._get_evaluation_entrypoint(worker) is program
    # heap keys are assigned lazily on first use: fixed up front, concurrent executions agree
    assert isinstance(program, EvalComponent)
    assert program._EvalComponent__heap_key is not None  # type: ignore[attr-defined]


def test_7_jsonpath_expressions_are_parsed_once() -> None:
    moto_patches.apply()
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    for module in (json_path, result_path):
        assert module.parse("$.order.lines[0]") is module.parse("$.order.lines[0]")  # type: ignore[attr-defined]


def test_8_the_server_routes_each_host_once(monkeypatch: pytest.MonkeyPatch) -> None:
    moto_patches.apply()
    from moto.moto_server import werkzeug_app

    app = werkzeug_app.DomainDispatcherApplication(create_app=lambda service: None)  # type: ignore[arg-type,return-value]
    host = "sqs.ap-southeast-2.amazonaws.com"
    assert app.get_backend_for_host(host) == "sqs"

    def route_again() -> Any:
        raise AssertionError("the host was routed again")

    monkeypatch.setattr(werkzeug_app.backends, "list_of_moto_modules", route_again)
    assert app.get_backend_for_host(host) == "sqs"


def test_9_the_server_sends_small_responses_without_waiting_for_an_ack() -> None:
    import socketserver

    moto_patches.apply()
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    # socketserver.StreamRequestHandler.setup() sets TCP_NODELAY on the connection when this is true
    assert issubclass(MotoRequestHandler, socketserver.StreamRequestHandler)
    assert MotoRequestHandler.disable_nagle_algorithm is True


def test_11_item_operations_answer_without_the_generic_serializer(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.responses import BaseResponse

    def generic(self: Any, action_result: Any) -> Any:
        raise AssertionError("an item operation went through the generic serializer")

    monkeypatch.setattr(BaseResponse, "serialized", generic)
    item = {
        "pk": {"S": "a"},
        "sk": {"S": "1"},
        "bin": {"B": b"\x00\xffcirrus"},
        "n": {"N": "7"},
        "nested": {"M": {"list": {"L": [{"BOOL": True}, {"NULL": True}, {"SS": ["x", "y"]}]}}},
    }
    table.put_item(TableName="t", Item=item)
    assert table.get_item(TableName="t", Key={"pk": item["pk"], "sk": item["sk"]})["Item"] == item
    queried = table.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}
    )
    assert queried["Count"] == 1 and queried["Items"] == [item]


def test_12_an_asynchronous_lambda_invoke_returns_before_the_function_ends() -> None:
    moto_patches.apply()
    from moto.awslambda.models import LambdaFunction

    class Function:
        function_name = "slow"

        def __init__(self) -> None:
            self.events: list[Any] = []
            self.release = threading.Event()
            self.finished = threading.Event()

        def _invoke_lambda(self, event: Any = None) -> tuple[str, bool, str]:
            self.events.append(event)
            self.release.wait(30)
            self.finished.set()
            return json.dumps({"ok": True}), False, ""

    function = Function()
    answers: list[Any] = []
    caller = threading.Thread(
        target=lambda: answers.append(
            LambdaFunction.invoke(function, '{"n": 1}', {"x-amz-invocation-type": "Event"}, {})  # type: ignore[arg-type]
        )
    )
    try:
        caller.start()
        caller.join(timeout=20)  # a guard against a hang, not a speed check
        assert answers == [""] and not function.finished.is_set()  # answered while still running
    finally:
        function.release.set()
    assert function.finished.wait(20) and function.events == [{"n": 1}]
    caller.join()
    function.release.set()
    sync = LambdaFunction.invoke(function, '{"n": 2}', {"x-amz-invocation-type": "RequestResponse"}, {})  # type: ignore[arg-type]
    assert json.loads(sync) == {"ok": True} and function.events[-1] == {"n": 2}
