"""Create the prepared template in moto and describe what was deployed.

:func:`deploy_stack` runs ``cloudformation:CreateStack`` through boto3, so it works the same against
the in-process moto server (``AWS_ENDPOINT_URL``) and inside ``mock_aws``. Physical names are made
deterministic (``<stack>-<LogicalId>-<hash>``) so they stay the same across restarts of the local
cloud, which keeps persisted state, logs and shell history meaningful.

:class:`StackResources` is the one description every other part uses: physical names, ARNs and URLs
per logical id, and per function its ``CodeUri``, ``Handler``, resolved environment and event
sources (schedules with expression and ``Input``, SQS mappings with ``BatchSize`` and
``FunctionResponseTypes``, HTTP API routes, Function URL configuration). Values of the resources
that are served locally are resolved with moto's own intrinsic-function parser against the stack,
so ``!GetAtt Queue.Arn`` means exactly what it means for the resources moto created.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from infra.local import moto_patches
from infra.local.template_loader import DeploymentPlan, PreparedTemplate, SkippedResource, plan_deployment

log = logging.getLogger("infra.local")

__all__ = [
    "DeployedResource",
    "FunctionInfo",
    "FunctionUrlConfig",
    "HttpRoute",
    "QueueSource",
    "ScheduleSource",
    "StackResources",
    "StreamSource",
    "deploy_stack",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


@dataclass(frozen=True)
class ScheduleSource:
    name: str  # logical id of the rule / schedule
    function: str  # function logical id
    expression: str  # rate(...) / cron(...)
    input: str | None  # the target's Input (JSON text), None: the standard "Scheduled Event"
    enabled: bool = True
    timezone: str | None = None
    source_type: str = "AWS::Events::Rule"  # or AWS::Scheduler::Schedule
    rule_name: str | None = None  # the rule's Name property (resolved), when the template sets one

    def resource_arn(self, region: str, account_id: str) -> str:
        if self.source_type == "AWS::Scheduler::Schedule":
            return f"arn:aws:scheduler:{region}:{account_id}:schedule/default/{self.name}"
        return f"arn:aws:events:{region}:{account_id}:rule/{self.rule_name or self.name}"


@dataclass(frozen=True)
class QueueSource:
    name: str  # logical id of the event source mapping
    function: str
    queue_arn: str
    queue_url: str
    batch_size: int = 10
    function_response_types: tuple[str, ...] = ()
    enabled: bool = True
    maximum_batching_window: float = 0.0

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class StreamSource:
    """A DynamoDB stream event source mapping (served by a ``StreamPoller``)."""

    name: str  # logical id of the event source mapping
    function: str
    table: str  # logical id of the table
    table_name: str
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "LATEST"  # or TRIM_HORIZON
    function_response_types: tuple[str, ...] = ()
    maximum_retry_attempts: int = -1  # -1: retry until it succeeds (AWS: until the record expires)
    bisect_on_error: bool = False
    filters: tuple[str, ...] = ()  # FilterCriteria patterns (JSON text)
    on_failure_arn: str | None = None  # DestinationConfig.OnFailure.Destination (an SQS queue)
    enabled: bool = True
    maximum_batching_window: float = 0.0

    @property
    def reports_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class HttpRoute:
    api: str  # logical id of the API
    kind: str  # "HttpApi" (ApiGatewayV2) or "Api" (REST)
    method: str  # GET, POST, ..., or ANY
    path: str  # OpenAPI path, e.g. /orders/{id} or /{proxy+}
    function: str
    payload_format_version: str = "1.0"
    stage: str = "$default"


@dataclass(frozen=True)
class FunctionUrlConfig:
    function: str
    auth_type: str = "NONE"
    invoke_mode: str = "BUFFERED"
    cors: dict[str, Any] | None = None

    @property
    def path_prefix(self) -> str:
        return f"/_fn/{self.function}"


@dataclass
class FunctionInfo:
    logical_id: str
    name: str
    arn: str
    code_uri: str | None
    handler: str
    runtime: str | None
    timeout: float
    memory_mb: int
    environment: dict[str, str]
    schedules: list[ScheduleSource] = field(default_factory=list)
    queues: list[QueueSource] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    routes: list[HttpRoute] = field(default_factory=list)
    url: FunctionUrlConfig | None = None

    @property
    def events(self) -> dict[str, Any]:
        """The function's event sources by name (logical id of the generated resource)."""
        out: dict[str, Any] = {s.name: s for s in self.schedules}
        out.update({q.name: q for q in self.queues})
        out.update({s.name: s for s in self.streams})
        out.update({f"{r.api}:{r.method} {r.path}": r for r in self.routes})
        return out


@dataclass(frozen=True)
class DeployedResource:
    logical_id: str
    type: str
    physical_id: str | None
    arn: str | None = None
    url: str | None = None
    served_by: str = "moto"  # "moto", or the local service that serves it, or "not emulated"
    note: str = ""


@dataclass
class StackResources:
    """What the template became locally. ``resources["OrdersTable"]`` gives the physical id."""

    stack_name: str
    region: str
    account_id: str
    resources: dict[str, DeployedResource]
    functions: dict[str, FunctionInfo]
    outputs: dict[str, str]
    skipped_outputs: dict[str, str]
    apis: dict[str, dict[str, Any]]  # api logical id -> {"kind", "cors", "routes": [...]}
    environment: dict[str, str]  # the merged environment of every function
    parameters: dict[str, str]  # every template parameter, defaults included
    unsupported_sources: list[str] = field(default_factory=list)
    invoker: Any = field(default=None, repr=False, compare=False)  # set by the deployment

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke a function of the template in-process; returns an ``Invocation``."""
        if self.invoker is None:
            raise RuntimeError("this description is not attached to a running deployment")
        return self.invoker(logical_id, event)

    # -- mapping-like access by logical id
    def __getitem__(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        value = resource.url or resource.physical_id
        if value is None:
            raise KeyError(f"{logical_id} has no physical id (served by {resource.served_by})")
        return value

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self.resources

    def __iter__(self) -> Iterator[str]:
        return iter(self.resources)

    def __getattr__(self, name: str) -> str:
        # resources.OrdersTable == resources["OrdersTable"] (dataclass fields are found first).
        if name.startswith("_") or "resources" not in self.__dict__ or name not in self.resources:
            raise AttributeError(name)
        return self[name]

    def get(self, logical_id: str, default: str | None = None) -> str | None:
        try:
            return self[logical_id]
        except KeyError:
            return default

    def arn(self, logical_id: str) -> str:
        arn = self.resources[logical_id].arn
        if arn is None:
            raise KeyError(f"{logical_id} has no ARN")
        return arn

    def of_type(self, resource_type: str) -> dict[str, DeployedResource]:
        return {k: v for k, v in self.resources.items() if v.type == resource_type}

    @property
    def schedules(self) -> list[ScheduleSource]:
        return [s for f in self.functions.values() for s in f.schedules]

    @property
    def queue_sources(self) -> list[QueueSource]:
        return [q for f in self.functions.values() for q in f.queues]

    @property
    def stream_sources(self) -> list[StreamSource]:
        return [s for f in self.functions.values() for s in f.streams]

    @property
    def routes(self) -> list[HttpRoute]:
        return [r for f in self.functions.values() for r in f.routes]

    @property
    def function_urls(self) -> list[FunctionUrlConfig]:
        return [f.url for f in self.functions.values() if f.url is not None]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (everything but the attached invoker)."""

        def plain(value: Any) -> Any:
            if is_dataclass(value) and not isinstance(value, type):
                return asdict(value)
            return str(value)

        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "invoker"}
        return json.loads(json.dumps(data, default=plain))


# --------------------------------------------------------------------------- deterministic names

_names_lock = threading.Lock()


def _patch_resource_names() -> None:
    from moto.cloudformation import parsing

    original = parsing.generate_resource_name
    if getattr(original, "__cirrus_patched__", False):
        return

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        if not _DeterministicFlag.on:
            return original(resource_type, stack_name, logical_id)
        suffix = hashlib.sha1(f"{stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()  # noqa: S324
        if resource_type == "AWS::S3::Bucket":
            return f"{stack_name}-{logical_id}-{suffix}".lower()[:63]
        if resource_type in (
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
        ):
            return f"{stack_name}-{logical_id}"[:19].rstrip("-") + f"-{suffix}"
        if resource_type == "AWS::IAM::Policy":
            return f"{stack_name[:5]}-{logical_id[:4]}-{suffix}"
        return f"{stack_name}-{logical_id}-{suffix}"

    generate_resource_name.__cirrus_patched__ = True  # type: ignore[attr-defined]
    parsing.generate_resource_name = generate_resource_name


class _DeterministicFlag:
    on = False


@contextlib.contextmanager
def _deterministic_names() -> Iterator[None]:
    # create_stack may run on a moto server thread: the flag is process-wide, guarded by a lock.
    _patch_resource_names()
    with _names_lock:
        _DeterministicFlag.on = True
        try:
            yield
        finally:
            _DeterministicFlag.on = False


# --------------------------------------------------------------------------- deploy


def _moto_model_info() -> tuple[set[str], Any]:
    from moto.cloudformation.parsing import get_model_map

    model_map = get_model_map()

    def attribute_check(resource_type: str, attr: str) -> bool:
        cls = model_map.get(resource_type)
        return bool(cls is not None and cls.has_cfn_attr(attr))

    return set(model_map), attribute_check


def deploy_stack(
    prepared: PreparedTemplate,
    *,
    stack_name: str,
    region: str = "us-east-1",
    cloudformation_client: Any = None,
) -> StackResources:
    """Create the stack in moto (server or mock) and return its description."""
    import boto3

    moto_patches.apply()
    supported, attribute_check = _moto_model_info()
    plan = plan_deployment(prepared, supported, attribute_check)
    cf = cloudformation_client or boto3.client("cloudformation", region_name=region)
    with _deterministic_names():
        response = cf.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(plan.deploy_template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in prepared.parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
    stack_id = response["StackId"]
    stack = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name} is {stack['StackStatus']}: {stack.get('StackStatusReason')}")
    account_id = stack_id.split(":")[4]
    return describe_stack(
        prepared, plan, stack_id=stack_id, stack_name=stack_name, region=region, account_id=account_id
    )


def _moto_stack(account_id: str, region: str, stack_id: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[account_id][region].get_stack(stack_id)


def _resolve(value: Any, resource_map: Any) -> Any:
    from moto.cloudformation.parsing import clean_json

    try:
        return clean_json(value, resource_map)
    except KeyError as exc:
        log.debug("could not resolve %s: %s", value, exc)
        return value


def _describe_resource(logical_id: str, spec: dict[str, Any], model: Any) -> DeployedResource:
    physical = getattr(model, "physical_resource_id", None) if model is not None else None
    arn = None
    if model is not None:
        with contextlib.suppress(Exception):
            if model.has_cfn_attr("Arn"):
                arn = model.get_cfn_attribute("Arn")
    if arn is None and isinstance(getattr(model, "arn", None), str):
        arn = model.arn
    if arn is None and isinstance(physical, str) and physical.startswith("arn:"):
        arn = physical
    if physical is None:
        physical = arn
    url = physical if spec.get("Type") == "AWS::SQS::Queue" else None
    return DeployedResource(logical_id, spec.get("Type", ""), physical, arn, url)


class _SourceCollector:
    """Attaches the locally served event sources and routes of the template to their functions."""

    def __init__(
        self,
        template: dict[str, Any],
        resource_map: Any,
        resources: dict[str, DeployedResource],
        functions: dict[str, FunctionInfo],
    ) -> None:
        self.template = template
        self.resource_map = resource_map
        self.functions = functions
        self.by_arn = {f.arn: f for f in functions.values()}
        self.by_name = {f.name: f for f in functions.values()}
        self.queues_by_arn = {r.arn: r for r in resources.values() if r.type == "AWS::SQS::Queue" and r.arn}
        self.tables_by_name = {
            str(r.physical_id): r
            for r in resources.values()
            if r.type == "AWS::DynamoDB::Table" and r.physical_id
        }
        self.unsupported: list[str] = []
        self.apis: dict[str, dict[str, Any]] = {}

    def function_for(self, ref: Any) -> FunctionInfo | None:
        if not isinstance(ref, str):
            return None
        if ref in self.by_arn:
            return self.by_arn[ref]
        match = re.search(r":function:([^:/]+)", ref)
        return self.by_name.get(match.group(1) if match else ref)

    def collect(self, logical_id: str, spec: dict[str, Any]) -> None:
        rtype = spec.get("Type")
        handler = {
            "AWS::Lambda::EventSourceMapping": self._event_source_mapping,
            "AWS::Events::Rule": self._rule,
            "AWS::Scheduler::Schedule": self._schedule,
            "AWS::Lambda::Url": self._function_url,
            "AWS::ApiGatewayV2::Api": self._api,
            "AWS::ApiGateway::RestApi": self._api,
        }.get(str(rtype))
        if handler is not None:
            handler(logical_id, spec, _resolve(spec.get("Properties") or {}, self.resource_map))

    def _missing(self, text: str) -> None:
        self.unsupported.append(text)
        log.warning("not served locally: %s", text)

    def _event_source_mapping(self, logical_id: str, spec: dict[str, Any], props: dict[str, Any]) -> None:
        fn_info = self.function_for(props.get("FunctionName"))
        source_arn = str(props.get("EventSourceArn") or "")
        if fn_info is None:
            self._missing(
                f"{logical_id}: target {props.get('FunctionName')} is not a function of the template"
            )
            return
        queue = self.queues_by_arn.get(source_arn)
        if queue is not None:
            fn_info.queues.append(
                QueueSource(
                    name=logical_id,
                    function=fn_info.logical_id,
                    queue_arn=source_arn,
                    queue_url=str(queue.url),
                    batch_size=int(props.get("BatchSize", 10)),
                    function_response_types=tuple(props.get("FunctionResponseTypes") or ()),
                    enabled=str(props.get("Enabled", True)).lower() != "false",
                    maximum_batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                )
            )
            return
        table = self.table_for_stream(source_arn)
        if table is not None:
            on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            filters = [f.get("Pattern") for f in (props.get("FilterCriteria") or {}).get("Filters") or []]
            fn_info.streams.append(
                StreamSource(
                    name=logical_id,
                    function=fn_info.logical_id,
                    table=table.logical_id,
                    table_name=str(table.physical_id),
                    stream_arn=source_arn,
                    batch_size=int(props.get("BatchSize", 100)),
                    starting_position=str(props.get("StartingPosition", "LATEST")).upper(),
                    function_response_types=tuple(props.get("FunctionResponseTypes") or ()),
                    maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
                    bisect_on_error=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
                    filters=tuple(str(f) for f in filters if f),
                    on_failure_arn=str(on_failure) if on_failure else None,
                    enabled=str(props.get("Enabled", True)).lower() != "false",
                    maximum_batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
                )
            )
            return
        self._missing(
            f"{logical_id}: event source {source_arn} (SQS queues and DynamoDB streams are polled locally)"
        )

    def table_for_stream(self, stream_arn: str) -> DeployedResource | None:
        match = re.match(r"arn:[^:]+:dynamodb:[^:]*:[^:]*:table/([^/]+)/stream/", stream_arn)
        if match is None:
            return None
        return self.tables_by_name.get(match.group(1))

    def _rule(self, logical_id: str, spec: dict[str, Any], props: dict[str, Any]) -> None:
        if "ScheduleExpression" not in props:
            return
        for target in props.get("Targets") or []:
            fn_info = self.function_for(target.get("Arn"))
            if fn_info is None:
                self._missing(f"{logical_id}: schedule target {target.get('Arn')} is not a function")
                continue
            fn_info.schedules.append(
                ScheduleSource(
                    name=logical_id,
                    function=fn_info.logical_id,
                    expression=str(props["ScheduleExpression"]),
                    input=target.get("Input"),
                    enabled=str(props.get("State", "ENABLED")).upper() == "ENABLED",
                    rule_name=str(props["Name"]) if isinstance(props.get("Name"), str) else None,
                )
            )

    def _schedule(self, logical_id: str, spec: dict[str, Any], props: dict[str, Any]) -> None:
        target = props.get("Target") or {}
        fn_info = self.function_for(target.get("Arn"))
        if fn_info is None:
            self._missing(f"{logical_id}: schedule target {target.get('Arn')} is not a function")
            return
        fn_info.schedules.append(
            ScheduleSource(
                name=logical_id,
                function=fn_info.logical_id,
                expression=str(props["ScheduleExpression"]),
                input=target.get("Input"),
                enabled=str(props.get("State", "ENABLED")).upper() == "ENABLED",
                timezone=props.get("ScheduleExpressionTimezone"),
                source_type="AWS::Scheduler::Schedule",
            )
        )

    def _function_url(self, logical_id: str, spec: dict[str, Any], props: dict[str, Any]) -> None:
        fn_info = self.function_for(props.get("TargetFunctionArn"))
        if fn_info is None:
            self._missing(f"{logical_id}: Function URL target {props.get('TargetFunctionArn')}")
            return
        fn_info.url = FunctionUrlConfig(
            function=fn_info.logical_id,
            auth_type=str(props.get("AuthType", "NONE")),
            invoke_mode=str(props.get("InvokeMode", "BUFFERED")),
            cors=props.get("Cors"),
        )

    def _api(self, logical_id: str, spec: dict[str, Any], props: dict[str, Any]) -> None:
        kind = "HttpApi" if spec.get("Type") == "AWS::ApiGatewayV2::Api" else "Api"
        body = props.get("Body") or {}
        stage = _api_stage(self.template, logical_id, kind)
        cors = body.get("x-amazon-apigateway-cors") or props.get("CorsConfiguration")
        routes = _routes_from_openapi(logical_id, kind, body, self.function_for, stage)
        for route in routes:
            self.functions[route.function].routes.append(route)
        self.apis[logical_id] = {"kind": kind, "cors": cors, "stage": stage, "routes": routes}


def describe_stack(
    prepared: PreparedTemplate,
    plan: DeploymentPlan,
    *,
    stack_id: str,
    stack_name: str,
    region: str,
    account_id: str,
) -> StackResources:
    from moto.awslambda.utils import get_backend as lambda_backend

    from infra.local.lambda_runtime import merge_environments

    moto_stack = _moto_stack(account_id, region, stack_id)
    resource_map = moto_stack.resource_map
    template = prepared.cfn_template.get("Resources", {})

    resources: dict[str, DeployedResource] = {}
    for logical_id, spec in template.items():
        skipped: SkippedResource | None = plan.skipped.get(logical_id)
        if skipped is not None:
            served_by = skipped.served_by or "not emulated"
            resources[logical_id] = DeployedResource(
                logical_id, skipped.type, None, served_by=served_by, note=skipped.reason
            )
        else:
            resources[logical_id] = _describe_resource(logical_id, spec, resource_map[logical_id])

    functions: dict[str, FunctionInfo] = {}
    backend = lambda_backend(account_id, region)
    for logical_id, resource in resources.items():
        if resource.type != "AWS::Lambda::Function" or resource.served_by != "moto":
            continue
        fn = backend.get_function(str(resource.physical_id))
        functions[logical_id] = FunctionInfo(
            logical_id=logical_id,
            name=fn.function_name,
            arn=fn.function_arn,
            code_uri=prepared.code_uris.get(logical_id),
            handler=str(fn.handler or ""),
            runtime=fn.run_time,
            timeout=float(fn.timeout or 3),
            memory_mb=int(fn.memory_size or 128),
            environment={k: "" if v is None else str(v) for k, v in (fn.environment_vars or {}).items()},
        )

    collector = _SourceCollector(template, resource_map, resources, functions)
    for logical_id in plan.skipped:
        collector.collect(logical_id, template[logical_id])

    return StackResources(
        stack_name=stack_name,
        region=region,
        account_id=account_id,
        resources=resources,
        functions=functions,
        outputs={o["OutputKey"]: str(o["OutputValue"]) for o in (moto_stack.outputs or [])},
        skipped_outputs=dict(plan.skipped_outputs),
        apis=collector.apis,
        environment=merge_environments({k: f.environment for k, f in functions.items()}),
        parameters={k: str(v) for k, v in resource_map.resolved_parameters.items()},
        unsupported_sources=collector.unsupported,
    )


def _api_stage(template: dict[str, Any], api_id: str, kind: str) -> str:
    for spec in template.values():
        props = spec.get("Properties") or {}
        ref = props.get("ApiId") if kind == "HttpApi" else props.get("RestApiId")
        if spec.get("Type") in ("AWS::ApiGatewayV2::Stage", "AWS::ApiGateway::Stage") and ref == {
            "Ref": api_id
        }:
            name = props.get("StageName")
            if isinstance(name, str):
                return name
    return "$default" if kind == "HttpApi" else "Prod"


def _routes_from_openapi(
    api_id: str, kind: str, body: dict[str, Any], function_for: Any, stage: str
) -> list[HttpRoute]:
    routes: list[HttpRoute] = []
    for path, operations in (body.get("paths") or {}).items():
        if not isinstance(operations, dict):
            continue
        for key, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            if key == "x-amazon-apigateway-any-method":
                method = "ANY"
            elif key.lower() in HTTP_METHODS:
                method = key.upper()
            else:
                continue
            integration = operation.get("x-amazon-apigateway-integration") or {}
            uri = integration.get("uri")
            match = re.search(r"functions/(arn:[^/]+)/invocations", uri) if isinstance(uri, str) else None
            fn_info = function_for(match.group(1)) if match else None
            if fn_info is None:
                log.warning(
                    "%s %s %s: integration %s is not a local function; not served", api_id, method, path, uri
                )
                continue
            version = str(integration.get("payloadFormatVersion", "1.0")) if kind == "HttpApi" else "1.0"
            routes.append(HttpRoute(api_id, kind, method, path, fn_info.logical_id, version, stage))
    return routes


def code_dir(repo_root: Path, info: FunctionInfo) -> Path:
    if info.code_uri is None:
        raise ValueError(f"{info.logical_id} has no local CodeUri")
    return (repo_root / info.code_uri).resolve()
