"""Least privilege in template.yaml, judged on the template as CloudFormation receives it (after the
SAM transform, so policies SAM generates - policy templates, event-source managed policies, the
basic execution role - are judged too).

* No wildcard actions (`dynamodb:*`, `logs:*`, `sqs:SendMessage*`, `*`), no NotAction/NotResource.
* No `Resource: "*"` except for the actions AWS offers no resource-level permission for, each listed
  below with its reason; no account-wide ARN patterns (`...:123456789012:*`, `table/*`).
* No managed policies: every grant is an explicit statement in the template.
* Every function runs as its own role (SAM would silently drop `Policies` beside a `Role`), which
  may write its own log group only, and whose event sources can read their queue or stream.
* Every grant is in the tables below (DynamoDB per table and index, everything else per action), so
  adding or widening one is a conscious change reviewed here. The component tier checks the other
  direction at run time: every call a function makes is allowed by its role (iam_audit.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from cfn_contract import ROOT, load_template

# Actions AWS does not scope to a resource, so Resource "*" is the only way to grant them.
_VENDED_LOGS = (
    "Step Functions log delivery to CloudWatch Logs (vended logs): these Logs APIs have no "
    "resource-level permissions; AWS documents Resource '*' for a state machine's logging role"
)
STAR_RESOURCE_ALLOWED: dict[str, str] = {
    "logs:CreateLogDelivery": _VENDED_LOGS,
    "logs:GetLogDelivery": _VENDED_LOGS,
    "logs:UpdateLogDelivery": _VENDED_LOGS,
    "logs:DeleteLogDelivery": _VENDED_LOGS,
    "logs:ListLogDeliveries": _VENDED_LOGS,
    "logs:PutResourcePolicy": _VENDED_LOGS,
    "logs:DescribeResourcePolicies": _VENDED_LOGS,
    "logs:DescribeLogGroups": _VENDED_LOGS,
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (needed once Tracing is Active)",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions (needed once Tracing is Active)",
    "cloudwatch:PutMetricData": "metrics have no ARN; it must be scoped by a cloudwatch:namespace condition",
}
# ... and the condition key such a grant must carry to be acceptable on "*".
STAR_RESOURCE_CONDITION: dict[str, str] = {"cloudwatch:PutMetricData": "cloudwatch:namespace"}

_FIELD = r"(?:\$\{[^}]*\}|[^:$])*"  # one ARN field, ${...} included
_ARN_PREFIX = re.compile(
    rf"^arn:{_FIELD}:[a-z0-9-]+:{_FIELD}:{_FIELD}:"
)  # partition, service, region, account
_ACCOUNT_WIDE = re.compile(r"^[a-z][A-Za-z-]*[:/]\*$")  # after the prefix: table/*, function:*, log-group:*
OWN_LOG_ACTIONS = frozenset({"logs:CreateLogStream", "logs:PutLogEvents"})
POLLER_ACTIONS = frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"})
STREAM_ACTIONS = frozenset(
    {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
)

# ----------------------------------------------------------------------------- expected grants
# DynamoDB, per function: table (or table/index/<name>, table/stream/*) -> actions. Derived from
# the code each function reaches (functions/<name>/app.py -> oms.services -> oms.data): reads by
# key are GetItem, listings Query (on the index they name), whole-item writes PutItem (alone or in
# a TransactWriteItems, which IAM authorises per item), counters UpdateItem.
DYNAMODB: dict[str, dict[str, set[str]]] = {
    "ApiFunction": {
        "OrdersTable": {"BatchGetItem", "DescribeTable", "GetItem", "PutItem", "Query"},
        "OrdersTable/index/by_tenant": {"Query"},
        "OrdersTable/index/by_status": {"Query"},
        "OrdersTable/index/by_email": {"Query"},
        "OrdersTable/index/by_number": {"Query"},
        "OrdersTable/index/by_customer": {"Query"},  # a CUSTOMER's own orders (issue 12)
        "InventoryTable": {
            "BatchGetItem",
            "DeleteItem",
            "DescribeTable",
            "GetItem",
            "PutItem",
            "Query",
            "UpdateItem",
        },
        "InventoryTable/index/by_sku": {"Query"},
        "InventoryTable/index/by_group": {"Query"},
        # tenants, users (login, token version, invitations, deletion), API keys (issue, list,
        # revoke), login throttle counters; branding, email templates, preferences, suppressions
        # (ADR 0036)
        "DirectoryTable": {"DeleteItem", "DescribeTable", "GetItem", "PutItem", "Query", "UpdateItem"},
        "DirectoryTable/index/users_by_tenant": {"Query"},
        "IntegrationsTable": {"DeleteItem", "DescribeTable", "GetItem", "PutItem", "Query", "UpdateItem"},
        "InsightsTable": {"BatchGetItem", "DescribeTable", "GetItem", "Query"},  # the read models
        "BillingTable": {"DescribeTable", "GetItem", "PutItem", "Query"},  # tariffs, invoices (ADR 0032)
        # the SLA radar (ADR 0031): policies, ingest, tracked orders, deadlines, exceptions
        "RadarTable": {
            "BatchGetItem",
            "DeleteItem",
            "DescribeTable",
            "GetItem",
            "PutItem",
            "Query",
            "UpdateItem",
        },
        "RadarTable/index/gsi1": {"Query"},  # exceptions by creation time
    },
    "ConnectorPollerFunction": {
        "DirectoryTable": {"Query"},  # the tenant list
        "OrdersTable": {"GetItem", "PutItem", "Query"},
        "InventoryTable": {"BatchGetItem", "GetItem", "UpdateItem"},  # pickup node; a cancel releases
        "IntegrationsTable": {"GetItem", "PutItem", "Query"},
    },
    "ConnectorWorkerFunction": {
        "DirectoryTable": {"Query"},  # the tenant's workflow (ADR 0035)
        "OrdersTable": {"GetItem", "PutItem", "Query"},
        "InventoryTable": {"BatchGetItem", "GetItem", "UpdateItem"},
        "IntegrationsTable": {"GetItem", "PutItem", "UpdateItem"},  # claims, connector, logs
    },
    "DashboardFunction": {},  # static files from its own package (ADR 0027)
    "EventPublisherFunction": {
        "OrdersTable/stream/*": {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"},
        "IntegrationsTable": {"Query"},  # who subscribed to what (webhook endpoints)
        "DirectoryTable": {"Query"},  # the tenant's workflow: which actions a status has (ADR 0035)
    },
    "ProjectionFunction": {
        "OrdersTable/stream/*": {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"},
        "InsightsTable": {"ConditionCheckItem", "GetItem", "PutItem", "UpdateItem"},  # the read models
        "BillingTable": {"BatchWriteItem"},  # the billing ledger (ADR 0032)
        # the radar: bodies of newly paid orders (facts); the billing ledger: of completed ones
        "OrdersTable": {"BatchGetItem"},
        "RadarTable": {"BatchGetItem", "GetItem", "PutItem", "UpdateItem"},  # the radar's read model
    },
    # stock alerts (ADR 0039): the inventory stream; stock items and their alerts (by key, batch,
    # conditional put and transaction, update), every item of a tenant; tenants; the task log
    "StockAlertsFunction": {
        "InventoryTable/stream/*": {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"},
        "InventoryTable": {"BatchGetItem", "GetItem", "PutItem", "UpdateItem"},
        "InventoryTable/index/by_group": {"Query"},
        "DirectoryTable": {"Query"},
        "IntegrationsTable": {"PutItem"},
    },
    # channel stock sync (ADR 0040): the inventory stream, stock items (by key, a node's by index),
    # the tenant list, connectors, markers, SKU cache, sync state, event and task logs
    "StockSyncFunction": {
        "InventoryTable/stream/*": {"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"},
        "InventoryTable": {"BatchGetItem"},
        "InventoryTable/index/by_group": {"Query"},
        "DirectoryTable": {"Query"},
        "IntegrationsTable": {"DeleteItem", "GetItem", "PutItem", "Query"},
    },
    "FulfilmentTaskFunction": {
        "DirectoryTable": {"Query"},  # the tenant's workflow (ADR 0035)
        "OrdersTable": {"BatchWriteItem", "PutItem", "Query"},  # + outcome records, the model
        "InventoryTable": {"BatchGetItem", "PutItem", "Query", "UpdateItem"},
    },
    "LearningFunction": {
        "DirectoryTable": {"Query"},  # the tenant list
        "OrdersTable": {"BatchGetItem", "BatchWriteItem", "PutItem", "Query"},  # outcomes, labels, the model
        "OrdersTable/index/by_tenant": {"Query"},  # the analytics reconcile: a day's orders
        "InventoryTable": {"GetItem", "PutItem", "Query"},  # experiments and proposals
        "IntegrationsTable": {"PutItem"},  # the task log
        "InsightsTable": {"GetItem", "PutItem"},  # the analytics reconcile: a day's bucket
        "OrdersTable/index/by_status": {"Query"},  # validate_invoices: a day's completed orders
        "BillingTable": {"GetItem", "PutItem", "Query"},  # Invoice Guard's jobs (ADR 0032)
        "RadarTable/index/gsi1": {"Query"},  # Invoice Guard: exceptions, completed external orders
        "RadarTable": {"BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"},  # sla_sweep
    },
    "MaintenanceFunction": {
        "DirectoryTable": {"Query"},
        "OrdersTable": {"BatchGetItem", "PutItem", "Query"},
        "OrdersTable/index/by_status": {"Query"},
        "OrdersTable/index/by_tenant": {"Query"},  # rebuild_search_index
        "InventoryTable": {
            "BatchGetItem",
            "BatchWriteItem",  # old capacity counters
            "DeleteItem",  # the job lease
            "GetItem",
            "PutItem",
            "Query",
            "UpdateItem",
        },
        "InventoryTable/index/by_group": {"Query"},
        "IntegrationsTable": {"PutItem"},  # the task log
        "InsightsTable": {"PutItem", "Query"},  # search index compaction: segments in, blocks out
    },
    "SearchFunction": {
        "DirectoryTable": {"GetItem"},  # the caller's user or API key
        "InsightsTable": {"Query"},  # the search index's blocks and segments
        "InventoryTable": {"Query"},  # a tenant's catalog partition (product search)
    },
    "ShopifyWebhookFunction": {"IntegrationsTable": {"GetItem"}},  # the connector, for its secret
    "WebhookDispatcherFunction": {"IntegrationsTable": {"GetItem", "PutItem", "Query", "UpdateItem"}},
    # the exceptions consumer (ADR 0033): an exception and its analysis (put under its version),
    # the token budget and AI cache generation, webhook endpoints and Slack settings, deliveries
    # workflow actions (ADR 0035): the order, claims, webhook deliveries, the email log and
    # templates, stock items and adjustments (one transaction per action)
    "ActionsFunction": {
        "OrdersTable": {"GetItem", "Query"},
        "InventoryTable": {"BatchGetItem", "GetItem", "PutItem", "UpdateItem"},
        "IntegrationsTable": {"DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"},
        "DirectoryTable": {"GetItem", "Query"},
    },
    "ExceptionsFunction": {
        "RadarTable": {"GetItem", "PutItem"},
        "DirectoryTable": {"GetItem", "UpdateItem"},
        "IntegrationsTable": {"GetItem", "PutItem", "Query"},
    },
    # SES feedback (ADR 0036): suppressions; the feedback log and the order's email log entry
    "EmailFeedbackFunction": {
        "DirectoryTable": {"PutItem"},
        "IntegrationsTable": {"GetItem", "PutItem", "UpdateItem"},
    },
}

_DLQS = {
    "WarehouseDeadLetterQueue",
    "CarrierDeadLetterQueue",
    "WebhookDeadLetterQueue",
    "WebhookDeliveryDeadLetterQueue",
    "ConnectorDeadLetterQueue",
    "LearningDeadLetterQueue",
    "ExceptionsDeadLetterQueue",
    "ActionsDeadLetterQueue",
    "EmailFeedbackDeadLetterQueue",
    "StockSyncDeadLetterQueue",
}
# secrets at rest (ADR 0020): opened where they are used, sealed where they are written
_OPEN_SECRETS = {"kms:Decrypt": {"SecretsKey"}}
_SEAL_SECRETS = {**_OPEN_SECRETS, "kms:GenerateDataKey": {"SecretsKey"}}
_RULES = {
    f"rule/${{AWS::StackName}}-{name}"
    for name in (
        "reservation-sweep",
        "order-recovery",
        "backorder-resource",
        "node-capacity-reset",
        "amazon-poll",
        "label-outcomes",
        "node-performance",
        "discover-patterns",
        "evaluate-experiments",
        "search-compaction",
        "reconcile-analytics",
        "generate-invoices",
        "validate-invoices",
        "sla-sweep",
        "stock-alert-scan",
        "stock-reconcile",
    )
}
# Everything else, per role owner (function or state machine): action -> resources. A function's
# own log group is checked by test_functions_write_only_their_own_log_group.
OTHER: dict[str, dict[str, set[str]]] = {
    "ApiFunction": {
        "events:DescribeRule": _RULES,  # deep health
        "lambda:GetFunctionUrlConfig": {"ShopifyWebhookFunction"},
        # ask for a backorder run now; run a learning job now (POST /ops/jobs/{name}/run)
        "lambda:InvokeFunction": {"MaintenanceFunction", "LearningFunction"},
        "sqs:DeleteMessage": _DLQS,
        "sqs:GetQueueAttributes": _DLQS | {"PublisherDeadLetterQueue"},
        "sqs:ReceiveMessage": _DLQS,
        "sqs:SendMessage": {
            "WarehouseQueue",
            "CarrierQueue",
            "WebhookQueue",
            "ConnectorQueue",
            "WebhookRetryQueue",
            "LearningQueue",
            "ExceptionsQueue",  # the radar's hook (ingest, resolve) and the DLQ replay
            "ActionsQueue",  # the DLQ replay
            "EmailFeedbackQueue",  # the DLQ replay
            "StockSyncQueue",  # a reconciliation asked for now, and the DLQ replay (ADR 0040)
        },
        # account emails (invitations, resets): the sender identity, the feedback configuration set
        "ses:SendEmail": {"identity/${EmailSenderAddress}", "configuration-set/${AWS::StackName}-email"},
        "ssm:GetParameter": {"parameter${JwtSecretParameterName}"},
        "states:DescribeStateMachine": {"FulfilmentStateMachine"},
        "states:StartExecution": {"FulfilmentStateMachine"},
        **_SEAL_SECRETS,
    },
    "ConnectorPollerFunction": {"states:StartExecution": {"FulfilmentStateMachine"}, **_SEAL_SECRETS},
    "ConnectorWorkerFunction": {
        **{action: {"ConnectorQueue"} for action in POLLER_ACTIONS},
        "states:StartExecution": {"FulfilmentStateMachine"},
        **_SEAL_SECRETS,
    },
    "DashboardFunction": {},  # its own log group only
    "EventPublisherFunction": {
        "sqs:SendMessage": {
            "WebhookQueue",
            "ConnectorQueue",
            "LearningQueue",
            "ActionsQueue",
            "PublisherDeadLetterQueue",
        }
    },
    "ProjectionFunction": {"sqs:SendMessage": {"PublisherDeadLetterQueue", "ExceptionsQueue"}},
    # the alerts' events, and a stream batch given up on (ADR 0039)
    "StockAlertsFunction": {"sqs:SendMessage": {"WebhookQueue", "PublisherDeadLetterQueue"}},
    "StockSyncFunction": {
        **{action: {"StockSyncQueue"} for action in POLLER_ACTIONS},
        "sqs:SendMessage": {"StockSyncQueue", "PublisherDeadLetterQueue"},
        **_SEAL_SECRETS,
    },
    "SearchFunction": {"ssm:GetParameter": {"parameter${JwtSecretParameterName}"}},
    "FulfilmentTaskFunction": {},
    "LearningFunction": {
        "sqs:DeleteMessage": {"LearningQueue"},
        "sqs:ReceiveMessage": {"LearningQueue"},
        "sqs:SendMessage": {"ExceptionsQueue"},  # the radar's hook: exceptions the sweep raises
    },
    "ExceptionsFunction": {
        **{action: {"ExceptionsQueue"} for action in POLLER_ACTIONS},
        "sqs:SendMessage": {"WebhookRetryQueue"},  # the first attempt of each delivery
    },
    "ActionsFunction": {
        **{action: {"ActionsQueue"} for action in POLLER_ACTIONS},
        "sqs:SendMessage": {"WebhookRetryQueue"},  # the first attempt of a webhook action's delivery
        "ssm:GetParameter": {"parameter${JwtSecretParameterName}"},  # the unsubscribe link's key
        "ses:SendEmail": {"identity/${EmailSenderAddress}", "configuration-set/${AWS::StackName}-email"},
    },
    "MaintenanceFunction": {"states:StartExecution": {"FulfilmentStateMachine"}},
    "EmailFeedbackFunction": {action: {"EmailFeedbackQueue"} for action in POLLER_ACTIONS},
    "ShopifyWebhookFunction": {"sqs:SendMessage": {"ConnectorQueue"}, **_OPEN_SECRETS},
    "WebhookDispatcherFunction": {
        **{action: {"WebhookQueue", "WebhookRetryQueue"} for action in POLLER_ACTIONS},
        "sqs:SendMessage": {"WebhookRetryQueue"},  # deliveries (fan-out) and their retries
        **_OPEN_SECRETS,
    },
    "FulfilmentStateMachine": {
        "lambda:InvokeFunction": {"FulfilmentTaskFunction"},
        "sqs:SendMessage": {"WarehouseQueue", "CarrierQueue"},
        **{action: {"*"} for action in STAR_RESOURCE_ALLOWED if action.startswith("logs:")},
    },
}

# ----------------------------------------------------------------------------- reading policies


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resource_id(node: Any) -> str:
    """A readable name for a policy Resource: a logical id (`OrdersTable`), a logical id with a
    path (`OrdersTable/index/by_status`), or the ARN's tail with ${...} kept (`rule/${AWS::StackName}-x`)."""
    if isinstance(node, str):
        return _ARN_PREFIX.sub("", node)
    if isinstance(node, dict) and "Ref" in node:
        return str(node["Ref"])
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        target, attr = (
            node["Fn::GetAtt"] if isinstance(node["Fn::GetAtt"], list) else node["Fn::GetAtt"].split(".", 1)
        )
        return str(target) if attr == "Arn" else f"{target}.{attr}"
    if isinstance(node, dict) and "Fn::Sub" in node:
        value = node["Fn::Sub"]
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
        for name, sub in variables.items():
            text = text.replace("${" + name + "}", resource_id(sub))
        text = re.sub(r"\$\{([A-Za-z0-9]+)\.Arn\}", r"\1", text)
        return _ARN_PREFIX.sub("", text)
    return repr(node)


def policy_statements(cfn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(owner, statement) for every identity policy in the transformed template."""
    found = []
    for name, res in (cfn.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        documents = []
        if res.get("Type") == "AWS::IAM::Role":
            documents = [p.get("PolicyDocument") or {} for p in props.get("Policies") or []]
        elif res.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props.get("PolicyDocument") or {}]
        for doc in documents:
            found += [(name, st) for st in _as_list(doc.get("Statement") or [])]
    return found


def role_of(cfn: dict[str, Any]) -> dict[str, str]:
    """Owner logical id (function or state machine) -> its role's logical id."""
    owners = {}
    for name, res in (cfn.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        role = props.get("Role") if res.get("Type") == "AWS::Lambda::Function" else props.get("RoleArn")
        owner_types = ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")
        if res.get("Type") in owner_types and isinstance(role, dict) and "Fn::GetAtt" in role:
            owners[name] = resource_id(role)
    return owners


def grants(cfn: dict[str, Any], role: str) -> dict[str, set[str]]:
    """action -> resource ids, over a role's Allow statements."""
    out: dict[str, set[str]] = {}
    for owner, st in policy_statements(cfn):
        if owner != role or st.get("Effect") != "Allow":
            continue
        for action in _as_list(st.get("Action") or []):
            out.setdefault(str(action), set()).update(resource_id(r) for r in _as_list(st.get("Resource")))
    return out


def dynamodb_grants(cfn: dict[str, Any], role: str) -> dict[str, set[str]]:
    """resource id -> DynamoDB actions (without the prefix)."""
    out: dict[str, set[str]] = {}
    for action, resources in grants(cfn, role).items():
        if action.startswith("dynamodb:"):
            for r in resources:
                out.setdefault(r, set()).add(action.split(":", 1)[1])
    return out


# ----------------------------------------------------------------------------- rules


def wildcard_problems(cfn: dict[str, Any]) -> list[str]:
    problems = []
    for owner, st in policy_statements(cfn):
        where = f"{owner}/{st.get('Sid', '?')}"
        if "NotAction" in st or "NotResource" in st:
            problems.append(f"{where}: NotAction/NotResource grant everything else")
        actions = [str(a) for a in _as_list(st.get("Action") or [])]
        problems += [f"{where}: wildcard action {a}" for a in actions if "*" in a]
        resources = [resource_id(r) for r in _as_list(st.get("Resource"))]
        problems += [f"{where}: account-wide resource {r}" for r in resources if _ACCOUNT_WIDE.search(r)]
        if "*" in resources and st.get("Effect") == "Allow":
            for action in actions:
                if action not in STAR_RESOURCE_ALLOWED:
                    problems.append(f"{where}: {action} on Resource '*' (it can be scoped to a resource)")
                elif action in STAR_RESOURCE_CONDITION:
                    key = STAR_RESOURCE_CONDITION[action]
                    keys = {k for cond in (st.get("Condition") or {}).values() for k in cond}
                    if key not in keys:
                        problems.append(f"{where}: {action} on Resource '*' without a {key} condition")
    return problems


def managed_policy_problems(cfn: dict[str, Any]) -> list[str]:
    return [
        f"{name}: managed policy {arn} (grant explicit statements instead)"
        for name, res in (cfn.get("Resources") or {}).items()
        if res.get("Type") == "AWS::IAM::Role"
        for arn in (res.get("Properties") or {}).get("ManagedPolicyArns") or []
    ]


def role_problems(sam: dict[str, Any]) -> list[str]:
    """On the SAM template: each function has its own role from the template, and no Policies."""
    resources = sam.get("Resources") or {}
    problems, users = [], {}
    for name, res in resources.items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties") or {}
        if "Policies" in props:
            problems.append(f"{name}: Policies beside a Role are ignored by SAM; grant in the role")
        role = resource_id(props.get("Role")) if props.get("Role") else None
        if role is None or resources.get(role, {}).get("Type") != "AWS::IAM::Role":
            problems.append(f"{name}: Role must be !GetAtt <a role of this template>.Arn")
            continue
        users.setdefault(role, []).append(name)
        trust = (resources[role].get("Properties") or {}).get("AssumeRolePolicyDocument") or {}
        principals = [
            p
            for st in _as_list(trust.get("Statement") or [])
            for p in _as_list((st.get("Principal") or {}).get("Service"))
        ]
        if principals != ["lambda.amazonaws.com"]:
            problems.append(f"{role}: trusted by {principals}, expected lambda.amazonaws.com only")
    problems += [f"{role}: shared by {', '.join(fns)}" for role, fns in users.items() if len(fns) > 1]
    return problems


def log_problems(sam: dict[str, Any], cfn: dict[str, Any]) -> list[str]:
    """A function's role writes its own log group only (CloudFormation creates the group)."""
    problems = []
    roles = role_of(cfn)
    for name, res in (sam.get("Resources") or {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        function_name = (res.get("Properties") or {}).get("FunctionName")
        if not isinstance(function_name, dict) or not isinstance(function_name.get("Fn::Sub"), str):
            problems.append(f"{name}: FunctionName must be a !Sub (its role names its log group)")
            continue
        own = f"log-group:/aws/lambda/{function_name['Fn::Sub']}:*"
        logs = {a: r for a, r in grants(cfn, roles.get(name, "?")).items() if a.startswith("logs:")}
        if logs != {action: {own} for action in OWN_LOG_ACTIONS}:
            problems.append(f"{name}: logs grants {logs}, expected {sorted(OWN_LOG_ACTIONS)} on {own}")
    return problems


def event_source_problems(sam: dict[str, Any], cfn: dict[str, Any]) -> list[str]:
    """Lambda reads a function's queues and streams, and sends its failures, with its role."""
    problems = []
    roles = role_of(cfn)
    for name, res in (sam.get("Resources") or {}).items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        have = grants(cfn, roles.get(name, "?"))
        for event, spec in ((res.get("Properties") or {}).get("Events") or {}).items():
            props = spec.get("Properties") or {}
            if spec.get("Type") == "SQS":
                needed = {(a, resource_id(props["Queue"])) for a in POLLER_ACTIONS}
            elif spec.get("Type") == "DynamoDB":
                table = resource_id(props["Stream"]).split(".", 1)[0]
                needed = {(a, f"{table}/stream/*") for a in STREAM_ACTIONS}
            else:
                continue
            failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if failure:
                needed.add(("sqs:SendMessage", resource_id(failure)))
            missing = sorted(f"{a} on {r}" for a, r in needed if r not in have.get(a, set()))
            problems += [f"{name}.Events.{event}: role lacks {m}" for m in missing]
    return problems


# ----------------------------------------------------------------------------- on template.yaml


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    from infra.local.template_loader import load_template as sam_transform

    return sam_transform(ROOT, {}, cache_dir=ROOT / ".local" / "cache").cfn_template


def test_no_wildcard_actions_or_resources(cfn: dict[str, Any]) -> None:
    statements = policy_statements(cfn)
    assert len(statements) > 20, "the walk must have found the template's policies"
    assert wildcard_problems(cfn) == []


def test_no_managed_policies(cfn: dict[str, Any]) -> None:
    assert managed_policy_problems(cfn) == []


def test_every_function_has_its_own_role(template: dict[str, Any]) -> None:
    assert role_problems(template) == []


def test_functions_write_only_their_own_log_group(template: dict[str, Any], cfn: dict[str, Any]) -> None:
    assert log_problems(template, cfn) == []


def test_event_sources_can_read_with_the_role(template: dict[str, Any], cfn: dict[str, Any]) -> None:
    assert event_source_problems(template, cfn) == []


def test_dynamodb_grants_are_the_expected_ones(cfn: dict[str, Any], functions: dict[str, Any]) -> None:
    roles = role_of(cfn)
    assert set(DYNAMODB) == set(functions), "every function needs a row in DYNAMODB (even if empty)"
    for function, expected in DYNAMODB.items():
        assert dynamodb_grants(cfn, roles[function]) == expected, function


def test_other_grants_are_the_expected_ones(cfn: dict[str, Any], functions: dict[str, Any]) -> None:
    roles = role_of(cfn)
    assert set(OTHER) == set(functions) | {"FulfilmentStateMachine"}
    for owner, expected in OTHER.items():
        have = {
            a: r
            for a, r in grants(cfn, roles[owner]).items()
            if not a.startswith("dynamodb:") and not (a in OWN_LOG_ACTIONS and owner in functions)
        }
        assert have == expected, owner


def test_every_star_resource_exception_has_a_reason() -> None:
    assert all(len(reason) > 20 for reason in STAR_RESOURCE_ALLOWED.values())
    assert set(STAR_RESOURCE_CONDITION) <= set(STAR_RESOURCE_ALLOWED)


# ----------------------------------------------------------------------------- the rules catch faults

BAD = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: f/
      Handler: app.handler
      FunctionName: !Sub ${AWS::StackName}-fn
      Role: !GetAtt FnRole.Arn
      Policies: [AWSLambdaBasicExecutionRole]
      Events:
        Work: {Type: SQS, Properties: {Queue: !GetAtt Work.Arn}}
  Other:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: f/, Handler: app.handler, Role: !GetAtt FnRole.Arn}
  FnRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: [lambda.amazonaws.com, states.amazonaws.com]}}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/CloudWatchLogsFullAccess]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Sid: A, Effect: Allow, Action: "dynamodb:*", Resource: !GetAtt T.Arn}
              - {Sid: B, Effect: Allow, Action: [sqs:ReceiveMessage, xray:PutTraceSegments], Resource: "*"}
              - {Sid: C, Effect: Allow, Action: cloudwatch:PutMetricData, Resource: "*"}
              - Sid: D
                Effect: Allow
                Action: logs:PutLogEvents
                Resource: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
              - {Sid: E, Effect: Allow, NotAction: iam:*, Resource: !GetAtt T.Arn}
  Fn2:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt FnRole.Arn}
  Work: {Type: AWS::SQS::Queue}
  T: {Type: AWS::DynamoDB::Table}
"""


def test_rules_catch_a_bad_template() -> None:
    bad = load_template(BAD)
    assert wildcard_problems(bad) == [
        "FnRole/A: wildcard action dynamodb:*",
        "FnRole/B: sqs:ReceiveMessage on Resource '*' (it can be scoped to a resource)",
        "FnRole/C: cloudwatch:PutMetricData on Resource '*' without a cloudwatch:namespace condition",
        "FnRole/D: account-wide resource log-group:*",
        "FnRole/E: NotAction/NotResource grant everything else",
    ]
    assert managed_policy_problems(bad) == [
        "FnRole: managed policy arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"
        " (grant explicit statements instead)"
    ]
    two_services = "FnRole: trusted by ['lambda.amazonaws.com', 'states.amazonaws.com'], expected"
    assert role_problems(bad) == [
        "Fn: Policies beside a Role are ignored by SAM; grant in the role",
        f"{two_services} lambda.amazonaws.com only",
        f"{two_services} lambda.amazonaws.com only",
        "FnRole: shared by Fn, Other",
    ]
    cfn = {
        "Resources": {
            **bad["Resources"],
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Role": {"Fn::GetAtt": ["FnRole", "Arn"]}},
            },
        }
    }
    assert log_problems(bad, cfn) == [
        "Fn: logs grants {'logs:PutLogEvents': {'log-group:*'}}, expected "
        "['logs:CreateLogStream', 'logs:PutLogEvents'] on log-group:/aws/lambda/${AWS::StackName}-fn:*",
        "Other: FunctionName must be a !Sub (its role names its log group)",
    ]
    assert event_source_problems(bad, cfn) == [
        "Fn.Events.Work: role lacks sqs:DeleteMessage on Work",
        "Fn.Events.Work: role lacks sqs:GetQueueAttributes on Work",
        "Fn.Events.Work: role lacks sqs:ReceiveMessage on Work",
    ]
    assert dynamodb_grants(cfn, "FnRole") == {"T": {"*"}}
