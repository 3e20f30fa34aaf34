"""Speed of the local cloud's own machinery: the figures the tests used to assert with a stopwatch.

The tests keep what must hold (the transform is reused, a busy function does not deadlock,
transactions never copy a table); how fast it is, which depends on the machine, is measured here.

* template load from the file cache (fixture app, memory cache cleared): median of 5, <= 500 ms
* deploy of the fixture app after a first one in the process: median of 3, <= 1,500 ms
* a call to a function whose only container is busy: it waits max(Timeout, 1 s), then runs on
  the caller's thread instead of deadlocking; <= 1,400 ms
* TransactWriteItems (2 items) against a 10,000-item table, in-process moto with moto_patches:
  >= 20/s (unpatched moto deep-copies the table on every call: about 2/s)
* GSI Query + PutItem against a 10,000-item table (printed, no target)

Runs in a child process: moto's patches, the mock and the environment stay out of the runner.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_APP = ROOT / "tests" / "local_cloud" / "fixture_app"
TABLE_ITEMS = 10_000


def run() -> list[dict[str, Any]]:
    from benchlib import figure

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL") and k != "AWS_PROFILE"}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        CIRRUS_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT / "layers" / "oms"), str(ROOT)]),
    )
    env.pop("CIRRUS_LOCAL_LAMBDA_CONCURRENCY", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, __file__, "--measure"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{done.stderr[-3000:]}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        figure("template load from the file cache", got["template_ms"], "ms", target=500, note="median of 5"),
        figure("deploy after the first one", got["deploy_ms"], "ms", target=1500, note="median of 3"),
        figure("call while the only container is busy", got["busy_ms"], "ms", target=1400),
        figure(
            f"TransactWriteItems, {TABLE_ITEMS:,}-item table",
            got["transactions_per_s"],
            "/s",
            target=20,
            higher_is_better=True,
        ),
        figure(f"GSI Query + PutItem, {TABLE_ITEMS:,}-item table", got["gsi_per_s"], "/s"),
    ]


# ------------------------------------------------------------------ the child process
def _template_ms() -> float:
    from infra.local import template_loader

    with tempfile.TemporaryDirectory() as cache:
        first = template_loader.load_template(FIXTURE_APP, cache_dir=cache)
        times = []
        for _ in range(5):
            with template_loader._cache_lock:
                template_loader._memory_cache.pop(first.digest, None)
            started = time.perf_counter()
            template_loader.load_template(FIXTURE_APP, cache_dir=cache)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _deploy_ms() -> float:
    from infra.local.testing import deployed_template

    with deployed_template(FIXTURE_APP, stack_name="bench-first"):
        pass
    times = []
    for i in range(3):
        started = time.perf_counter()
        with deployed_template(FIXTURE_APP, stack_name=f"bench-{i}"):
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _busy_ms() -> float:
    from infra.local.lambda_runtime import FunctionRuntime

    os.environ["CIRRUS_LOCAL_LAMBDA_CONCURRENCY"] = "1"
    try:
        with tempfile.TemporaryDirectory() as folder:
            code = Path(folder) / "busy"
            code.mkdir()
            (code / "app.py").write_text(
                "import threading\n"
                "release = threading.Event()\n"
                "def handler(event, context):\n"
                "    if event.get('block'):\n"
                "        release.wait(30)\n"
                "    return 'done'\n",
                encoding="utf-8",
            )
            runtime = FunctionRuntime(
                logical_id="Busy",
                function_name="bench-busy",
                function_arn="arn:aws:lambda:us-east-1:123456789012:function:bench-busy",
                code_dir=code,
                handler="app.handler",
                timeout=0.2,
                memory_mb=128,
            )
            runtime.invoke({})  # loaded and warm
            blocked = threading.Thread(target=lambda: runtime.invoke({"block": True}))
            blocked.start()
            time.sleep(0.1)  # the blocked call holds the container
            started = time.perf_counter()
            assert runtime.invoke({}).payload == "done"
            elapsed = (time.perf_counter() - started) * 1000
            sys.modules[runtime.module_name].release.set()
            blocked.join()
            runtime.close()
            return elapsed
    finally:
        del os.environ["CIRRUS_LOCAL_LAMBDA_CONCURRENCY"]


def _moto_rates() -> tuple[float, float]:
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models import dynamodb_backends

    from infra.local import moto_patches

    moto_patches.apply()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.create_table(
            TableName="g",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        backend = dynamodb_backends["123456789012"]["us-east-1"]
        for i in range(TABLE_ITEMS):
            backend.put_item("t", {"pk": {"S": f"p{i % 500}"}, "sk": {"S": f"s{i}"}, "v": {"N": "1"}})
            backend.put_item("g", {"pk": {"S": f"p{i}"}, "g": {"S": f"g{i % 1000}"}})

        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < 1.0:
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": "t",
                            "Key": {"pk": {"S": "p1"}, "sk": {"S": "s1"}},
                            "UpdateExpression": "ADD v :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                    {"Put": {"TableName": "t", "Item": {"pk": {"S": "x"}, "sk": {"S": f"n{done}"}}}},
                ]
            )
            done += 1
        transactions = done / (time.perf_counter() - started)

        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < 1.0:
            ddb.query(
                TableName="g",
                IndexName="by_g",
                KeyConditionExpression="g = :g",
                ExpressionAttributeValues={":g": {"S": f"g{done % 1000}"}},
            )
            ddb.put_item(TableName="g", Item={"pk": {"S": f"new{done}"}, "g": {"S": "g1"}})
            done += 1
        queries = done / (time.perf_counter() - started)
    return transactions, queries


def _measure() -> None:
    transactions, queries = _moto_rates()
    figures = {
        "template_ms": _template_ms(),
        "deploy_ms": _deploy_ms(),
        "busy_ms": _busy_ms(),
        "transactions_per_s": transactions,
        "gsi_per_s": queries,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:] == ["--measure"]:
        import infra.local.testing  # noqa: F401  (moto first, before any boto3 client exists)

        _measure()
        sys.exit(0)
    sys.exit("usage: run through scripts/bench/run.py (make bench BENCH=local_cloud)")
