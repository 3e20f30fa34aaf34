"""The optional LocalStack tier: offline checks, and a live check when LOCALSTACK_ENDPOINT is set."""

from __future__ import annotations

import pytest

from infra.local import localstack


def test_environment_points_the_app_at_localstack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALSTACK_ENDPOINT", "http://localhost:4566/")
    env = localstack.localstack_environment()
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:4566"
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"


def test_the_tier_is_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    assert localstack.localstack_endpoint() is None
    with pytest.raises(RuntimeError):
        localstack.localstack_environment()


@pytest.mark.localstack
def test_localstack_answers() -> None:
    sqs = localstack.session().client("sqs")
    assert "QueueUrls" in sqs.list_queues() or sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
