"""The IAM audit of the component tier (tests/component/iam_audit.py) sees the functions' calls and
would catch a missing grant: moto would not."""

from __future__ import annotations

from typing import Any

from tests.component import iam_audit


def test_calls_map_to_the_actions_and_resources_aws_authorises() -> None:
    region, account = "us-east-1", "123456789012"
    transact = {
        "TransactItems": [
            {"Update": {"TableName": "stock"}},
            {"Put": {"TableName": "orders"}},
            {"ConditionCheck": {"TableName": "orders"}},
        ]
    }
    assert iam_audit.required("dynamodb", "TransactWriteItems", transact, region, account) == [
        ("dynamodb:UpdateItem", "arn:aws:dynamodb:us-east-1:123456789012:table/stock"),
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders"),
        ("dynamodb:ConditionCheckItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders"),
    ]
    assert iam_audit.required(
        "dynamodb", "Query", {"TableName": "t", "IndexName": "by_x"}, region, account
    ) == [("dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/t/index/by_x")]
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/q1"
    assert iam_audit.required("sqs", "SendMessageBatch", {"QueueUrl": url}, region, account) == [
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q1")
    ]
    assert iam_audit.required("ssm", "GetParameter", {"Name": "/a/b"}, region, account) == [
        ("ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/a/b")
    ]
    assert iam_audit.required("lambda", "Invoke", {"FunctionName": "fn"}, region, account) == [
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn")
    ]


def test_statements_are_matched_like_iam() -> None:
    statements = [
        {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": "arn:aws:dynamodb:r:1:table/t/index/*"},
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": ["arn:aws:sqs:r:1:a", "arn:aws:sqs:r:1:b"],
        },
    ]
    assert iam_audit.allows(statements, "dynamodb:query", "arn:aws:dynamodb:r:1:table/t/index/by_x")
    assert not iam_audit.allows(statements, "dynamodb:Query", "arn:aws:dynamodb:r:1:table/t")
    assert iam_audit.allows(statements, "sqs:SendMessage", "arn:aws:sqs:r:1:b")
    assert not iam_audit.allows(statements, "sqs:SendMessage", "arn:aws:sqs:r:1:c")
    assert not iam_audit.allows(statements, "sqs:ReceiveMessage", "arn:aws:sqs:r:1:a")


def test_a_missing_grant_is_reported_with_the_line_that_needs_it(stack: Any, invoke: Any) -> None:
    statements = iam_audit.role_statements(stack)
    integrations = stack.arn("IntegrationsTable")
    # the maintenance role as if it had lost its task-log grant
    statements["MaintenanceFunction"] = [
        s for s in statements["MaintenanceFunction"] if s.get("Resource") != integrations
    ]
    with iam_audit.recording(stack.account_id) as recorder:
        invoke("MaintenanceFunction", {"job": "reset_node_capacity"})
    seen = {(c.function, c.action) for c in recorder.calls}
    assert ("MaintenanceFunction", "dynamodb:Query") in seen  # tenants listed, counters read
    denied = iam_audit.denied(recorder, statements)
    assert [(c.function, c.action, c.resource) for c in denied] == [
        ("MaintenanceFunction", "dynamodb:PutItem", integrations)
    ]
    assert denied[0].where.startswith("oms/data/logs.py:")
    assert iam_audit.denied(recorder, iam_audit.role_statements(stack)) == []
