"""Deploy the template into whichever moto is active and make its functions runnable in-process.

Shared by :class:`infra.local.cloud.LocalCloud` (moto server in this process) and
:mod:`infra.local.testing` (``mock_aws``, no server): both call :func:`deploy`, which applies the
moto patches, loads (cached) and creates the template, registers one :class:`FunctionRuntime` per
function and installs the Lambda hook.

Prerequisites outside the template: the template documents one, the SSM SecureString named by the
``JwtSecretParameterName`` parameter ("create it before deploying"). :data:`SECURE_PARAMETERS`
lists such template parameters; :func:`ensure_secure_parameters` creates the named parameters in
moto when they are missing, so the application can read them exactly as in AWS. A parameter the
template leaves without a ``Default`` (so a real deploy must name it) gets its local value from
:data:`LOCAL_PARAMETER_VALUES` unless the caller passes one.

Schedules are fired by the local ticker, not by EventBridge, so moto never holds their rules; the
rules that have a ``Name`` are registered in moto's EventBridge (state and expression, no targets)
so the application can describe them as it would in AWS (the deep health check does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local import lambda_runtime, moto_patches
from infra.local.lambda_runtime import FunctionRuntime, Invocation
from infra.local.stack import StackResources, deploy_stack
from infra.local.template_loader import (
    TEMPLATE_FILE,
    PreparedTemplate,
    TemplateError,
    load_template,
    parse_template_file,
)

log = logging.getLogger("infra.local")

#: Template parameters whose value is the name of an SSM SecureString the stack expects to exist.
SECURE_PARAMETERS: tuple[str, ...] = ("JwtSecretParameterName",)

#: Local values of template parameters that have no Default (a real deploy must name them).
LOCAL_PARAMETER_VALUES: dict[str, str] = {"JwtSecretParameterName": "/cirrus/local/jwt-secret"}


#: Environment every local process uses to reach moto (the app reads nothing else).
def aws_environment(endpoint_url: str | None, region: str = "us-east-1") -> dict[str, str]:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    return env


@dataclass
class Deployment:
    repo_root: Path
    prepared: PreparedTemplate
    stack: StackResources
    runtimes: dict[str, FunctionRuntime]  # by function logical id

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function of the template directly (no moto round trip)."""
        try:
            runtime = self.runtimes[logical_id]
        except KeyError:
            raise KeyError(
                f"{logical_id} is not a function of the template ({', '.join(self.runtimes)})"
            ) from None
        return runtime.invoke(event)

    def close(self) -> None:
        lambda_runtime.unregister(self.runtimes.values())


def layer_paths(repo_root: Path, prepared: PreparedTemplate) -> list[Path]:
    paths: list[Path] = []
    for rel in prepared.layer_uris.values():
        folder = (repo_root / rel).resolve()
        paths.append(folder)
        if (folder / "python").is_dir():
            paths.append(folder / "python")
    return paths


def deploy(
    repo_root: str | os.PathLike[str],
    *,
    stack_name: str,
    parameters: Mapping[str, Any] | None = None,
    region: str = "us-east-1",
    cache_dir: str | os.PathLike[str] | None = None,
) -> Deployment:
    """Load, transform and create ``template.yaml`` in the active moto; register the functions."""
    root = Path(repo_root).resolve()
    moto_patches.apply()
    values = with_local_values(root, parameters)
    prepared = load_template(root, values, cache_dir=cache_dir, region=region)
    stack = deploy_stack(prepared, stack_name=stack_name, region=region)
    register_schedule_rules(stack)
    verify_email_senders(stack)
    lambda_runtime.add_to_sys_path(reversed(layer_paths(root, prepared)))
    runtimes: dict[str, FunctionRuntime] = {}
    for logical_id, info in stack.functions.items():
        if info.code_uri is None:
            log.warning("%s has no local CodeUri; invoking it fails", logical_id)
            continue
        runtime = FunctionRuntime(
            logical_id=logical_id,
            function_name=info.name,
            function_arn=info.arn,
            code_dir=(root / info.code_uri).resolve(),
            handler=info.handler,
            timeout=info.timeout,
            memory_mb=info.memory_mb,
        )
        runtimes[logical_id] = runtime
        lambda_runtime.register(runtime)
    lambda_runtime.install_moto_hook()
    deployment = Deployment(repo_root=root, prepared=prepared, stack=stack, runtimes=runtimes)
    stack.invoker = deployment.invoke
    return deployment


def with_local_values(repo_root: Path, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The caller's parameters plus a local value for every required one it left out."""
    declared = parse_template_file(repo_root / TEMPLATE_FILE).get("Parameters") or {}
    values = dict(parameters or {})
    for name, spec in declared.items():
        if name in values or "Default" in (spec or {}):
            continue
        if name not in LOCAL_PARAMETER_VALUES:
            raise TemplateError(
                f"template parameter {name} has no Default and no local value: pass it, or add it "
                "to infra.local.deployment.LOCAL_PARAMETER_VALUES"
            )
        values[name] = LOCAL_PARAMETER_VALUES[name]
    return values


def verify_email_senders(stack: StackResources) -> list[str]:
    """Create (verified) the SES identities the functions send from (`SES_SENDER_ADDRESS`): the
    template's AWS::SES::EmailIdentity is not created by moto's CloudFormation, and moto's SES
    refuses to send from an unverified address, as SES does."""
    import boto3

    senders = sorted(
        {info.environment.get("SES_SENDER_ADDRESS", "") for info in stack.functions.values()} - {""}
    )
    ses = boto3.client("sesv2", region_name=stack.region)
    for address in senders:
        with contextlib.suppress(ses.exceptions.AlreadyExistsException):
            ses.create_email_identity(EmailIdentity=address)
    return senders


def register_schedule_rules(stack: StackResources) -> list[str]:
    """Put each named schedule rule in moto's EventBridge (no targets: the ticker fires them)."""
    import boto3

    events = boto3.client("events", region_name=stack.region)
    names = []
    for schedule in stack.schedules:
        if schedule.source_type != "AWS::Events::Rule" or not schedule.rule_name:
            continue
        events.put_rule(
            Name=schedule.rule_name,
            ScheduleExpression=schedule.expression,
            State="ENABLED" if schedule.enabled else "DISABLED",
        )
        names.append(schedule.rule_name)
    return names


def ensure_secure_parameters(
    stack: StackResources,
    value_for: Mapping[str, str] | None = None,
    names: Iterable[str] = SECURE_PARAMETERS,
) -> dict[str, str]:
    """Create the SSM SecureStrings the template expects (if missing); return name -> value."""
    import boto3

    ssm = boto3.client("ssm", region_name=stack.region)
    created: dict[str, str] = {}
    for parameter in names:
        ssm_name = stack.parameters.get(parameter)
        if not ssm_name:
            continue
        try:
            value = ssm.get_parameter(Name=ssm_name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            value = (value_for or {}).get(ssm_name) or secrets.token_urlsafe(32)
            ssm.put_parameter(Name=ssm_name, Value=value, Type="SecureString", Overwrite=True)
        created[ssm_name] = value
    return created
