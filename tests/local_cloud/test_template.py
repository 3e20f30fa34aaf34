"""The template becomes moto resources or locally served ones - nothing silently dropped."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from infra.local.template_loader import (
    LOCALLY_SERVED_TYPES,
    PreparedTemplate,
    iter_references,
    load_template,
    parse_template_file,
    plan_deployment,
)
from infra.local.testing import deployed_template

from .conftest import FIXTURE_APP, REPO_ROOT

# access policies are accepted but not enforced (moto evaluates no IAM; the contract tier lints them)
LOCAL_SERVICES = {
    "HTTP gateway",
    "queue poller",
    "schedule ticker",
    "not enforced locally",
    "email identity verified",
}


@pytest.fixture(scope="module")
def real_stack() -> Any:
    with deployed_template(REPO_ROOT) as stack:
        yield stack


def _served_locally(served_by: str) -> bool:
    return any(served_by.startswith(service) for service in LOCAL_SERVICES)


def test_every_resource_of_the_real_template_is_created_or_served_locally(real_stack: Any) -> None:
    prepared = load_template(REPO_ROOT)
    assert set(real_stack.resources) == set(prepared.cfn_template["Resources"])
    for logical_id, resource in real_stack.resources.items():
        if resource.served_by == "moto":
            assert resource.physical_id, logical_id
        else:
            assert _served_locally(resource.served_by), (logical_id, resource.served_by, resource.note)


def test_every_sam_resource_is_represented(real_stack: Any) -> None:
    sam = parse_template_file(REPO_ROOT / "template.yaml")
    for logical_id in sam["Resources"]:
        # SAM keeps logical ids (layers get a content hash suffix)
        assert any(rid == logical_id or rid.startswith(logical_id) for rid in real_stack.resources), (
            logical_id
        )


def test_functions_are_described_with_code_handler_environment(real_stack: Any) -> None:
    sam = parse_template_file(REPO_ROOT / "template.yaml")
    sam_functions = {k for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(real_stack.functions) == sam_functions
    for logical_id, info in real_stack.functions.items():
        props = sam["Resources"][logical_id]["Properties"]
        assert info.code_uri == props["CodeUri"].rstrip("/")
        assert info.handler == props["Handler"]
        # !Ref values are resolved to the physical names moto created
        for name, value in info.environment.items():
            assert "Ref" not in value and "${" not in value, (name, value)
    env = real_stack.environment
    assert env["ORDERS_TABLE"] == real_stack["OrdersTable"]
    # the exceptions consumer (ADR 0033): its queue, partial batch responses
    (exceptions,) = real_stack.functions["ExceptionsFunction"].queues
    assert exceptions.queue_url == real_stack["ExceptionsQueue"] and exceptions.reports_batch_item_failures
    assert env["EXCEPTIONS_QUEUE_URL"] == real_stack["ExceptionsQueue"]
    # SES feedback (ADR 0036): the consumer of EmailFeedbackQueue, partial batch responses
    (feedback,) = real_stack.functions["EmailFeedbackFunction"].queues
    assert feedback.queue_url == real_stack["EmailFeedbackQueue"] and feedback.reports_batch_item_failures
    assert env["SES_CONFIGURATION_SET"].endswith("-email") and "@" in env["SES_SENDER_ADDRESS"]
    # workflow actions (ADR 0035): the consumer of ActionsQueue, fed by the outbox publisher
    (actions,) = real_stack.functions["ActionsFunction"].queues
    assert actions.queue_url == real_stack["ActionsQueue"] and actions.reports_batch_item_failures
    publisher = real_stack.functions["EventPublisherFunction"].environment
    assert publisher["ACTIONS_QUEUE_URL"] == real_stack["ActionsQueue"]
    # stock alerts (ADR 0039): the inventory stream's consumer (stock items only), bisecting and
    # parking a batch it gave up on in the stream dead-letter queue; its events go to WebhookQueue
    (stock,) = real_stack.functions["StockAlertsFunction"].streams
    assert stock.table == "InventoryTable" and stock.reports_batch_item_failures and stock.bisect_on_error
    assert stock.on_failure_arn == real_stack.arn("PublisherDeadLetterQueue") and len(stock.filters) == 1
    alerts_env = real_stack.functions["StockAlertsFunction"].environment
    assert alerts_env["WEBHOOK_QUEUE_URL"] == real_stack["WebhookQueue"]
    assert env["FULFILMENT_STATE_MACHINE_ARN"] == real_stack["FulfilmentStateMachine"]


def test_state_machine_gets_its_substitutions_and_runs_as_express(real_stack: Any) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    described = sfn.describe_state_machine(stateMachineArn=real_stack["FulfilmentStateMachine"])
    assert described["type"] == "EXPRESS"
    definition = described["definition"]
    assert "${" not in definition
    assert real_stack.arn("FulfilmentTaskFunction") in definition
    assert real_stack["WarehouseQueue"] in definition
    assert real_stack["CarrierQueue"] in definition


def test_schedules_and_routes_of_the_real_template(real_stack: Any) -> None:
    schedules = {s.name: s for s in real_stack.schedules}
    assert {s.expression for s in schedules.values()} == {
        "rate(5 minutes)",
        "rate(2 minutes)",
        "rate(10 minutes)",
        "cron(0 0 * * ? *)",
        "rate(1 hour)",  # the learning loop: labels; search index compaction; the stock alert scan
        "rate(4 hours)",  # node metrics
        "cron(15 0 * * ? *)",  # patterns
        "cron(30 0 * * ? *)",  # experiments
        "cron(45 1 * * ? *)",  # the analytics counters' reconcile
        "cron(0 2 * * ? *)",  # Invoice Guard: yesterday's invoices
        "cron(30 2 * * ? *)",  # ... and their validation
        "rate(1 minute)",  # the SLA radar's sweep of its deadline index
        "cron(0 3 * * ? *)",  # the channel stock sync's reconciliation (ADR 0040)
    }  # two jobs run every 5 minutes: reservations and the Amazon poll
    assert {json.loads(s.input)["job"] for s in schedules.values() if s.input} == {
        "reservations",
        "recover_orders",
        "resource_backorders",
        "reset_node_capacity",
        "poll_amazon",
        "label_outcomes",
        "update_node_performance",
        "discover_patterns",
        "evaluate_experiments",
        "compact_search_index",
        "reconcile_analytics",
        "generate_invoices",
        "validate_invoices",
        "sla_sweep",
        "scan_stock_alerts",
        "reconcile_stock",
    }
    routes = {(r.method, r.path, r.function, r.payload_format_version) for r in real_stack.routes}
    assert routes == {
        ("ANY", "/{proxy+}", "ApiFunction", "1.0"),
        ("ANY", "/search/{proxy+}", "SearchFunction", "1.0"),  # the same code, its own instances (ADR 0028)
        # the dashboard (ADR 0027): "/" redirects to "/app/", which serves the single-page app
        ("GET", "/", "DashboardFunction", "2.0"),
        ("GET", "/app", "DashboardFunction", "2.0"),
        ("GET", "/app/{proxy+}", "DashboardFunction", "2.0"),
        ("GET", "/portal", "DashboardFunction", "2.0"),  # the customer portal (ADR 0037)
        ("GET", "/portal/{proxy+}", "DashboardFunction", "2.0"),
    }


def test_outputs_that_need_local_services_are_reported(real_stack: Any) -> None:
    assert "ApiUrl" in real_stack.skipped_outputs
    assert real_stack.outputs["OrdersTableName"] == real_stack["OrdersTable"]


def test_fixture_template_event_sources(fixture_stack: Any) -> None:
    worker = fixture_stack.functions["WorkerFunction"]
    (queue,) = worker.queues
    assert queue.batch_size == 5
    assert queue.reports_batch_item_failures
    assert queue.queue_url == fixture_stack["WorkQueue"]
    strict = fixture_stack.functions["StrictWorkerFunction"]
    assert strict.queues[0].function_response_types == ()
    assert fixture_stack["OrderedQueue"].endswith(".fifo")
    ticks = {s.name: s for s in fixture_stack.functions["TickFunction"].schedules}
    assert ticks["TickFunctionEvery"].expression == "rate(1 minute)"
    assert ticks["TickFunctionEvery"].input == '{"job": "tick"}'
    assert ticks["TickFunctionNightly"].expression == "cron(0 3 * * ? *)"
    assert ticks["TickFunctionNightly"].input is None
    url = fixture_stack.functions["RawFunction"].url
    assert url is not None and url.auth_type == "NONE" and url.path_prefix == "/_fn/RawFunction"
    assert fixture_stack.functions["EchoFunction"].url is None
    raw_routes = {
        (r.method, r.path, r.payload_format_version) for r in fixture_stack.functions["RawFunction"].routes
    }
    assert raw_routes == {("GET", "/raw/{id}", "1.0"), ("ANY", "/v2/{proxy+}", "2.0")}
    assert fixture_stack.apis["FixtureApi"]["cors"]["allowOrigins"] == ["https://app.example.com"]
    assert fixture_stack.unsupported_sources == []
    (stream,) = fixture_stack.functions["AuditFunction"].streams
    assert stream.table == "RecordsTable" and stream.starting_position == "TRIM_HORIZON"
    assert stream.maximum_retry_attempts == 1 and stream.reports_batch_item_failures
    assert stream.on_failure_arn == fixture_stack.arn("AuditFailureQueue")
    assert len(stream.filters) == 1
    # attribute access works too (duck-typed consumers such as the simulator use it)
    assert fixture_stack.WorkQueue == fixture_stack["WorkQueue"]


def test_invoke_runs_the_function_with_layers_and_context(fixture_stack: Any) -> None:
    result = fixture_stack.invoke("TaskFunction", {"mode": "context"})
    assert not result.errored, result.payload
    value = result.payload["value"]
    assert value["function_name"] == fixture_stack["TaskFunction"]
    assert value["memory_limit_in_mb"] == 128
    assert value["invoked_function_arn"] == fixture_stack.arn("TaskFunction")
    assert 0 < value["remaining"] <= 5000
    assert value["layer"] == "shared-layer"


def test_errors_carry_the_exception_class_name(fixture_stack: Any) -> None:
    result = fixture_stack.invoke("TaskFunction", {"mode": "conflict"})
    assert result.errored
    assert result.payload["errorType"] == "StockConflict"
    assert result.payload["errorMessage"] == "someone else took it"
    assert result.payload["stackTrace"] and "functions/task/app.py" in result.payload["stackTrace"][0]
    marshal = fixture_stack.invoke("TaskFunction", {"mode": "decimal"})
    assert marshal.errored and marshal.payload["errorType"] == "Runtime.MarshalError"


def test_lambda_invoke_through_moto_uses_the_in_process_runtime(fixture_stack: Any) -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    ok = client.invoke(FunctionName=fixture_stack["TaskFunction"], Payload=json.dumps({"n": 21}))
    assert json.loads(ok["Payload"].read()) == {"value": 42}
    failed = client.invoke(
        FunctionName=fixture_stack["TaskFunction"], Payload=json.dumps({"mode": "conflict"})
    )
    assert "FunctionError" in failed
    assert json.loads(failed["Payload"].read())["errorType"] == "StockConflict"


def _run_flow(stack: Any, payload: dict[str, Any], name: str) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.start_execution(
        stateMachineArn=stack["FlowStateMachine"], name=name, input=json.dumps(payload)
    )["executionArn"]
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return described


def test_state_machine_task_catches_the_function_error_by_class_name(fixture_stack: Any) -> None:
    caught = _run_flow(fixture_stack, {"mode": "conflict"}, "conflict-1")
    assert caught["status"] == "SUCCEEDED"
    assert json.loads(caught["output"])["outcome"] == "conflict"
    ok = _run_flow(fixture_stack, {"n": 4}, "ok-1")
    assert ok["status"] == "SUCCEEDED"
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages = sqs.receive_message(QueueUrl=fixture_stack["WorkQueue"], MaxNumberOfMessages=10)["Messages"]
    assert any(json.loads(m["Body"]) == {"value": 8} for m in messages)
    for message in messages:
        sqs.delete_message(QueueUrl=fixture_stack["WorkQueue"], ReceiptHandle=message["ReceiptHandle"])


# --------------------------------------------------------------------------- pure planning


def _prepared(resources: dict[str, Any], outputs: dict[str, Any] | None = None) -> PreparedTemplate:
    template: dict[str, Any] = {"Resources": resources}
    if outputs:
        template["Outputs"] = outputs
    return PreparedTemplate(
        repo_root=REPO_ROOT, digest="x", parameters={}, cfn_template=template, code_uris={}, layer_uris={}
    )


def test_plan_drops_glue_of_local_resources_and_orders_creation() -> None:
    prepared = _prepared(
        {
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
            "Perm": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "SourceArn": {"Fn::Sub": "arn:${Api}/*"}},
            },
            "Odd": {"Type": "AWS::Made::Up", "Properties": {}},
            "Fifo": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
        },
        outputs={"Url": {"Value": {"Fn::Sub": "https://${Api}.example"}}, "Name": {"Value": {"Ref": "Fn"}}},
    )
    supported = {"AWS::Lambda::Function", "AWS::IAM::Role", "AWS::Lambda::Permission", "AWS::SQS::Queue"}
    plan = plan_deployment(prepared, supported)
    deployed = plan.deploy_template["Resources"]
    assert set(deployed) == {"Fn", "Role", "Fifo"}
    assert plan.skipped["Api"].served_by == LOCALLY_SERVED_TYPES["AWS::ApiGatewayV2::Api"]
    assert plan.skipped["Perm"].reason == "refers to Api"
    assert plan.skipped["Odd"].served_by is None
    assert deployed["Fn"]["DependsOn"] == ["Role"]
    assert deployed["Fifo"]["Properties"]["QueueName"] == {"Fn::Sub": "${AWS::StackName}-Fifo.fifo"}
    assert set(plan.deploy_template["Outputs"]) == {"Name"}
    assert "Url" in plan.skipped_outputs


def test_references_found_in_every_intrinsic_form() -> None:
    node = {
        "a": {"Ref": "A"},
        "b": {"Fn::GetAtt": ["B", "Arn"]},
        "c": {"Fn::GetAtt": "C.Name"},
        "d": {"Fn::Sub": "x-${D}-${E.Arn}-${!Literal}-${AWS::Region}"},
        "e": {"Fn::Sub": ["${local}-${F}", {"local": {"Ref": "G"}}]},
    }
    refs = set(iter_references(node))
    assert refs == {
        ("A", None),
        ("B", "Arn"),
        ("C", "Name"),
        ("D", None),
        ("E", "Arn"),
        ("AWS::Region", None),
        ("F", None),
        ("G", None),
    }


def _no_transform(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the SAM transform ran again instead of coming from the cache")


def test_transform_is_cached(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded again - from memory, or from the file cache in a new process - the template is not
    transformed again (how fast that is: `make bench BENCH=local_cloud`)."""
    from infra.local import template_loader

    first = load_template(FIXTURE_APP, cache_dir=tmp_path)
    assert list(tmp_path.glob("template-*.json"))
    monkeypatch.setattr(template_loader, "_sam_transform", _no_transform)
    again = load_template(FIXTURE_APP, cache_dir=tmp_path)  # memory
    with template_loader._cache_lock:
        del template_loader._memory_cache[first.digest]  # as a new process would find it
    from_file = load_template(FIXTURE_APP, cache_dir=tmp_path)
    assert again.digest == first.digest == from_file.digest
    assert from_file.cfn_template == first.cfn_template
    monkeypatch.undo()
    assert again.code_uris == {
        "WorkerFunction": "functions/worker",
        "StrictWorkerFunction": "functions/worker",
        "TaskFunction": "functions/task",
        "TickFunction": "functions/task",
        "EchoFunction": "functions/echo",
        "RawFunction": "functions/echo",
        "AuditFunction": "functions/worker",
    }
    assert load_template(FIXTURE_APP, {"Stage": "other"}, cache_dir=tmp_path).digest != first.digest


def test_a_deploy_after_the_first_one_reuses_the_transform(monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.local import template_loader

    with deployed_template(FIXTURE_APP, stack_name="speed-a"):
        pass
    monkeypatch.setattr(template_loader, "_sam_transform", _no_transform)
    with deployed_template(FIXTURE_APP, stack_name="speed-b") as stack:
        assert stack.invoke("TaskFunction", {"n": 21}).payload == {"value": 42}


def test_concurrent_executions_share_the_cached_program_safely(fixture_stack: Any) -> None:
    """The parsed definition is cached and shared: concurrent executions must not mix their data."""
    import concurrent.futures

    def run(i: int) -> tuple[int, dict[str, Any]]:
        payload = {"mode": "conflict"} if i % 3 == 0 else {"n": i}
        return i, _run_flow(fixture_stack, payload, f"parallel-{i}")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(24)))
    for i, described in results:
        assert described["status"] == "SUCCEEDED", described
        output = json.loads(described["output"])
        if i % 3 == 0:
            assert output["outcome"] == "conflict"
        else:
            assert output["result"] == {"value": 2 * i}
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.purge_queue(QueueUrl=fixture_stack["WorkQueue"])


def test_description_is_json_ready(fixture_stack: Any) -> None:
    data = fixture_stack.to_dict()
    assert "invoker" not in data
    assert data["resources"]["RecordsTable"]["physical_id"] == fixture_stack["RecordsTable"]
    assert data["functions"]["WorkerFunction"]["queues"][0]["batch_size"] == 5
    json.dumps(data)
