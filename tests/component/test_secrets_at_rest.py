"""Secrets at rest, with the template's KMS key in moto: webhook signing secrets and connector
credentials are stored sealed (the raw DynamoDB item holds no plaintext), open only for their own
tenant, still work when stored in plaintext before sealing existed (and are sealed at the next
write), and a connector moved to another destination needs its credentials again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.testing import deployed_template
from oms.domain.clock import now_iso
from oms.domain.webhooks import verify_signature
from tests.fakes import Receiver

SHOP = "sealed-shop.myshopify.com"
SHOPIFY_SECRET = "shpss_" + "fedcba9876543210" * 2
ACCESS_TOKEN = "shpat_sealed_token_0001"


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    with deployed_template(
        parameters={"WebhookAllowInsecureTargets": "true"},
        extra_env={"CIRRUS_LOG_LEVEL": "WARNING"},
    ) as resources:
        from oms.demo import seed_demo_data

        seed_demo_data()
        yield resources


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def raw_item(stack: Any, pk: str, sk: str) -> dict[str, Any]:
    """The item as DynamoDB holds it, read around the application."""
    item = boto3.client("dynamodb").get_item(
        TableName=stack["IntegrationsTable"], Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
    )["Item"]
    return dict(item)


def stored_doc(stack: Any, pk: str, sk: str) -> dict[str, Any]:
    return dict(json.loads(raw_item(stack, pk, sk)["doc"]["S"]))


def signed_by(secret: str, receiver: Receiver) -> bool:
    request = receiver.requests[-1]
    h = request["headers"]
    return verify_signature(secret, h["X-OMS-Signature"], h["X-OMS-Timestamp"], request["body"], time.time())


def shopify_request(tenant_id: str, connector_id: str, secret: str) -> dict[str, Any]:
    body = json.dumps({"id": 424242, "line_items": []}).encode()
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "version": "2.0",
        "rawPath": f"/shopify/{tenant_id}/{connector_id}",
        "headers": {
            "x-shopify-topic": "orders/create",
            "x-shopify-shop-domain": SHOP,
            "x-shopify-event-id": str(uuid.uuid4()),
            "x-shopify-hmac-sha256": digest,
            "x-shopify-triggered-at": now_iso(),
        },
        "body": body.decode(),
        "isBase64Encoded": False,
    }


# ------------------------------------------------------------------ the box itself
def test_a_sealed_secret_opens_only_for_its_own_tenant(stack):
    from oms.adapters import secrets_box

    sealed = secrets_box.seal("demo", "s3cret-value")
    assert sealed.startswith("kms1:") and "s3cret-value" not in sealed
    assert secrets_box.open_secret("demo", sealed) == "s3cret-value"
    secrets_box.reset()  # no data key in memory: KMS itself must refuse the other tenant's context
    with pytest.raises(secrets_box.SecretUnreadable):
        secrets_box.open_secret("acme", sealed)
    wrapped = base64.urlsafe_b64decode(sealed[len("kms1:") :].split(".")[0] + "==")
    kms = boto3.client("kms")
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={"tenant_id": "acme"})
    assert (
        len(kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={"tenant_id": "demo"})["Plaintext"]) == 32
    )
    # a tampered ciphertext does not open either, even with its data key in memory
    assert secrets_box.open_secret("demo", sealed) == "s3cret-value"
    head, tail = sealed.rsplit(".", 1)
    with pytest.raises(secrets_box.SecretUnreadable):
        secrets_box.open_secret("demo", f"{head}.{'A' if tail[0] != 'A' else 'B'}{tail[1:]}")
    # values stored before sealing existed open as themselves
    assert secrets_box.open_secret("demo", "whsec_plain") == "whsec_plain"


def test_sealing_fields_seals_only_plaintext_and_shares_one_data_key(stack):
    from oms.adapters import secrets_box

    already = secrets_box.seal("demo", "kept-as-is")
    out = secrets_box.seal_fields(
        "demo",
        {"a": "one", "b": "two", "c": already, "d": None, "e": "", "other": "x"},
        ["a", "b", "c", "d", "e"],
    )
    assert out["c"] == already and out["d"] is None and out["e"] == "" and out["other"] == "x"
    assert out["a"].split(".")[0] == out["b"].split(".")[0]  # one data key for the write
    assert [secrets_box.open_secret("demo", out[k]) for k in "abc"] == ["one", "two", "kept-as-is"]
    assert secrets_box.seal_fields("demo", out, ["a", "b", "c"]) == out  # nothing left to seal


# ------------------------------------------------------------------ webhook endpoints
@pytest.mark.date_sensitive  # signatures and deliveries are checked against now
def test_endpoint_secrets_are_sealed_at_rest_and_still_sign(stack, admin, receiver):
    created = admin.post("/webhooks/endpoints", {"url": receiver.url}).body
    plain = created["secret"]
    item = raw_item(stack, "T#demo#WEBHOOKS", f"EP#{created['id']}")
    assert plain not in json.dumps(item) and json.loads(item["doc"]["S"])["secret"].startswith("kms1:")
    admin.post(f"/webhooks/endpoints/{created['id']}/test", {})
    assert signed_by(plain, receiver)

    rotated = admin.post(f"/webhooks/endpoints/{created['id']}/rotate-secret", {}).body["secret"]
    text = json.dumps(raw_item(stack, "T#demo#WEBHOOKS", f"EP#{created['id']}"))
    assert plain not in text and rotated not in text
    doc = stored_doc(stack, "T#demo#WEBHOOKS", f"EP#{created['id']}")
    assert doc["secret"].startswith("kms1:") and doc["previous_secret"].startswith("kms1:")
    admin.post(f"/webhooks/endpoints/{created['id']}/test", {})
    assert signed_by(plain, receiver) and signed_by(rotated, receiver)  # both, during the grace period
    admin.delete(f"/webhooks/endpoints/{created['id']}")


@pytest.mark.date_sensitive  # signatures and deliveries are checked against now
def test_a_plaintext_endpoint_secret_from_before_works_and_is_sealed_at_the_next_write(
    stack, admin, receiver
):
    from oms.services.context import repos

    endpoint_id, plain = str(uuid.uuid4()), "whsec_stored_before_sealing_0001"
    repos.webhooks.insert_within(
        "demo",
        endpoint_id,
        {
            "id": endpoint_id,
            "tenant_id": "demo",
            "url": receiver.url,
            "event_types": ["*"],
            "description": None,
            "active": True,
            "secret": plain,
            "previous_secret": None,
            "previous_secret_valid_until": None,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        },
        20,
    )
    admin.post(f"/webhooks/endpoints/{endpoint_id}/test", {})
    assert signed_by(plain, receiver)
    assert admin.patch(f"/webhooks/endpoints/{endpoint_id}", {"description": "touched"}).status == 200
    doc = stored_doc(stack, "T#demo#WEBHOOKS", f"EP#{endpoint_id}")
    assert doc["secret"].startswith("kms1:") and plain not in json.dumps(doc)
    admin.post(f"/webhooks/endpoints/{endpoint_id}/test", {})
    assert signed_by(plain, receiver)  # the same secret, now sealed
    admin.delete(f"/webhooks/endpoints/{endpoint_id}")


def test_a_secret_moved_into_another_tenants_record_does_not_open(stack, admin, receiver):
    from oms.adapters import secrets_box
    from oms.services import webhooks
    from oms.services.context import repos

    created = admin.post("/webhooks/endpoints", {"url": receiver.url}).body
    doc = stored_doc(stack, "T#demo#WEBHOOKS", f"EP#{created['id']}")
    moved = {**doc, "tenant_id": "acme", "id": "moved"}
    repos.webhooks.insert("acme", "moved", moved)
    stolen = repos.webhooks.get("acme", "moved")
    assert stolen is not None
    secrets_box.reset()
    with pytest.raises(secrets_box.SecretUnreadable):
        webhooks._secrets(stolen[0])
    assert webhooks._secrets(repos.webhooks.get("demo", created["id"])[0]) == [created["secret"]]  # type: ignore[index]
    repos.webhooks.delete("acme", "moved")
    admin.delete(f"/webhooks/endpoints/{created['id']}")


# ------------------------------------------------------------------ connectors
def _shopify_connector(admin: Any, **config: Any) -> dict[str, Any]:
    reply = admin.post(
        "/connectors",
        {
            "type": "SHOPIFY",
            "name": "Sealed shop",
            "config": {
                "shop_domain": SHOP,
                "access_token": ACCESS_TOKEN,
                "webhook_secret": SHOPIFY_SECRET,
                **config,
            },
        },
    )
    assert reply.status == 201, reply
    return dict(reply.body)


@pytest.mark.date_sensitive  # signatures and deliveries are checked against now
def test_connector_credentials_are_sealed_at_rest_and_still_verify(stack, admin, invoke):
    connector = _shopify_connector(admin)
    text = json.dumps(raw_item(stack, "T#demo#CONNECTORS", f"C#{connector['id']}"))
    assert ACCESS_TOKEN not in text and SHOPIFY_SECRET not in text
    config = stored_doc(stack, "T#demo#CONNECTORS", f"C#{connector['id']}")["config"]
    assert config["access_token"].startswith("kms1:") and config["webhook_secret"].startswith("kms1:")
    assert config["shop_domain"] == SHOP  # only the credentials are sealed
    reply = invoke("ShopifyWebhookFunction", shopify_request("demo", connector["id"], SHOPIFY_SECRET))
    assert reply["statusCode"] == 200, reply
    wrong = invoke("ShopifyWebhookFunction", shopify_request("demo", connector["id"], "x" * 40))
    assert wrong["statusCode"] == 401
    admin.delete(f"/connectors/{connector['id']}")


@pytest.mark.date_sensitive  # signatures and deliveries are checked against now
def test_plaintext_credentials_from_before_work_and_are_sealed_at_the_next_write(stack, admin, invoke):
    from oms.services.context import repos

    connector_id = str(uuid.uuid4())
    repos.connectors.insert(
        "demo",
        connector_id,
        {
            "id": connector_id,
            "tenant_id": "demo",
            "type": "SHOPIFY",
            "name": "Old shop",
            "status": "ACTIVE",
            "config": {
                "shop_domain": SHOP,
                "api_version": "2025-10",
                "access_token": ACCESS_TOKEN,
                "webhook_secret": SHOPIFY_SECRET,
                "admin_api_url": None,
                "pickup_node_id": None,
            },
            "last_error": None,
            "consecutive_failures": 0,
            "watermark": None,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        },
    )
    reply = invoke("ShopifyWebhookFunction", shopify_request("demo", connector_id, SHOPIFY_SECRET))
    assert reply["statusCode"] == 200, reply
    assert admin.post(f"/connectors/{connector_id}/toggle", {}).status == 200  # any write
    text = json.dumps(raw_item(stack, "T#demo#CONNECTORS", f"C#{connector_id}"))
    assert ACCESS_TOKEN not in text and SHOPIFY_SECRET not in text
    admin.post(f"/connectors/{connector_id}/toggle", {})
    reply = invoke("ShopifyWebhookFunction", shopify_request("demo", connector_id, SHOPIFY_SECRET))
    assert reply["statusCode"] == 200, reply
    admin.delete(f"/connectors/{connector_id}")


def _required(reply: Any) -> set[str]:
    assert reply.status == 422 and reply.body["error"]["code"] == "secrets_required", reply
    return {d["loc"][-1] for d in reply.body["error"]["details"]}


def test_moving_a_shopify_connector_needs_its_credentials_again(stack, admin):
    connector = _shopify_connector(admin)
    path = f"/connectors/{connector['id']}"
    other = "another-shop.myshopify.com"
    assert _required(admin.patch(path, {"config": {"shop_domain": other}})) == {
        "access_token",
        "webhook_secret",
    }
    masked = {"shop_domain": other, "access_token": "***", "webhook_secret": "***"}
    assert _required(admin.patch(path, {"config": masked})) == {"access_token", "webhook_secret"}
    half = {"shop_domain": other, "access_token": "shpat_for_the_other_shop"}
    assert _required(admin.patch(path, {"config": half})) == {"webhook_secret"}
    assert admin.get(path).body["config"]["shop_domain"] == SHOP  # nothing changed
    # what does not move it needs nothing again
    assert admin.patch(path, {"name": "Renamed", "config": {"api_version": "2026-01"}}).status == 200
    full = {**half, "webhook_secret": "shpss_" + "a1" * 16}
    moved = admin.patch(path, {"config": full})
    assert moved.status == 200 and moved.body["config"]["shop_domain"] == other
    text = json.dumps(raw_item(stack, "T#demo#CONNECTORS", f"C#{connector['id']}"))
    assert "shpat_for_the_other_shop" not in text and ACCESS_TOKEN not in text
    admin.delete(path)


def test_moving_an_amazon_connector_needs_its_credentials_again(stack, admin):
    config = {
        "seller_id": "A1SEALED",
        "marketplace_ids": ["ATVPDKIKX0DER"],
        "lwa_client_id": "amzn1.client.sealed",
        "lwa_client_secret": "lwa-secret-sealed",
        "refresh_token": "Atzr|sealed-refresh",
        "endpoint": "https://sellingpartnerapi-na.amazon.com",
    }
    connector = admin.post("/connectors", {"type": "AMAZON", "name": "Sealed seller", "config": config}).body
    path = f"/connectors/{connector['id']}"
    text = json.dumps(raw_item(stack, "T#demo#CONNECTORS", f"C#{connector['id']}"))
    assert "lwa-secret-sealed" not in text and "sealed-refresh" not in text
    secrets = {"lwa_client_secret", "refresh_token"}
    assert (
        _required(admin.patch(path, {"config": {"endpoint": "https://sellingpartnerapi-eu.amazon.com"}}))
        == secrets
    )
    assert _required(admin.patch(path, {"config": {"marketplace_ids": ["A1PA6795UKMFR9"]}})) == secrets
    assert _required(admin.patch(path, {"config": {"seller_id": "A2OTHER"}})) == secrets
    assert admin.patch(path, {"config": {"search_burst": 10}}).status == 200
    again = {
        "marketplace_ids": ["A1PA6795UKMFR9"],
        "lwa_client_secret": "new-secret",
        "refresh_token": "Atzr|new",
    }
    assert admin.patch(path, {"config": again}).status == 200
    admin.delete(path)
