"""Start `python -m infra.local run` in a subprocess and wait until it serves: shared by the e2e
and browser test tiers and the chaos scenario (each passes its own options)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READY_PREFIX = "Cirrus local cloud ready: API "  # what `run` prints once it serves (with its URL)


@contextlib.contextmanager
def cloud_process(
    options: Sequence[str],
    state_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 90,
    stop_timeout: float = 20,
) -> Iterator[str]:
    """Run the local cloud with ``options`` on any free port (port 0: the gateway binds one and
    prints it, so no port picked here can be taken first) and yield its API URL; its output goes
    to ``state_dir/cloud.log`` for a failing test's post-mortem; stopped on exit."""
    cmd = [sys.executable, "-m", "infra.local", "run", "--port", "0", "--state-dir", str(state_dir), *options]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url, lines = None, []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(READY_PREFIX):
            url = line[len(READY_PREFIX) :].strip()
            break
    if url is None:
        proc.kill()
        raise RuntimeError("the local cloud did not start:\n" + "".join(lines[-40:]))
    log_path = state_dir / "cloud.log"

    def keep_output() -> None:  # drain, so the child never blocks on a full pipe
        with log_path.open("a") as log:
            for line in proc.stdout:  # type: ignore[union-attr]
                log.write(line)
                log.flush()

    threading.Thread(target=keep_output, daemon=True).start()
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
