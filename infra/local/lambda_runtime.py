"""Run the template's Lambda functions in this process, straight from their source folders.

moto would run Lambda code in Docker (not available) or only echo the input. Every path into a
Lambda in moto - Invoke, the Step Functions ``lambda:invoke`` integration, event source mappings -
ends in ``LambdaFunction._invoke_lambda(self, event) -> (payload_json, errored, logs)``;
:func:`install_moto_hook` replaces it with a call into the :class:`FunctionRuntime` registered for
that function name. The gateway, pollers and ticker call :meth:`FunctionRuntime.invoke` directly.

How a function is loaded, like the Python Lambda runtime would:

* the handler ``"<module path>.<attribute>"`` (``app.handler``; ``app.app`` for a Chalice app, which
  is itself callable as ``(event, context)``) is imported from ``<repo>/<CodeUri>/<module>.py``
  under a *unique* module name, because every function folder has an ``app.py``;
* layer folders (``<repo>/layers/oms``, and ``python/`` inside a layer if present) and the function
  folders are on ``sys.path``; since all functions share one interpreter, helper modules next to
  ``app.py`` must have names unique across functions;
* the context has ``function_name``, ``function_version``, ``invoked_function_arn``,
  ``memory_limit_in_mb``, ``aws_request_id``, ``log_group_name``, ``log_stream_name`` and
  ``get_remaining_time_in_millis()``;
* an exception becomes ``errored=True`` with the payload ``{"errorType": <class name>,
  "errorMessage": ..., "stackTrace": [...]}`` so Step Functions ``Retry``/``Catch`` match on the class
  name, and a result that is not JSON-serialisable (a ``Decimal``...) fails with
  ``Runtime.MarshalError`` as it would in AWS.

Concurrency, like a few warm Lambda containers per function: each function has its own pool of
long-lived threads (``CIRRUS_LOCAL_LAMBDA_CONCURRENCY``, default 4), so invocations of the same
function overlap up to that many, as Lambda scales out. Unlike Lambda, the containers share one
interpreter, so handlers must keep per-invocation state per thread (oms' Chalice app keeps
``current_request`` thread-local); set the variable to 1 for a handler that cannot. If every
container is still busy after the function's ``Timeout`` (a function that synchronously invokes
itself, say), the extra invocation runs on the caller's thread with a warning instead of
deadlocking.

Environment variables cannot differ per function in one process: :func:`merge_environments` builds
the union once and refuses conflicting values.

With a chaos plan (``chaos.py``) a share of invocations fail with ``Lambda.ServiceException``,
before the handler runs or after it ran (``Invocation.injected`` says which), and the AWS calls a
handler makes are marked as its invocation's, so the plan can throttle them.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import importlib.util
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from infra.local import chaos

log = logging.getLogger("infra.local.lambda")
_no_marker = contextlib.nullcontext

__all__ = [
    "EnvironmentConflictError",
    "FunctionRuntime",
    "Invocation",
    "LambdaContext",
    "current_function",
    "install_moto_hook",
    "merge_environments",
    "register",
    "registered",
    "unregister",
]

_running = threading.local()  # which function's handler runs on this thread (if any)
# ... and in this context: a handler that hands work to its own threads with the context copied
# (contextvars.copy_context().run) keeps that work attributed to it
_running_in_context: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cirrus_function", default=None
)


def current_function() -> str | None:
    """Logical id of the function whose handler runs on this thread now (or whose context this
    thread runs in), else None (tests use it to tell which function made an AWS call)."""
    return getattr(_running, "function", None) or _running_in_context.get()


class EnvironmentConflictError(Exception):
    """Two functions set the same environment variable to different values."""


@dataclass
class LambdaContext:
    """The parts of the Lambda context object that handlers and Powertools use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    timeout_seconds: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        if not self.log_stream_name:
            self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation."""

    payload: Any  # the handler's result, or the error payload when errored
    errored: bool
    request_id: str
    duration_ms: float
    injected: str | None = None  # "before"/"after": a fault the chaos plan injected (chaos.py)

    @property
    def error_type(self) -> str | None:
        return self.payload.get("errorType") if self.errored and isinstance(self.payload, dict) else None

    def payload_json(self) -> str:
        return json.dumps(self.payload)


def _error_payload(exc: BaseException, request_id: str) -> dict[str, Any]:
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next  # start at the handler, like the Lambda runtime's trace
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(tb),
    }


class FunctionRuntime:
    """One function of the template, loadable and invocable in-process."""

    def __init__(
        self,
        *,
        logical_id: str,
        function_name: str,
        function_arn: str,
        code_dir: Path,
        handler: str,
        timeout: float = 3,
        memory_mb: int = 128,
    ) -> None:
        self.logical_id = logical_id
        self.function_name = function_name
        self.function_arn = function_arn
        self.code_dir = Path(code_dir)
        self.handler = handler
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)
        self._callable: Callable[[Any, Any], Any] | None = None
        self._module: ModuleType | None = None
        self._lock = threading.Lock()
        # A few warm "containers" (threads) per function, like Lambda scaling out. Handlers must be
        # thread-safe in-process (oms' Chalice app keeps its current request per thread); set
        # CIRRUS_LOCAL_LAMBDA_CONCURRENCY=1 to run each function's invocations one at a time.
        self.concurrency = max(1, int(os.environ.get("CIRRUS_LOCAL_LAMBDA_CONCURRENCY", "4")))
        self._container = threading.BoundedSemaphore(self.concurrency)
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._container_threads: set[int] = set()
        self.running = 0  # invocations under way (the local cloud's quiet check reads it)
        self._count_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FunctionRuntime({self.logical_id}, {self.code_dir}, {self.handler})"

    @property
    def module_name(self) -> str:
        module_path, _, _ = self.handler.rpartition(".")
        safe = "".join(c if c.isalnum() else "_" for c in f"{self.logical_id}_{module_path}")
        return f"cirrus_local_fn_{safe}"

    def load(self) -> Callable[[Any, Any], Any]:
        """Import the handler (once; thread-safe) and return the callable."""
        if self._callable is not None:
            return self._callable
        with self._lock:
            if self._callable is None:
                module_path, _, attribute = self.handler.rpartition(".")
                if not module_path or not attribute:
                    raise ValueError(f"{self.logical_id}: bad Handler {self.handler!r}")
                relative = Path(*module_path.split("."))
                candidates = [
                    self.code_dir / relative.with_suffix(".py"),
                    self.code_dir / relative / "__init__.py",
                ]
                source = next((p for p in candidates if p.exists()), None)
                if source is None:
                    raise ModuleNotFoundError(
                        f"{self.logical_id}: handler module {module_path!r} not found in {self.code_dir}"
                    )
                add_to_sys_path([self.code_dir])
                spec = importlib.util.spec_from_file_location(self.module_name, source)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {source}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[self.module_name] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(self.module_name, None)
                    raise
                handler = getattr(module, attribute, None)
                if handler is None or not callable(handler):
                    raise AttributeError(f"{self.logical_id}: {source} has no callable {attribute!r}")
                self._module = module
                self._callable = handler
        assert self._callable is not None
        return self._callable

    def make_context(self, request_id: str | None = None) -> LambdaContext:
        return LambdaContext(
            function_name=self.function_name,
            invoked_function_arn=self.function_arn,
            memory_limit_in_mb=self.memory_mb,
            aws_request_id=request_id or str(uuid.uuid4()),
            timeout_seconds=self.timeout,
        )

    def invoke(self, event: Any, *, request_id: str | None = None) -> Invocation:
        """Call the handler with a JSON-like event; never raises for handler errors.

        Runs on one of this function's container threads (see the module docstring).
        """
        if threading.get_ident() in self._container_threads:
            return self._run(event, request_id)  # the handler invokes itself in-process
        if not self._container.acquire(timeout=max(self.timeout, 1.0)):
            log.warning(
                "%s is still busy after %.0f s; running another invocation concurrently",
                self.logical_id,
                self.timeout,
            )
            return self._run(event, request_id)
        try:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.concurrency,
                    thread_name_prefix=f"lambda-{self.logical_id}",
                    initializer=self._mark_thread,
                )
            return self._executor.submit(self._run, event, request_id).result()
        finally:
            self._container.release()

    def _mark_thread(self) -> None:
        self._container_threads.add(threading.get_ident())

    def close(self) -> None:
        """Let the container thread go (after the invocation it may be running)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    def _call_handler(self, event: Any, context: LambdaContext) -> Any:
        outer = getattr(_running, "function", None)
        _running.function = self.logical_id
        token = _running_in_context.set(self.logical_id)
        try:
            handler = self.load()
            # Lambda hands the handler a fresh deserialisation of the event, never the caller's object.
            return handler(json.loads(json.dumps(event)), context)
        finally:
            _running_in_context.reset(token)
            _running.function = outer

    def _run(self, event: Any, request_id: str | None) -> Invocation:
        with self._count_lock:
            self.running += 1
        try:
            return self._run_handler(event, request_id)
        finally:
            with self._count_lock:
                self.running -= 1

    def _run_handler(self, event: Any, request_id: str | None) -> Invocation:
        context = self.make_context(request_id)
        started = time.perf_counter()
        plan = chaos.active()
        fault = plan.lambda_fault(self.logical_id) if plan is not None else None
        if fault == "before":
            return self._injected(fault, context.aws_request_id, started)
        try:
            with chaos.invocation(self.logical_id, context.aws_request_id) if plan else _no_marker():
                result = self._call_handler(event, context)
        except Exception as exc:
            duration = (time.perf_counter() - started) * 1000
            log.warning("%s failed: %s: %s", self.logical_id, type(exc).__name__, exc)
            log.debug("%s traceback:\n%s", self.logical_id, "".join(traceback.format_exception(exc)))
            return Invocation(
                _error_payload(exc, context.aws_request_id), True, context.aws_request_id, duration
            )
        duration = (time.perf_counter() - started) * 1000
        try:
            payload = json.loads(json.dumps(result))
        except (TypeError, ValueError) as exc:
            log.warning("%s returned a value Lambda cannot serialise: %s", self.logical_id, exc)
            error = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": context.aws_request_id,
                "stackTrace": [],
            }
            return Invocation(error, True, context.aws_request_id, duration)
        if duration > self.timeout * 1000:
            log.warning(
                "%s ran %.0f ms, longer than its Timeout of %.0f s (AWS would have stopped it)",
                self.logical_id,
                duration,
                self.timeout,
            )
        if fault == "after":
            return self._injected(fault, context.aws_request_id, started)
        return Invocation(payload, False, context.aws_request_id, duration)

    def _injected(self, where: str, request_id: str, started: float) -> Invocation:
        log.info("chaos: %s fails %s the handler", self.logical_id, where)
        error = chaos.injected_error(where, self.logical_id, request_id)
        duration = (time.perf_counter() - started) * 1000
        return Invocation(error, True, request_id, duration, injected=where)


# --------------------------------------------------------------------------- registry + hook

_registry: dict[str, FunctionRuntime] = {}
_registry_lock = threading.Lock()
_sys_path_lock = threading.Lock()


def add_to_sys_path(paths: Iterable[Path]) -> None:
    """Put folders on ``sys.path`` once (layers first, like /opt/python in Lambda)."""
    with _sys_path_lock:
        for path in paths:
            text = str(Path(path).resolve())
            if text not in sys.path:
                sys.path.insert(0, text)


def register(runtime: FunctionRuntime) -> None:
    with _registry_lock:
        _registry[runtime.function_name] = runtime


def unregister(runtimes: Iterable[FunctionRuntime]) -> None:
    with _registry_lock:
        for runtime in runtimes:
            if _registry.get(runtime.function_name) is runtime:
                del _registry[runtime.function_name]
            runtime.close()


def registered(function_name: str) -> FunctionRuntime | None:
    with _registry_lock:
        return _registry.get(function_name)


def install_moto_hook() -> None:
    """Make moto's Lambda run registered functions in-process (idempotent)."""
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction._invoke_lambda, "__cirrus_hook__", False):
        return

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        runtime = registered(self.function_name)
        if isinstance(event, (bytes, str)):
            event = json.loads(event or "{}")
        if runtime is None:
            error = {
                "errorType": "Runtime.LocalCodeNotFound",
                "errorMessage": f"{self.function_name} is not a function of the deployed template",
                "stackTrace": [],
            }
            return json.dumps(error), True, ""
        outcome = runtime.invoke({} if event is None else event)
        return outcome.payload_json(), outcome.errored, ""

    _invoke_lambda.__cirrus_hook__ = True  # type: ignore[attr-defined]
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def merge_environments(environments: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Union of every function's variables; a name with two different values is an error."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    conflicts = []
    for logical_id, env in environments.items():
        for name, value in env.items():
            text = "" if value is None else str(value)
            if name in merged and merged[name] != text:
                conflicts.append(f"{name}: {owner[name]}={merged[name]!r} but {logical_id}={text!r}")
                continue
            merged[name] = text
            owner.setdefault(name, logical_id)
    if conflicts:
        raise EnvironmentConflictError(
            "functions share one process locally, so an environment variable must have one value; "
            "conflicts: " + "; ".join(conflicts)
        )
    return merged
