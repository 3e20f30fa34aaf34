"""The local cloud's fault plan: settings, decisions, and each hook doing what AWS would do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local import chaos
from infra.local.chaos import ChaosSpec
from infra.local.lambda_runtime import FunctionRuntime
from infra.local.pollers import QueuePoller
from infra.local.testing import deployed_template

from .conftest import FIXTURE_APP


@pytest.fixture(autouse=True)
def _no_plan_left_behind() -> Iterator[None]:
    yield
    chaos.configure(None)


# ---------------------------------------------------------------------- settings
def test_a_spec_reads_shares_percentages_aliases_and_flags() -> None:
    spec = ChaosSpec.parse("lambda=0.1, ddb_throttle=5%, sqs=0.2, seed=7, paused")
    assert (spec.lambda_share, spec.ddb_throttle, spec.sqs_redeliver, spec.seed) == (0.1, 0.05, 0.2, 7)
    assert spec.paused and spec.enabled and spec.lambda_after == 0.5
    every = ChaosSpec.parse("all=0.1")
    assert every.lambda_share == every.ddb_throttle == every.sqs_redeliver == 0.1
    assert not ChaosSpec.parse("seed=3").enabled


@pytest.mark.parametrize(
    ("text", "problem"),
    [("lambda=2", "between 0 and 1"), ("dynamo=0.1", "unknown setting"), ("lambda", "name=value"),
     ("sqs=lots", "not a share"), ("seed=x", "integer")],
)  # fmt: skip
def test_a_bad_spec_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ChaosSpec.parse(text)


def test_no_spec_or_an_empty_one_means_no_plan() -> None:
    assert chaos.configure(None) is None and chaos.configure("") is None
    assert chaos.configure("seed=1") is None and chaos.current() is None


# ---------------------------------------------------------------------- decisions
def test_one_seed_gives_one_sequence_of_decisions_per_kind() -> None:
    def decisions(spec: str) -> list[Any]:
        plan = chaos.ChaosPlan(ChaosSpec.parse(spec))
        return [plan.lambda_fault("Fn") for _ in range(200)]

    first = decisions("lambda=0.3,seed=11")
    assert first == decisions("lambda=0.3,seed=11") != decisions("lambda=0.3,seed=12")
    # the other kinds draw from their own generators: more of them does not move lambda's
    plan = chaos.ChaosPlan(ChaosSpec.parse("lambda=0.3,sqs=0.5,seed=11"))
    mixed = []
    for n in range(200):
        plan.redeliver("Q", f"m{n}")
        mixed.append(plan.lambda_fault("Fn"))
    assert mixed == first
    faults = [f for f in first if f]
    assert 30 < len(faults) < 90 and {"before", "after"} == set(faults)
    assert sum(plan.injected[k] for k in ("lambda_before", "lambda_after")) == len(faults)


def test_a_paused_plan_injects_nothing_until_switched_on() -> None:
    plan = chaos.ChaosPlan(ChaosSpec.parse("all=1,paused"))
    assert (
        plan.lambda_fault("Fn") is None
        and not plan.redeliver("Q", "m")
        and not plan.throttle("F:1", "PutItem")
    )
    plan.set_active(True)
    assert (
        plan.lambda_fault("Fn") is not None and plan.redeliver("Q", "m") and plan.throttle("F:1", "PutItem")
    )
    assert plan.ledger("m") == ["sqs_redeliver"]


def test_only_data_plane_calls_from_a_function_are_throttled() -> None:
    plan = chaos.ChaosPlan(ChaosSpec.parse("ddb=1"))
    assert not plan.throttle(None, "GetItem")  # not from a function
    assert not plan.throttle("Fn:req", "CreateTable")
    assert plan.throttle("Fn:req", "GetItem") and plan.throttles_in("req") == 1


# ---------------------------------------------------------------------- hooks
def _function(tmp_path: Path) -> FunctionRuntime:
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(
        "import pathlib\n"
        "def handler(event, context):\n"
        "    pathlib.Path(event['mark']).write_text('ran')\n"
        "    return {'ok': True}\n",
        encoding="utf-8",
    )
    return FunctionRuntime(
        logical_id="MarkFunction",
        function_name="stack-mark",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:stack-mark",
        code_dir=code,
        handler="app.handler",
    )


@pytest.mark.parametrize(("after", "ran"), [(0.0, False), (1.0, True)])
def test_a_failed_invocation_looks_like_a_lambda_service_error(
    tmp_path: Path, after: float, ran: bool
) -> None:
    runtime = _function(tmp_path)
    chaos.configure(ChaosSpec(lambda_share=1.0, lambda_after=after))
    mark = tmp_path / "mark"
    outcome = runtime.invoke({"mark": str(mark)})
    assert outcome.errored and outcome.error_type == "Lambda.ServiceException"
    assert outcome.injected == ("after" if ran else "before")
    assert mark.exists() is ran  # after: the handler's effects stay, only its answer is lost
    chaos.current().set_active(False)  # type: ignore[union-attr]
    assert runtime.invoke({"mark": str(mark)}).payload == {"ok": True}


def test_dynamodb_throttles_only_a_functions_calls_and_botocore_retries_them() -> None:
    from moto import mock_aws

    with mock_aws():
        client = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        )
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        plan = chaos.configure(ChaosSpec(ddb_throttle=1.0), speed=1000)  # backoff 1000x shorter
        assert plan is not None
        client.put_item(TableName="t", Item={"pk": {"S": "outside"}})  # the test itself: never
        with chaos.invocation("Fn", "req-1"), pytest.raises(ClientError) as raised:
            client.put_item(TableName="t", Item={"pk": {"S": "inside"}})
        assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        assert plan.throttles_in("req-1") == 3  # every attempt botocore made was throttled
        chaos.configure(ChaosSpec(ddb_throttle=0.3, seed=1), speed=1000)
        patient = boto3.client(
            "dynamodb",
            region_name="us-east-1",
            config=Config(retries={"mode": "standard", "total_max_attempts": 10}),
        )
        with chaos.invocation("Fn", "req-2"):
            for n in range(20):  # a third of the attempts throttled: the retries get every call through
                patient.put_item(TableName="t", Item={"pk": {"S": f"item-{n}"}})
        assert chaos.current().throttles_in("req-2") > 0  # type: ignore[union-attr]
        assert client.scan(TableName="t")["Count"] == 21


@pytest.fixture
def stack() -> Iterator[Any]:
    with deployed_template(FIXTURE_APP, stack_name="chaos") as deployed:
        yield deployed


def _worker(stack: Any) -> QueuePoller:
    (source,) = stack.functions["WorkerFunction"].queues
    return QueuePoller(source, stack.invoke, wait_seconds=0)


def _attempts(stack: Any) -> dict[str, int]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(stack["RecordsTable"])
    items = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": "seen"})["Items"]
    return {item["sk"]: int(item["attempts"]) for item in items}


def test_a_processed_message_is_redelivered_and_the_ledger_says_why(stack: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    message_id = sqs.send_message(QueueUrl=stack["WorkQueue"], MessageBody=json.dumps({"id": 1}))["MessageId"]
    plan = chaos.configure(ChaosSpec(sqs_redeliver=1.0))
    assert plan is not None
    poller = _worker(stack)
    poller.poll_once()
    assert _attempts(stack) == {"1": 1} and poller.redelivered == 1
    sqs.change_message_visibility(  # as the visibility timeout would, later
        QueueUrl=stack["WorkQueue"], ReceiptHandle=_handle(sqs, stack), VisibilityTimeout=0
    )
    plan.set_active(False)
    poller.poll_once()
    assert _attempts(stack) == {"1": 2}  # processed twice: at-least-once delivery
    assert plan.ledger(message_id) == ["sqs_redeliver"]


def _handle(sqs: Any, stack: Any) -> str:
    # the message is in flight; make it visible by receiving it once more with visibility 0
    from moto.sqs.models import sqs_backends

    queue = sqs_backends["123456789012"]["us-east-1"].queues[stack["WorkQueue"].rsplit("/", 1)[-1]]
    return str(queue._messages[0].receipt_handle)


def test_a_failed_invocation_is_in_the_ledger_of_each_message(stack: Any) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    ids = [
        sqs.send_message(QueueUrl=stack["WorkQueue"], MessageBody=json.dumps({"id": n}))["MessageId"]
        for n in (1, 2)
    ]
    plan = chaos.configure(ChaosSpec(lambda_share=1.0, lambda_after=0.0))
    assert plan is not None
    deleted, failed = _worker(stack).poll_once()
    assert deleted == [] and sorted(failed) == sorted(ids)
    assert _attempts(stack) == {}  # failed before the handler ran
    assert [plan.ledger(i) for i in ids] == [["lambda_before"], ["lambda_before"]]
