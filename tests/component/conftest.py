"""Component tier: the real template deployed into moto in-process; handlers called as AWS would."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.testing import deployed_template
from tests.component import iam_audit
from tests.component.apiclient import ApiClient


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    # every AWS call a function makes must be allowed by its role (moto checks no IAM; this does)
    with (
        deployed_template(extra_env={"CIRRUS_LOG_LEVEL": "WARNING"}) as resources,
        iam_audit.enforced(resources),
    ):
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


def _api_callable(stack: Any) -> Any:
    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result = stack.invoke("ApiFunction", event)
        assert not result.errored, result.payload
        return dict(result.payload)

    return call


@pytest.fixture
def anon(stack: Any) -> ApiClient:
    return ApiClient(_api_callable(stack))


def _login(client: ApiClient, email: str, password: str) -> ApiClient:
    reply = client.post("/auth/login", {"email": email, "password": password})
    assert reply.status == 200, reply
    return client.with_token(reply.body["access_token"])


@pytest.fixture
def admin(anon: ApiClient) -> ApiClient:
    return _login(anon, "admin@example.com", "admin123")


@pytest.fixture
def owner(anon: ApiClient) -> ApiClient:
    return _login(anon, "owner@example.com", "owner123")


@pytest.fixture
def user(anon: ApiClient) -> ApiClient:
    return _login(anon, "user@example.com", "user123")


@pytest.fixture
def other_tenant(anon: ApiClient) -> ApiClient:
    from oms.adapters.passwords import hash_password
    from oms.data.directory import StoredUser
    from oms.domain.clock import now_iso
    from oms.services.context import repos

    repos.directory.put_tenant("acme", "Acme", now_iso())
    repos.directory.put_user(
        StoredUser(
            user_id=str(uuid.uuid4()),
            tenant_id="acme",
            email="boss@acme.test",
            name="Boss",
            role="SUPERADMIN",
            password_hash=hash_password("acme-pass"),
            active=True,
        ),
        now_iso(),
        overwrite=True,
    )
    return _login(anon, "boss@acme.test", "acme-pass")


@pytest.fixture
def integration(admin: ApiClient) -> ApiClient:
    """A machine of the demo tenant: an INTEGRATION API key a SUPERADMIN issued."""
    reply = admin.post("/api-keys", {"name": "test integration"})
    assert reply.status == 201, reply
    return admin.with_api_key(reply.body["key"])


@pytest.fixture
def demo_nodes(admin: ApiClient) -> dict[str, str]:
    return {n["code"]: n["id"] for n in admin.get("/nodes").body["items"]}


class Queues:
    def __init__(self, stack: Any) -> None:
        import boto3

        self.stack = stack
        self.sqs = boto3.client("sqs")

    def receive(self, logical_id: str, wait: float = 5.0) -> list[dict[str, Any]]:
        """Drain the queue: parsed bodies of every message now in it (waiting up to `wait` for one)."""
        import time

        url = self.stack[logical_id]
        bodies: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            for m in messages:
                bodies.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if messages:
                continue
            if bodies or time.monotonic() > deadline:
                return bodies
            time.sleep(0.05)

    def wait_for_order(self, logical_id: str, order_id: str, wait: float = 10.0) -> dict[str, Any]:
        """The message for one order (other tests' requests may still be arriving)."""
        import time

        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for body in self.receive(logical_id, wait=0.5):
                if body.get("order_id") == order_id:
                    return body
        raise AssertionError(f"no {logical_id} message for {order_id}")


@pytest.fixture
def queues(stack: Any) -> Queues:
    q = Queues(stack)
    for logical in ("WarehouseQueue", "CarrierQueue"):
        q.receive(logical, wait=0)
    return q


@pytest.fixture
def invoke(stack: Any) -> Any:
    def call(logical_id: str, event: dict[str, Any]) -> Any:
        result = stack.invoke(logical_id, event)
        assert not result.errored, result.payload
        return result.payload

    return call
