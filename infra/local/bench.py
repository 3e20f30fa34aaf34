"""Measure the local cloud: startup, transactions on a big table, and throughput through the gateway.

    python -m infra.local.bench [--seconds 5] [--clients 4] [--skip-original]

Prints one line per figure. The transaction benchmark runs twice in subprocesses, with and without
``moto_patches``, on a 10,000-item table (``--skip-original`` skips the slow unpatched run).
The HTTP figures start a fresh :class:`LocalCloud` on the real template (simulator off) and drive
it over HTTP like a client would.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

ITEMS = 10_000


def transact_rate(patched: bool, seconds: float) -> float:
    """TransactWriteItems (2 items) per second in-process on a 10,000-item table."""
    import boto3
    from moto import mock_aws

    if patched:
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
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends["123456789012"]["us-east-1"]
        for i in range(ITEMS):
            backend.put_item("t", {"pk": {"S": f"p{i % 500}"}, "sk": {"S": f"s{i}"}, "v": {"N": "1"}})
        done = 0
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
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
        return done / (time.perf_counter() - started)


def _subprocess_rate(patched: bool, seconds: float) -> float:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")}
    mode = "patched" if patched else "original"
    out = subprocess.run(
        [sys.executable, "-m", "infra.local.bench", "--transact-only", mode, "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1])["rate"])


def _drive(requests_per_client: Callable[[Any], int], clients: int, seconds: float) -> float:
    import requests

    deadline = time.perf_counter() + seconds

    def client(_: int) -> int:
        count = 0
        with requests.Session() as session:
            while time.perf_counter() < deadline:
                count += requests_per_client(session)
        return count

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(client, range(clients)))
    return total / (time.perf_counter() - started)


def http_figures(seconds: float, clients: int) -> dict[str, float]:
    import requests

    from infra.local.cloud import LocalCloud

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as state:
        started = time.perf_counter()
        cloud = LocalCloud(api_port=0, state_dir=state, fresh=True, simulator=False)
        cloud.start()
        try:
            figures["startup_s"] = time.perf_counter() - started
            url = cloud.api_url
            token = requests.post(
                f"{url}/auth/login", json={"email": "admin@example.com", "password": "admin123"}, timeout=30
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}

            def health(session: Any) -> int:
                session.get(f"{url}/health", timeout=30).raise_for_status()
                return 1

            def list_orders(session: Any) -> int:
                session.get(f"{url}/orders", headers=auth, timeout=30).raise_for_status()
                return 1

            order = {
                "channel": "WEB",
                "fulfillment_type": "SHIP_TO_HOME",
                "customer_email": "bench@example.com",
                "customer_name": "Bench",
                "line_items": [
                    {
                        "sku": "SKU-WIDGET-A",
                        "product_name": "Premium Widget A",
                        "quantity": 1,
                        "unit_price": "29.99",
                    }
                ],
                "shipping_address": {
                    "address1": "1 Main St",
                    "city": "New York",
                    "state": "NY",
                    "postal_code": "10001",
                    "latitude": 40.75,
                    "longitude": -73.99,
                },
            }

            def create_order(session: Any) -> int:
                response = session.post(f"{url}/orders", json=order, headers=auth, timeout=30)
                if response.status_code != 201:
                    raise RuntimeError(f"POST /orders answered {response.status_code}: {response.text[:300]}")
                return 1

            figures["GET /health per s"] = _drive(health, clients, seconds)
            figures["GET /orders per s"] = _drive(list_orders, clients, seconds)
            figures["POST /orders per s"] = _drive(create_order, clients, seconds)
            from infra.local.housekeeping import wait_for_executions

            settle_started = time.perf_counter()
            wait_for_executions(120)
            figures["intake backlog drained in s"] = time.perf_counter() - settle_started
        finally:
            cloud.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.bench")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--skip-original", action="store_true")
    parser.add_argument("--transact-only", choices=["patched", "original"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.transact_only:
        print(json.dumps({"rate": transact_rate(args.transact_only == "patched", args.seconds)}))
        return 0
    import logging

    logging.basicConfig(level=logging.WARNING)
    patched = _subprocess_rate(True, args.seconds)
    print(f"TransactWriteItems on {ITEMS:,} items, patched:   {patched:8.1f}/s")
    if not args.skip_original:
        original = _subprocess_rate(False, args.seconds)
        print(f"TransactWriteItems on {ITEMS:,} items, unpatched: {original:8.1f}/s")
    for name, value in http_figures(args.seconds, args.clients).items():
        print(f"{name:<40} {value:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
