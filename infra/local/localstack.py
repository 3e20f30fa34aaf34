"""Optional LocalStack tier: run the same application and tests against LocalStack instead.

The application needs nothing from this package to run on LocalStack: it reaches AWS only through
boto3 defaults and ``AWS_ENDPOINT_URL``, so pointing ``AWS_ENDPOINT_URL`` at LocalStack is enough.
This helper only serves tests marked ``localstack`` (skipped unless ``LOCALSTACK_ENDPOINT`` is set,
e.g. ``http://localhost:4566``): it builds the environment and reads a stack deployed there (with
``samlocal deploy`` or the LocalStack CLI) into the same logical-id -> physical-id view and merged
function environment that the embedded cloud provides.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from infra.local.deployment import aws_environment
from infra.local.lambda_runtime import merge_environments

__all__ = ["LOCALSTACK_ENV", "localstack_endpoint", "localstack_environment", "session", "stack_view"]

LOCALSTACK_ENV = "LOCALSTACK_ENDPOINT"


def localstack_endpoint() -> str | None:
    """The configured LocalStack endpoint, or None when the tier is off."""
    value = os.environ.get(LOCALSTACK_ENV, "").strip()
    return value.rstrip("/") or None


def localstack_environment(endpoint: str | None = None, region: str = "us-east-1") -> dict[str, str]:
    """Environment for a process (the app, a test) that should talk to LocalStack."""
    target = endpoint or localstack_endpoint()
    if not target:
        raise RuntimeError(f"set {LOCALSTACK_ENV} (e.g. http://localhost:4566)")
    return aws_environment(target, region)


def session(endpoint: str | None = None, region: str = "us-east-1") -> Any:
    """A boto3-compatible session aimed at LocalStack (``localstack_client`` when installed)."""
    target = endpoint or localstack_endpoint()
    if not target:
        raise RuntimeError(f"set {LOCALSTACK_ENV} (e.g. http://localhost:4566)")
    parts = urlsplit(target)
    try:
        from localstack_client.session import Session

        return Session(
            localstack_host=f"{parts.hostname or 'localhost'}:{parts.port or 4566}", region_name=region
        )
    except ImportError:
        import boto3

        class _EndpointSession:
            def __init__(self) -> None:
                self._session = boto3.session.Session(
                    aws_access_key_id="test", aws_secret_access_key="test", region_name=region
                )

            def client(self, service: str, **kwargs: Any) -> Any:
                return self._session.client(service, endpoint_url=target, **kwargs)  # type: ignore[call-overload]

            def resource(self, service: str, **kwargs: Any) -> Any:
                return self._session.resource(service, endpoint_url=target, **kwargs)  # type: ignore[call-overload]

        return _EndpointSession()


def stack_view(stack_name: str, endpoint: str | None = None, region: str = "us-east-1") -> dict[str, Any]:
    """``{"resources": {logical id: physical id}, "environment": merged function env}``."""
    aws = session(endpoint, region)
    cloudformation = aws.client("cloudformation")
    lambda_client = aws.client("lambda")
    resources: dict[str, str] = {}
    environments: dict[str, Mapping[str, Any]] = {}
    paginator = cloudformation.get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            logical_id = summary["LogicalResourceId"]
            physical_id = summary.get("PhysicalResourceId")
            if physical_id:
                resources[logical_id] = physical_id
            if summary["ResourceType"] == "AWS::Lambda::Function" and physical_id:
                config = lambda_client.get_function_configuration(FunctionName=physical_id)
                environments[logical_id] = (config.get("Environment") or {}).get("Variables") or {}
    return {"resources": resources, "environment": merge_environments(environments)}
