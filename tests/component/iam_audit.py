"""moto evaluates no IAM, so the component tier does: every AWS call a function makes is checked
against that function's execution role as deployed.

While :func:`enforced` is active, each call the application's code makes inside a function (the
local Lambda runtime says which function runs on the thread) is turned into the IAM action(s) and
resource ARN(s) AWS would authorise it as, and looked up in the inline policies of the function's
role, read back from moto's IAM (so the template's intrinsics are resolved exactly as deployed).
A call the role does not allow fails the test module, naming the function, the action, the
resource and the line of code that made it. Calls the test code makes itself, and calls moto makes
internally (a state machine's service integrations), are not the functions' and are not checked.

Only Allow statements are evaluated (the template has no Deny in identity policies, no
NotAction/NotResource, and its conditions are checked offline by
tests/contract/test_least_privilege.py). A call made from a thread the handler starts itself is
attributed to the function only if that thread runs in a copy of the invocation's context (the
webhook dispatcher's record pool does). Services not mapped in `required` are checked by action
alone.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_APP_CODE = ("/layers/oms/oms/", "/functions/")
_LIBRARIES = ("/botocore/", "/boto3/", "/pynamodb/")
_IAM_PREFIX = {"monitoring": "cloudwatch"}  # botocore signing name -> IAM service prefix
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


@dataclass(frozen=True)
class Call:
    function: str  # logical id
    action: str  # e.g. dynamodb:Query
    resource: str | None  # ARN; None when the action is not resource-scoped here
    where: str  # file:line of the application code that made the call


def required(
    service: str, operation: str, params: dict[str, Any], region: str, account: str
) -> list[tuple[str, str | None]]:
    """The (IAM action, resource ARN) pairs AWS authorises one API call as."""
    prefix = _IAM_PREFIX.get(service, service)

    def arn(rest: str) -> str:
        return f"arn:aws:{prefix}:{region}:{account}:{rest}"

    if prefix == "dynamodb":

        def table(name: str, index: str | None = None) -> str:
            return arn(f"table/{name}" + (f"/index/{index}" if index else ""))

        if operation == "TransactWriteItems":  # authorised item by item, as the single-item actions
            return [
                (f"dynamodb:{_TRANSACT[kind]}", table(body["TableName"]))
                for item in params.get("TransactItems", [])
                for kind, body in item.items()
            ]
        if operation == "TransactGetItems":
            return [
                ("dynamodb:GetItem", table(body["TableName"]))
                for item in params.get("TransactItems", [])
                for body in item.values()
            ]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", {})]
        return [(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")))]
    if prefix == "sqs":
        queue_account, name = str(params["QueueUrl"]).rstrip("/").split("/")[-2:]
        return [
            (f"sqs:{_SQS_BATCH.get(operation, operation)}", f"arn:aws:sqs:{region}:{queue_account}:{name}")
        ]
    if prefix == "states":
        return [(f"states:{operation}", params.get("stateMachineArn") or params.get("executionArn"))]
    if prefix == "lambda":
        name = str(params["FunctionName"])
        action = "InvokeFunction" if operation in ("Invoke", "InvokeAsync") else operation
        return [(f"lambda:{action}", name if name.startswith("arn:") else arn(f"function:{name}"))]
    if prefix == "ssm" and "Name" in params:
        name = str(params["Name"])
        return [
            (f"ssm:{operation}", arn(f"parameter{name}" if name.startswith("/") else f"parameter/{name}"))
        ]
    if prefix == "events" and "Name" in params:
        return [(f"events:{operation}", arn(f"rule/{params['Name']}"))]
    return [(f"{prefix}:{operation}", None)]  # not mapped: the action must be allowed somewhere


# ----------------------------------------------------------------------------- policies


def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = re.escape(text).replace(r"\*", ".*").replace(r"\?", ".")
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def allows(statements: list[dict[str, Any]], action: str, resource: str | None) -> bool:
    for st in statements:
        if not isinstance(st, dict):
            continue  # a conditional statement switched off (AWS::NoValue, which moto keeps as None)
        if st.get("Effect") != "Allow" or "NotAction" in st or "NotResource" in st:
            continue
        if not any(_pattern(a, ignore_case=True).match(action) for a in _as_list(st.get("Action"))):
            continue
        if resource is None or any(
            _pattern(r, ignore_case=False).match(resource) for r in _as_list(st.get("Resource"))
        ):
            return True
    return False


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        return dict(json.loads(raw))
    except ValueError:
        return dict(ast.literal_eval(raw))  # moto keeps CloudFormation-made policies as a repr


def role_statements(stack: Any) -> dict[str, list[dict[str, Any]]]:
    """Function logical id -> the Allow statements of its execution role, as deployed in moto."""
    import boto3

    lam, iam = boto3.client("lambda", region_name=stack.region), boto3.client("iam", region_name=stack.region)
    found: dict[str, list[dict[str, Any]]] = {}
    for logical_id, info in stack.functions.items():
        role = lam.get_function(FunctionName=info.name)["Configuration"]["Role"].rsplit("/", 1)[-1]
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        assert not attached, f"{logical_id}: managed policies are not audited here: {attached}"
        statements: list[dict[str, Any]] = []
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            doc = _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
            statements += [doc["Statement"]] if isinstance(doc["Statement"], dict) else doc["Statement"]
        found[logical_id] = statements
    return found


# ----------------------------------------------------------------------------- recording


def _app_frame() -> str | None:
    """file:line of the application code that made the current AWS call, if it was app code."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name != __file__ and not any(lib in name for lib in _LIBRARIES):
            if any(part in name for part in _APP_CODE):
                return f"{name.split('/layers/oms/')[-1].split('/functions/')[-1]}:{frame.f_lineno}"
            return None  # test code or moto itself
        frame = frame.f_back
    return None


class Recorder:
    def __init__(self, account: str) -> None:
        self.account = account
        self.calls: set[Call] = set()
        self._lock = threading.Lock()

    def record(self, service: str, operation: str, params: dict[str, Any], region: str) -> None:
        from infra.local.lambda_runtime import current_function

        function = current_function()
        if function is None:
            return
        where = _app_frame()
        if where is None:
            return
        needed = required(service, operation, params, region, self.account)
        with self._lock:
            self.calls.update(Call(function, action, resource, where) for action, resource in needed)


@contextlib.contextmanager
def recording(account: str) -> Iterator[Recorder]:
    import botocore.client
    from pynamodb.connection import base

    recorder = Recorder(account)
    client_class, pynamo_class = botocore.client.BaseClient, base.Connection
    client_call, pynamo_call = client_class._make_api_call, pynamo_class._make_api_call  # type: ignore[attr-defined]

    def audited_client_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        model = self.meta.service_model
        recorder.record(
            model.signing_name or model.service_name, operation_name, api_params, self.meta.region_name
        )
        return client_call(self, operation_name, api_params)

    def audited_pynamo_call(self: Any, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        recorder.record("dynamodb", operation_name, operation_kwargs, self.region)
        return pynamo_call(self, operation_name, operation_kwargs)

    setattr(client_class, "_make_api_call", audited_client_call)  # noqa: B010
    setattr(pynamo_class, "_make_api_call", audited_pynamo_call)  # noqa: B010
    try:
        yield recorder
    finally:
        setattr(client_class, "_make_api_call", client_call)  # noqa: B010
        setattr(pynamo_class, "_make_api_call", pynamo_call)  # noqa: B010


def denied(recorder: Recorder, statements: dict[str, list[dict[str, Any]]]) -> list[Call]:
    return sorted(
        (c for c in recorder.calls if not allows(statements.get(c.function, []), c.action, c.resource)),
        key=lambda c: (c.function, c.action, c.resource or "", c.where),
    )


@contextlib.contextmanager
def enforced(stack: Any) -> Iterator[Recorder]:
    """Record while the block runs; then fail if a function made a call its role does not allow."""
    statements = role_statements(stack)
    with recording(stack.account_id) as recorder:
        yield recorder
    problems = denied(recorder, statements)
    assert not problems, (
        "calls the execution role does not allow (moto would have let them through):\n"
        + "\n".join(
            f"  {c.function}: {c.action} on {c.resource or '(any resource)'} from {c.where}" for c in problems
        )
    )
