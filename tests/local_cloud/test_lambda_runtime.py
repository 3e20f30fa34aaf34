"""The in-process Lambda runtime: loading, errors, context, one container per function, env union."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from infra.local.lambda_runtime import EnvironmentConflictError, FunctionRuntime, merge_environments


def _function(
    tmp_path: Path, folder: str, source: str, handler: str = "app.handler", **kwargs: float
) -> FunctionRuntime:
    code = tmp_path / folder
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(source, encoding="utf-8")
    return FunctionRuntime(
        logical_id=folder.title().replace("_", ""),
        function_name=f"stack-{folder}",
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{folder}",
        code_dir=code,
        handler=handler,
        timeout=kwargs.get("timeout", 3),
        memory_mb=256,
    )


def test_every_function_gets_its_own_app_module(tmp_path: Path) -> None:
    one = _function(tmp_path, "one", "NAME = 'one'\ndef handler(event, context):\n    return NAME\n")
    two = _function(tmp_path, "two", "NAME = 'two'\ndef handler(event, context):\n    return NAME\n")
    assert one.invoke({}).payload == "one"
    assert two.invoke({}).payload == "two"
    assert one.module_name != two.module_name


def test_callable_objects_are_handlers(tmp_path: Path) -> None:
    source = (
        "class App:\n"
        "    def __call__(self, event, context):\n"
        "        return {'ok': event['x']}\n"
        "app = App()\n"
    )
    runtime = _function(tmp_path, "chalice_like", source, handler="app.app")
    assert runtime.invoke({"x": 1}).payload == {"ok": 1}


def test_errors_are_lambda_shaped(tmp_path: Path) -> None:
    source = (
        "class OrderNotActionable(Exception):\n    pass\n"
        "def handler(event, context):\n    raise OrderNotActionable('nope')\n"
    )
    outcome = _function(tmp_path, "failing", source).invoke({})
    assert outcome.errored
    assert outcome.error_type == "OrderNotActionable"
    assert outcome.payload["errorMessage"] == "nope"
    assert "app.py" in outcome.payload["stackTrace"][0]
    missing = _function(tmp_path, "missing", "def handler(e, c):\n    return 1\n", handler="nothere.handler")
    assert missing.invoke({}).error_type == "ModuleNotFoundError"


def test_event_is_a_fresh_copy_and_context_is_complete(tmp_path: Path) -> None:
    source = (
        "def handler(event, context):\n"
        "    event['mutated'] = True\n"
        "    return [context.function_name, context.memory_limit_in_mb, context.invoked_function_arn,\n"
        "            bool(context.aws_request_id), context.get_remaining_time_in_millis() > 0,\n"
        "            context.function_version, context.log_group_name]\n"
    )
    event: dict[str, object] = {"a": 1}
    payload = _function(tmp_path, "ctx", source).invoke(event).payload
    assert "mutated" not in event
    assert payload[:3] == ["stack-ctx", 256, "arn:aws:lambda:us-east-1:123456789012:function:stack-ctx"]
    assert payload[3:] == [True, True, "$LATEST", "/aws/lambda/stack-ctx"]


_OVERLAP_PROBE = (
    "import threading, time\n"
    "active = 0\nmost = 0\nlock = threading.Lock()\n"
    "def handler(event, context):\n"
    "    global active, most\n"
    "    with lock:\n        active += 1\n        most = max(most, active)\n"
    "    time.sleep(0.02)\n"
    "    with lock:\n        active -= 1\n"
    "    return most\n"
)


def _most_overlapping(runtime: Any, calls: int = 8) -> int:
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(runtime.invoke({}).payload)) for _ in range(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max(results)


def test_one_function_runs_at_most_its_container_count_at_once(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIRRUS_LOCAL_LAMBDA_CONCURRENCY", "3")
    assert 2 <= _most_overlapping(_function(tmp_path, "pool", _OVERLAP_PROBE)) <= 3


def test_concurrency_one_serialises_a_function(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CIRRUS_LOCAL_LAMBDA_CONCURRENCY", "1")
    assert _most_overlapping(_function(tmp_path, "serial", _OVERLAP_PROBE)) == 1


def test_a_busy_container_does_not_deadlock(tmp_path: Path, monkeypatch: Any) -> None:
    """Its only container held by a call that does not return: another call still runs (on the
    caller's thread, after waiting for a container), instead of waiting for ever. How long it
    waits: `make bench BENCH=local_cloud`."""
    monkeypatch.setenv("CIRRUS_LOCAL_LAMBDA_CONCURRENCY", "1")
    source = (
        "import threading\n"
        "release = threading.Event()\n"
        "def handler(event, context):\n"
        "    if event.get('block'):\n"
        "        release.wait(60)\n"
        "    return 'done'\n"
    )
    runtime = _function(tmp_path, "busy", source, timeout=0.2)
    runtime.invoke({})  # loaded
    blocked = threading.Thread(target=lambda: runtime.invoke({"block": True}))
    blocked.start()
    release = sys.modules[runtime.module_name].release
    try:

        def container_taken() -> bool:
            if runtime._container.acquire(blocking=False):
                runtime._container.release()
                return False
            return True

        _wait_until(container_taken)
        second: list[Any] = []
        other = threading.Thread(target=lambda: second.append(runtime.invoke({}).payload))
        other.start()
        other.join(timeout=30)  # a guard against a hang, not a speed check
        assert second == ["done"] and blocked.is_alive()  # it ran while the first still held on
    finally:
        release.set()
        blocked.join()


def _wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_environment_union_refuses_conflicts() -> None:
    merged = merge_environments({"A": {"TABLE": "t", "N": 1}, "B": {"TABLE": "t", "X": None}})
    assert merged == {"TABLE": "t", "N": "1", "X": ""}
    with pytest.raises(EnvironmentConflictError, match="TABLE"):
        merge_environments({"A": {"TABLE": "t1"}, "B": {"TABLE": "t2"}})
