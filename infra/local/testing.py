"""Deploy the real ``template.yaml`` inside ``moto.mock_aws`` for component tests (no server).

The component tests exercise handlers against the same engine and the same resources as the local
cloud - tables with their real keys and indexes, queues with their redrive policies, the executing
Express state machine whose Task states run the real functions - built from the template, so the
test schema cannot drift from the deployed one::

    import pytest
    from infra.local.testing import deployed_template

    @pytest.fixture(scope="module")
    def stack():
        with deployed_template() as resources:
            yield resources

    def test_something(stack):
        table = stack["OrdersTable"]                 # physical name, also in os.environ
        result = stack.invoke("FulfilmentTaskFunction", {"task": "confirm", ...})
        assert not result.errored, result.payload

Inside the block the process environment holds what the functions see in AWS (``ORDERS_TABLE``,
``FULFILMENT_STATE_MACHINE_ARN``, ...), fake credentials, and no ``AWS_ENDPOINT_URL`` (``mock_aws``
intercepts boto3 in-process; an endpoint would bypass it). The JWT SSM SecureString exists with the
value :data:`TEST_JWT_SECRET`. ``oms.runtime.reinit()`` is called on entry and exit when the app
provides it. Everything is restored on exit.

Speed: the SAM transform is cached in memory and in ``<repo>/.local/cache``; a deploy takes about
0.3 s after the first one in a process.

Import this module before anything creates a boto3 client: moto intercepts only clients created
after ``moto`` was imported (importing this module imports it), so a client cached at import time
by code imported earlier would talk to the real AWS endpoint.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import moto  # noqa: F401  (imported early on purpose: see the module docstring)

from infra.local.deployment import aws_environment, deploy, ensure_secure_parameters
from infra.local.housekeeping import wait_for_executions
from infra.local.stack import StackResources

log = logging.getLogger("infra.local")

__all__ = ["MOCK_CONFIG", "REPO_ROOT", "TEST_JWT_SECRET", "deployed_template", "wait_for_executions"]

REPO_ROOT = Path(__file__).resolve().parents[2]
MOCK_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}}
TEST_JWT_SECRET = "cirrus-test-jwt-secret-not-for-production"


def reset_app_config() -> None:
    """Let the application re-read its environment (tables, ARNs) if it caches it."""
    try:
        runtime = importlib.import_module("oms.runtime")
    except ImportError:
        return
    reinit = getattr(runtime, "reinit", None)
    if callable(reinit):
        reinit()


@contextlib.contextmanager
def _patched_environ(values: Mapping[str, str], remove: tuple[str, ...]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*values, *remove)}
    saved.update({k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL")})
    try:
        for key in list(os.environ):
            if key in remove or key.startswith("AWS_ENDPOINT_URL"):
                del os.environ[key]
        os.environ.update(values)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def deployed_template(
    repo_root: str | os.PathLike[str] | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    stack_name: str = "cirrus-test",
    region: str = "us-east-1",
    extra_env: Mapping[str, str] | None = None,
    jwt_secret: str = TEST_JWT_SECRET,
    settle_seconds: float = 5.0,
) -> Iterator[StackResources]:
    """Deploy ``template.yaml`` into a fresh ``mock_aws``; yield its :class:`StackResources`.

    ``settle_seconds``: on exit, wait this long at most for running executions to finish before the
    mock goes away under them.
    """
    from moto import mock_aws

    root = Path(repo_root).resolve() if repo_root is not None else REPO_ROOT
    with (
        _patched_environ(aws_environment(None, region), remove=("AWS_PROFILE",)),
        mock_aws(config=MOCK_CONFIG),
    ):
        deployment = deploy(
            root,
            stack_name=stack_name,
            parameters=parameters,
            region=region,
            cache_dir=root / ".local" / "cache",
        )
        stack = deployment.stack
        try:
            secrets = {name: jwt_secret for name in _secure_parameter_names(stack)}
            ensure_secure_parameters(stack, secrets)
            with _patched_environ({**stack.environment, **(extra_env or {})}, remove=()):
                reset_app_config()
                try:
                    yield stack
                finally:
                    if not wait_for_executions(settle_seconds):
                        log.warning("executions still running when the mock stops")
        finally:
            deployment.close()
    reset_app_config()


def _secure_parameter_names(stack: StackResources) -> list[str]:
    from infra.local.deployment import SECURE_PARAMETERS

    return [stack.parameters[p] for p in SECURE_PARAMETERS if stack.parameters.get(p)]
