"""LocalCloud end to end: in-process (fixture template) and through the CLI (fixture and real app)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from infra.local.cloud import LocalCloud
from infra.local.gateway import PortInUseError

from .conftest import FIXTURE_APP, REPO_ROOT, free_port

READY = "Cirrus local cloud ready: API "


def _wait_for(predicate: Any, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _records(pk: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(os.environ["RECORDS_TABLE"])
    return list(table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": pk})["Items"])


def test_in_process_cloud_serves_everything_and_persists(tmp_path: Path) -> None:
    state = tmp_path / "state"
    before = os.environ.get("AWS_ENDPOINT_URL")
    cloud = LocalCloud(
        FIXTURE_APP, api_port=0, state_dir=state, fresh=True, speed=60, seed=False, simulator=False
    )
    with cloud:
        assert cloud.startup_seconds is not None and cloud.startup_seconds < 30
        assert os.environ["AWS_ENDPOINT_URL"] == cloud.moto_endpoint
        assert os.environ["RECORDS_TABLE"] == cloud.resources["RecordsTable"]
        # HTTP API and Function URL
        assert requests.get(cloud.api_url + "/items/9", timeout=10).json() == {"item_id": "9"}
        assert set(cloud.function_urls) == {"RawFunction"}
        v2 = requests.get(cloud.function_urls["RawFunction"] + "x", timeout=10).json()
        assert v2["rawPath"] == "/x"
        # direct invocation
        assert cloud.invoke("TaskFunction", {"n": 2}).payload == {"value": 4}
        # the SQS poller thread consumes what the app sends through the moto server
        sqs = boto3.client("sqs", region_name="us-east-1")
        sqs.send_message(QueueUrl=cloud.resources["WorkQueue"], MessageBody=json.dumps({"id": "via-server"}))
        _wait_for(lambda: any(r["sk"] == "via-server" for r in _records("seen")), what="the poller")
        # the state machine runs through the server, its Lambda task in-process
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.start_execution(
            stateMachineArn=cloud.resources["FlowStateMachine"], name="e2e-1", input=json.dumps({"n": 5})
        )["executionArn"]
        _wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED", what="the flow")
        _wait_for(lambda: any(r["sk"] == "via-server" for r in _records("seen")), what="queue message")
        # rate(1 minute) at speed 60 fires about every second, with its Input
        ticks = _wait_for(lambda: _records("tick"), timeout=5, what="the schedule")
        assert ticks[0]["event"] == {"job": "tick"}
        assert "RawFunction" in "\n".join(cloud.banner())
    assert os.environ.get("AWS_ENDPOINT_URL") == before
    assert "RECORDS_TABLE" not in os.environ or os.environ["RECORDS_TABLE"] != cloud.resources["RecordsTable"]
    assert (state / "dynamodb" / "RecordsTable.json").exists()

    with LocalCloud(FIXTURE_APP, api_port=0, state_dir=state, seed=False, simulator=False) as again:
        assert again.restored is not None and again.restored.items >= 2
        assert any(r["sk"] == "via-server" for r in _records("seen"))


def test_port_in_use_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        cloud = LocalCloud(FIXTURE_APP, api_port=port, state_dir=tmp_path, seed=False, simulator=False)
        with pytest.raises(PortInUseError):
            cloud.start()


def _start_cli(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    return subprocess.Popen(
        [sys.executable, "-m", "infra.local", "run", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until_ready(proc: subprocess.Popen[str], timeout: float = 40.0) -> tuple[str, list[str]]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        lines.append(line.rstrip("\n"))
        if line.startswith(READY):
            return line[len(READY) :].strip(), lines
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"no ready line; stdout={lines} stderr={err[-3000:]}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_cli_runs_until_sigterm_and_saves_state(tmp_path: Path) -> None:
    port = free_port()
    proc = _start_cli(
        [
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path),
            "--fresh",
            "--repo",
            str(FIXTURE_APP),
            "--no-seed",
        ],
        tmp_path,
    )
    try:
        url, lines = _read_until_ready(proc)
        assert url == f"http://127.0.0.1:{port}"
        assert any("Function URL RawFunction" in line for line in lines)
        assert requests.get(url + "/items/3", timeout=10).json() == {"item_id": "3"}
    finally:
        code, out, err = _stop(proc)
    assert code == 0, err[-3000:]
    assert "Stopped" in out
    assert (tmp_path / "meta.json").exists()


def test_cli_reports_a_taken_port_with_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _start_cli(
            ["--port", str(port), "--state-dir", str(tmp_path), "--repo", str(FIXTURE_APP)], tmp_path
        )
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and str(port) in error_lines[0]


def test_cli_with_the_real_application(tmp_path: Path) -> None:
    port = free_port()
    proc = _start_cli(
        ["--port", str(port), "--state-dir", str(tmp_path), "--fresh", "--no-simulator"], tmp_path
    )
    try:
        url, lines = _read_until_ready(proc)  # about 6 s on an idle 2-core machine; gives up after 40 s
        assert any("admin@example.com / admin123" in line for line in lines)
        assert requests.get(url + "/health", timeout=10).json()["status"] == "ok"
        login = requests.post(
            url + "/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=10
        )
        assert login.status_code == 200, login.text
    finally:
        code, _, err = _stop(proc)
    assert code == 0, err[-3000:]
