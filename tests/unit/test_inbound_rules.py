"""Inbound rules, pure: Shopify's signature as bytes, the shop, a delivery's age; the seed's
connector names; v1 webhook signatures; what JSON the API refuses before parsing models."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from oms.api.http import MAX_JSON_DEPTH, parse_json_bytes
from oms.domain.connectors import (
    AmazonConfig,
    ConnectorCreate,
    ConnectorDirection,
    ShopifyConfig,
    canonical_config,
    shop_domain_matches,
    shopify_hmac_valid,
    shopify_staleness,
    signed_staleness,
)
from oms.domain.errors import MalformedRequest
from oms.domain.models import ListQuery
from oms.domain.rules import MAX_RULE_BYTES, SourcingRuleFields
from oms.domain.webhooks import signature_headers, signature_v1, verify_signature_v1

SECRET = "shpss_0123456789abcdef"
BODY = b'{"id": 1, "email": "a@example.com"}'
DIGEST = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
NOW = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


# ------------------------------------------------------------------ Shopify signature
def test_the_signature_is_base64_of_the_digest_compared_as_bytes():
    assert shopify_hmac_valid(SECRET, BODY, base64.b64encode(DIGEST).decode())
    assert shopify_hmac_valid(SECRET, BODY, "  " + base64.b64encode(DIGEST).decode() + "\t")
    assert not shopify_hmac_valid(SECRET, BODY + b" ", base64.b64encode(DIGEST).decode())


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "\xe9" * 44,  # latin-1 bytes over 0x7f: hmac.compare_digest on str would raise
        "caf\u00e9",
        "\U0001f600",
        base64.b64encode(DIGEST).decode()[:-4],  # truncated
        base64.b64encode(DIGEST + b"x").decode(),  # 33 bytes
        base64.b64encode(DIGEST).decode().replace("=", "") + "!",
        DIGEST.hex(),  # hex is not what Shopify sends
    ],
)
def test_anything_else_is_simply_not_valid(header):
    assert shopify_hmac_valid(SECRET, BODY, header) is False


def test_the_shop_must_be_the_connectors():
    assert shop_domain_matches("a.myshopify.com", "A.myshopify.com ")
    for other in (None, "", "b.myshopify.com", "a.myshopify.com.evil.com", "\xe9"):
        assert not shop_domain_matches("a.myshopify.com", other)


# ------------------------------------------------------------------ a delivery's age
@pytest.mark.parametrize(
    ("triggered_at", "fresh"),
    [
        ((NOW - timedelta(hours=71, minutes=59)).isoformat(), True),
        ("2031-04-28T12:00:00.000000001Z", True),  # exactly 72 h (to the microsecond)
        ("2031-04-28T11:59:59.999999999Z", False),  # Shopify's nanoseconds
        ((NOW - timedelta(days=30)).isoformat(), False),
        ((NOW + timedelta(minutes=4)).isoformat(), True),  # small clock skew
        ((NOW + timedelta(minutes=6)).isoformat(), False),
        ("2031-05-01T08:00:00-04:00", True),  # an offset
        ("2031-05-01", True),  # a date: midnight UTC, 12 h ago
        (None, False),
        ("", False),
        ("yesterday", False),
        ("9" * 1000, False),
    ],
)
def test_a_delivery_older_than_72_hours_is_stale(triggered_at, fresh):
    assert (shopify_staleness(triggered_at, NOW) is None) is fresh


def test_the_signed_body_gives_an_old_order_away():
    assert signed_staleness({"updated_at": "2031-04-20T00:00:00-05:00"}, NOW) is not None
    assert signed_staleness({"updated_at": "2031-05-01T06:00:00-05:00"}, NOW) is None
    assert signed_staleness({}, NOW) is None  # nothing signed to go by: the header decides
    assert signed_staleness({"updated_at": 5}, NOW) is None


# ------------------------------------------------------------------ the seed's connector names
def test_the_seeds_shopify_names():
    request = ConnectorCreate.model_validate(
        {
            "name": "My Shopify Store",
            "connector_type": "SHOPIFY",
            "direction": "BIDIRECTIONAL",
            "config": {
                "shop_url": "https://MyStore.myshopify.com/",
                "access_token": "shpat_xxxxxxxxxxxx",
                "webhook_secret": "my-hmac-secret",
                "api_version": "2024-01",
            },
        }
    )
    config = request.validated_config()
    assert request.kind.value == "SHOPIFY" and config["shop_domain"] == "mystore.myshopify.com"
    assert ShopifyConfig.model_validate(config).webhook_secret == "my-hmac-secret"


def test_the_seeds_amazon_names():
    request = ConnectorCreate.model_validate(
        {
            "name": "Amazon US",
            "connector_type": "AMAZON_SP",
            "config": {
                "marketplace_id": "ATVPDKIKX0DER",
                "seller_id": "S",
                "client_id": "amzn1.application-oa2-client.xxx",
                "client_secret": "xxxx",
                "refresh_token": "Atzr|xxxxx",
            },
        }
    )
    config = AmazonConfig.model_validate(request.validated_config())
    assert request.kind.value == "AMAZON" and request.direction is ConnectorDirection.BIDIRECTIONAL
    assert config.marketplace_ids == ["ATVPDKIKX0DER"] and config.lwa_client_secret == "xxxx"


def test_our_names_stay_valid_and_both_names_of_a_field_are_refused():
    assert canonical_config("SHOPIFY", {"shop_domain": "a.myshopify.com"}) == {
        "shop_domain": "a.myshopify.com"
    }
    with pytest.raises(ValueError, match="not both"):
        canonical_config("AMAZON", {"client_id": "a", "lwa_client_id": "b"})
    with pytest.raises(ValidationError):
        ConnectorCreate.model_validate(
            {"type": "SHOPIFY", "connector_type": "AMAZON_SP", "name": "x", "config": {}}
        )
    with pytest.raises(ValidationError):
        ConnectorCreate.model_validate({"name": "x", "config": {}})


def test_direction_says_what_flows():
    assert ConnectorDirection.INBOUND.takes_orders and not ConnectorDirection.INBOUND.pushes_shipments
    assert ConnectorDirection.OUTBOUND.pushes_shipments and not ConnectorDirection.OUTBOUND.takes_orders
    assert ConnectorDirection.BIDIRECTIONAL.takes_orders and ConnectorDirection.BIDIRECTIONAL.pushes_shipments


# ------------------------------------------------------------------ v1 webhook signatures
def test_v1_is_the_hex_hmac_of_the_body_alone():
    expected = "sha256=" + hmac.new(b"whsec_x", BODY, hashlib.sha256).hexdigest()
    assert signature_v1("whsec_x", BODY) == expected
    assert verify_signature_v1("whsec_x", expected, BODY)
    assert not verify_signature_v1("whsec_x", expected, BODY + b" ")
    assert not verify_signature_v1("whsec_x", "sha256=\xe9", BODY)
    assert signature_headers("v1", ["new", "old"], 1, BODY) == {
        "X-OMS-Signature": signature_v1("new", BODY),
        "X-OMS-Signature-Previous": signature_v1("old", BODY),
    }
    v2 = signature_headers("v2", ["new", "old"], 1, BODY)
    assert list(v2) == ["X-OMS-Signature"] and v2["X-OMS-Signature"].count("sha256=") == 2


# ------------------------------------------------------------------ what the API refuses
@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
        b"\xff\xfe{}",
        b'"\\ud800"',
        b'{"\\udc00": 1}',
        b"\xef\xbb\xbf{}",
    ],
)
def test_undecodable_json_is_a_malformed_request(raw):
    with pytest.raises(MalformedRequest) as caught:
        parse_json_bytes(raw)
    assert caught.value.code == "malformed_json" and caught.value.status == 400


def test_json_within_the_limits_parses():
    deep = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"1" + b"}" * (MAX_JSON_DEPTH - 1)
    assert parse_json_bytes(deep)["a"]
    assert parse_json_bytes('{"name": "caf\u00e9 \U0001f600"}'.encode()) == {"name": "caf\u00e9 \U0001f600"}


def test_a_rule_fits_one_item():
    with pytest.raises(ValidationError, match="excluded_node_ids"):
        SourcingRuleFields(name="x", priority=1, excluded_node_ids=["n" * 450] * 1000)
    values = [f"c{i:05d}-" + "x" * 240 for i in range(500)]
    too_big = [{"field": "customer_email", "operator": "IN", "value": values}] * 2
    with pytest.raises(ValidationError, match=str(MAX_RULE_BYTES)):
        SourcingRuleFields(name="x", priority=1, conditions=too_big)
    with pytest.raises(ValidationError, match="at most 254"):
        SourcingRuleFields(
            name="x",
            priority=1,
            conditions=[{"field": "customer_email", "operator": "EQUALS", "value": "x" * 300}],
        )


def test_a_backwards_date_range_is_refused():
    with pytest.raises(ValidationError, match="later than"):
        ListQuery.model_validate({"created_from": "2026-02-01", "created_to": "2026-01-01"})
    for odd in ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00-05:00", "tomorrow"):
        with pytest.raises(ValidationError, match="ISO-8601"):
            ListQuery.model_validate({"created_from": odd})
    assert ListQuery.model_validate({"created_from": "2026-01-01", "created_to": "2026-01-01"}).created_to
    assert json.loads(ListQuery().model_dump_json())["limit"] == 50
