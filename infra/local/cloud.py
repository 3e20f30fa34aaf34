"""The embedded local cloud: every service of the template, in one process, offline.

``make run`` and the end-to-end tests use it; application code never imports it. The application
reaches "AWS" only through boto3 defaults and ``AWS_ENDPOINT_URL``, exactly as it would reach
LocalStack or AWS, so the same code runs unchanged in all three places.

What :meth:`LocalCloud.start` does, in order:

1. starts moto's ``ThreadedMotoServer`` on 127.0.0.1 (a free port unless given) with Step Functions
   execution enabled, applies ``moto_patches`` and installs the in-process Lambda hook, and points
   this process at it (``AWS_ENDPOINT_URL``, fake credentials, ``us-east-1``,
   ``AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled``);
2. deploys ``template.yaml`` (``deployment.deploy``) and applies the union of the functions'
   resolved environments to ``os.environ`` (functions share the process; conflicts are an error);
3. creates the SSM SecureStrings the template expects (the JWT secret, kept in the state dir so
   tokens stay valid across restarts), restores persisted data (or wipes it with ``fresh=True``),
   and loads the demo data when every table is empty (``oms.demo.seed_demo_data()`` if present), or,
   with saved state, the demo data of features added since (``oms.demo.seed_added_features()``);
4. starts one poller per SQS event source mapping, the schedule ticker, the HTTP gateway
   (``api_url``; Function URLs under ``/_fn/<LogicalId>/``), periodic persistence and housekeeping,
   and the warehouse/carrier simulator if the app provides one (``start(cloud)`` in
   ``oms.simulator`` or ``infra.local.simulator``); with a chaos plan (``chaos_spec=`` or
   ``CIRRUS_CHAOS``, see ``chaos.py``) faults are injected from then on.

:meth:`stop` persists, stops every thread and the server, empties moto's (process-wide) backends
and restores the environment. The class is a context manager::

    with LocalCloud(REPO_ROOT, api_port=0, fresh=True, state_dir=tmp) as cloud:
        requests.get(cloud.api_url + "/health")
        cloud.invoke("MaintenanceFunction", {"job": "reservations"})
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from infra.local import chaos, lambda_runtime, moto_patches
from infra.local.chaos import ChaosPlan, ChaosSpec
from infra.local.control import Control
from infra.local.deployment import Deployment, aws_environment, deploy, ensure_secure_parameters
from infra.local.gateway import Gateway, PortInUseError, port_is_free
from infra.local.housekeeping import Housekeeper
from infra.local.lambda_runtime import Invocation
from infra.local.persistence import Persister, RestoreReport, StateStore
from infra.local.pollers import QueuePoller, StreamPoller
from infra.local.schedule import ScheduledJob, Ticker
from infra.local.stack import StackResources

log = logging.getLogger("infra.local")

__all__ = ["REPO_ROOT", "LocalCloud", "PortInUseError"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_LOGIN = ("admin@example.com", "admin123")
SIMULATOR_MODULES = ("oms.simulator", "infra.local.simulator")


def reset_app() -> None:
    """Let the application re-read its (just changed) environment, if it caches it."""
    try:
        runtime = importlib.import_module("oms.runtime")
    except ImportError:
        return
    reinit = getattr(runtime, "reinit", None)
    if callable(reinit):
        reinit()


def _reset_moto() -> None:
    """Empty every moto backend of this process (what ``POST /moto-api/reset`` does)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


class LocalCloud:
    """Everything ``template.yaml`` declares, served from this process (see the module docstring)."""

    def __init__(
        self,
        repo_root: str | os.PathLike[str] = REPO_ROOT,
        *,
        api_port: int = 3000,
        host: str = "127.0.0.1",
        moto_port: int = 0,
        state_dir: str | os.PathLike[str] | None = None,
        fresh: bool = False,
        speed: float = 1.0,
        parameters: Mapping[str, Any] | None = None,
        stack_name: str = "cirrus-local",
        persist: bool = True,
        seed: bool = True,
        simulator: bool = True,
        save_interval: float = 30.0,
        housekeeping_interval: float = 30.0,
        chaos_spec: str | ChaosSpec | None = None,
    ) -> None:
        self.repo_root = Path(repo_root).resolve()
        self.host = host
        self.api_port = api_port
        self.moto_port = moto_port
        self.state_dir = Path(state_dir) if state_dir else self.repo_root / ".local" / "state"
        self.fresh = fresh
        self.speed = float(speed) if speed else 1.0
        self.parameters = dict(parameters or {})
        self.stack_name = stack_name
        self.persist = persist
        self.seed = seed
        self.simulator_enabled = simulator
        self.save_interval = save_interval
        self.housekeeping_interval = housekeeping_interval
        # faults to inject (chaos.py); None: whatever CIRRUS_CHAOS says, "" or an empty spec: none
        self.chaos_spec = ChaosSpec.parse(chaos_spec) if isinstance(chaos_spec, str) else chaos_spec
        if chaos_spec is None:
            self.chaos_spec = chaos.from_environment()
        self.chaos: ChaosPlan | None = None

        self.deployment: Deployment | None = None
        self.gateway: Gateway | None = None
        self.pollers: list[QueuePoller] = []
        self.stream_pollers: list[StreamPoller] = []
        self.ticker: Ticker | None = None
        self.persister: Persister | None = None
        self.housekeeper: Housekeeper | None = None
        self.simulator: Any = None
        self.restored: RestoreReport | None = None
        self.seeded: Any = None
        self.startup_seconds: float | None = None
        self._server: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_sfn_config: Any = None
        self._started = False
        self._stop_lock = threading.Lock()

    # ----------------------------------------------------------------- public surface
    @property
    def resources(self) -> StackResources:
        if self.deployment is None:
            raise RuntimeError("the local cloud is not started")
        return self.deployment.stack

    @property
    def api_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the local cloud is not started")
        return self.gateway.url

    @property
    def function_urls(self) -> dict[str, str]:
        if self.gateway is None:
            return {}
        return {fn: self.gateway.function_url(fn) for fn in self.gateway.function_urls}

    @property
    def moto_endpoint(self) -> str:
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def invoke(self, logical_id: str, event: Any) -> Invocation:
        """Invoke a function of the template directly (returns an ``Invocation``)."""
        if self.deployment is None:
            raise RuntimeError("the local cloud is not started")
        return self.deployment.invoke(logical_id, event)

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- start
    def start(self) -> LocalCloud:
        if self._started:
            return self
        started = time.perf_counter()
        if not port_is_free(self.host, self.api_port):
            raise PortInUseError(98, f"port {self.api_port} on {self.host} is already in use")
        if self.moto_port and not port_is_free("127.0.0.1", self.moto_port):
            raise PortInUseError(98, f"moto port {self.moto_port} is already in use")
        self._started = True
        try:
            self._start_moto()
            self._deploy()
            self._prepare_data()
            self._start_services()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.perf_counter() - started
        return self

    def _set_env(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            if key not in self._saved_env:
                self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value

    def _start_moto(self) -> None:
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        # moto's request handler logs one line per AWS call through werkzeug's logger, which prints
        # to stderr when nothing configured it; the gateway has its own (opt-in) access log.
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET:
            werkzeug_log.setLevel(logging.WARNING)
        self._saved_sfn_config = default_user_config.get("stepfunctions")
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        moto_patches.apply()
        lambda_runtime.install_moto_hook()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._server.start()
        endpoint = self.moto_endpoint
        for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
            self._saved_env.setdefault(key, os.environ.get(key))
            del os.environ[key]
        self._set_env({**aws_environment(endpoint), "MOTO_PORT": endpoint.rsplit(":", 1)[-1]})
        for key in ("AWS_PROFILE",):
            if key in os.environ:
                self._saved_env.setdefault(key, os.environ[key])
                del os.environ[key]
        log.debug("moto server at %s", endpoint)

    def _deploy(self) -> None:
        self.deployment = deploy(
            self.repo_root,
            stack_name=self.stack_name,
            parameters=self.parameters,
            cache_dir=self.repo_root / ".local" / "cache",
        )
        stack = self.deployment.stack
        overridden = {k for k, v in stack.environment.items() if os.environ.get(k) not in (None, v)}
        if overridden:
            log.info("function environment overrides %s", ", ".join(sorted(overridden)))
        self._set_env(stack.environment)
        reset_app()

    def _secret_values(self) -> dict[str, str]:
        path = self.state_dir / "secrets.json"
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}

    def _prepare_data(self) -> None:
        assert self.deployment is not None
        stack = self.deployment.stack
        if self.fresh:
            StateStore.wipe(self.state_dir)
            (self.state_dir / "secrets.json").unlink(missing_ok=True)
        created = ensure_secure_parameters(stack, self._secret_values())
        if self.persist:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            secrets_file = self.state_dir / "secrets.json"
            secrets_file.write_text(json.dumps(created), encoding="utf-8")
            secrets_file.chmod(0o600)
        store = StateStore(self.state_dir, stack, self.deployment.prepared.digest)
        if self.persist:
            self.restored = store.restore()
            if self.restored.items or self.restored.messages:
                log.info("restored %s from %s", self.restored, self.state_dir)
        if self.seed and self._tables_empty():
            self.seeded = self._seed()
        elif self.seed:
            self._seed_added_features()
        if self.persist:
            self.persister = Persister(store, interval=self.save_interval)

    def _tables_empty(self) -> bool:
        from moto.dynamodb.models import dynamodb_backends

        assert self.deployment is not None
        stack = self.deployment.stack
        backend = dynamodb_backends[stack.account_id][stack.region]
        for resource in stack.of_type("AWS::DynamoDB::Table").values():
            table = backend.tables.get(str(resource.physical_id))
            if table is not None and len(table) > 0:
                return False
        return True

    def _seed(self) -> Any:
        try:
            demo = importlib.import_module("oms.demo")
        except ImportError:
            log.info("no oms.demo module: starting with empty tables")
            return None
        seed = getattr(demo, "seed_demo_data", None)
        if not callable(seed):
            return None
        result = seed()
        log.info("loaded demo data: %s", result)
        return result

    def _seed_added_features(self) -> None:
        """Saved state from before a feature existed: its demo data now (oms.demo decides what
        is missing; nothing a merchant changed is overwritten)."""
        try:
            demo = importlib.import_module("oms.demo")
        except ImportError:
            return
        seed = getattr(demo, "seed_added_features", None)
        if callable(seed):
            seed()

    def _start_services(self) -> None:
        assert self.deployment is not None
        stack = self.deployment.stack
        invoke = self.deployment.invoke
        for source in stack.queue_sources:
            runtime = self.deployment.runtimes.get(source.function)
            queue_poller = QueuePoller(
                source,
                invoke,
                region=stack.region,
                speed=self.speed,
                concurrency=runtime.concurrency if runtime is not None else 1,
            )
            self.pollers.append(queue_poller.start())
        for stream in stack.stream_sources:
            poller = StreamPoller(
                stream, invoke, account_id=stack.account_id, region=stack.region, speed=self.speed
            )
            self.stream_pollers.append(poller.start())
        jobs = [
            ScheduledJob(
                name=s.name,
                function=s.function,
                expression=s.expression,
                input=s.input,
                timezone=s.timezone,
                resource_arn=s.resource_arn(stack.region, stack.account_id),
            )
            for s in stack.schedules
            if s.enabled
        ]
        self.ticker = Ticker(jobs, invoke, speed=self.speed, account_id=stack.account_id, region=stack.region)
        self.ticker.start()
        # after the demo data is in: faults start with the services (the seeding is never hit)
        self.chaos = chaos.configure(self.chaos_spec, speed=self.speed)
        self.gateway = Gateway(
            stack, invoke, host=self.host, port=self.api_port, local_endpoints=Control(self)
        )
        self.gateway.start()
        # Function URLs live on the gateway here, not at AWS's URL moto would report: tell the app
        self._set_env({"CIRRUS_LOCAL_FUNCTION_URL_BASE": f"{self.gateway.url}/_fn"})
        reset_app()
        if self.persister is not None:
            self.persister.start()
        self.housekeeper = Housekeeper(
            interval=self.housekeeping_interval,
            polled_stream_tables=frozenset(s.table_name for s in stack.stream_sources),
        ).start()
        if self.simulator_enabled:
            self.simulator = self._start_simulator()

    def _start_simulator(self) -> Any:
        for module_name in SIMULATOR_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                if exc.name and module_name.startswith(exc.name):
                    continue
                raise
            start: Callable[[Any], Any] | None = getattr(module, "start", None)
            if callable(start):
                log.info("starting the simulator from %s", module_name)
                try:
                    return start(self)
                except Exception:
                    # The cloud is still useful without it (orders then wait for callbacks).
                    log.exception("the simulator from %s did not start", module_name)
                    return None
        return None

    # ----------------------------------------------------------------- stop
    def stop(self) -> None:
        """Persist, stop every thread and the server, restore the environment (idempotent)."""
        with self._stop_lock:
            if not self._started:
                return
            self._started = False
            # all at once: each may be in a 1 s long poll
            for queue_poller in self.pollers:
                queue_poller.request_stop()
            for stream_poller in self.stream_pollers:
                stream_poller.request_stop()
            stoppers: list[tuple[str, Callable[[], Any]]] = []
            if self.simulator is not None and hasattr(self.simulator, "stop"):
                stoppers.append(("simulator", self.simulator.stop))
            if self.gateway is not None:
                stoppers.append(("gateway", self.gateway.stop))
            if self.ticker is not None:
                stoppers.append(("ticker", self.ticker.stop))
            stoppers.extend((f"poller {p.source.name}", p.stop) for p in self.pollers)
            stoppers.extend((f"stream poller {p.source.name}", p.stop) for p in self.stream_pollers)
            if self.housekeeper is not None:
                stoppers.append(("housekeeping", self.housekeeper.stop))
            if self.persister is not None:
                stoppers.append(("persistence", self.persister.stop))
            for name, stop in stoppers:
                try:
                    stop()
                except Exception:
                    log.exception("stopping %s failed", name)
            chaos.configure(None)
            if self.deployment is not None:
                self.deployment.close()
            if self._server is not None:
                with contextlib.suppress(Exception):
                    # moto's backends are process-wide: leave nothing behind for a later cloud or mock.
                    _reset_moto()
                with contextlib.suppress(Exception):
                    self._server.stop()
                    server = getattr(self._server, "_server", None)
                    if server is not None:
                        server.server_close()
            self._restore_env()

    def _restore_env(self) -> None:
        from moto.core.config import default_user_config

        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if self._saved_sfn_config is not None:
            default_user_config["stepfunctions"] = self._saved_sfn_config
        reset_app()

    # ----------------------------------------------------------------- reporting
    def banner(self) -> list[str]:
        """Human-readable lines describing what is running (the CLI prints them)."""
        stack = self.resources
        lines = [f"API          {self.api_url}"]
        if any(route.path == "/app" for route in stack.routes):  # the dashboard (ADR 0027)
            lines.append(f"Dashboard    {self.api_url}/app/ (also {self.api_url}/; make web builds it)")
        for fn, url in self.function_urls.items():
            lines.append(f"Function URL {fn}: {url}")
        for poller in self.pollers:
            src = poller.source
            lines.append(
                f"Queue poller {src.name}: {src.queue_url.rsplit('/', 1)[-1]} -> {src.function} "
                f"(batch {src.batch_size}{', partial failures' if src.reports_batch_item_failures else ''})"
            )
        for stream_poller in self.stream_pollers:
            stream = stream_poller.source
            lines.append(
                f"Stream       {stream.name}: {stream.table} -> {stream.function} "
                f"(batch {stream.batch_size}, from {stream.starting_position})"
            )
        if self.ticker is not None:
            for line in self.ticker.describe():
                lines.append(
                    f"Schedule     {line}" + (f" [x{self.ticker.speed:g}]" if self.ticker.speed != 1 else "")
                )
        for text in stack.unsupported_sources:
            lines.append(f"Not served   {text}")
        lines.append(f"AWS endpoint {self.moto_endpoint} (moto; AWS_ENDPOINT_URL for the AWS CLI/SDKs)")
        lines.append(f"State        {self.state_dir}" + ("" if self.persist else " (not persisted)"))
        if self.restored and (self.restored.items or self.restored.messages):
            lines.append(f"Restored     {self.restored}")
        if self.seeded:
            lines.append(f"Demo data    {self.seeded}")
        lines.append(f"Demo login   {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}")
        if self.chaos is not None:
            lines.append(f"Chaos        {self.chaos.spec.describe()} ({self.api_url}/_local/chaos)")
        return lines
