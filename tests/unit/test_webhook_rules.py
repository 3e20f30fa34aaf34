"""Webhook signatures, retry schedule and the address rules (pure)."""

import ipaddress
import json

import pytest

from oms.domain.webhooks import (
    EndpointCreate,
    refused_address,
    retry_delay,
    signature,
    signature_header,
    url_problem,
    verify_signature,
)

SECRET = "whsec_test_secret_0123456789"
BODY = json.dumps(
    {"id": "e1", "type": "order.created", "data": {"total": "10.50"}}, separators=(",", ":")
).encode()
NOW = 1_790_000_000


def test_a_valid_signature_verifies():
    header = signature_header([SECRET], NOW, BODY)
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_signature(SECRET, header, str(NOW), BODY, now=NOW + 10)


@pytest.mark.parametrize("position", [0, 10, len(BODY) - 1])
def test_one_flipped_byte_fails(position):
    tampered = bytearray(BODY)
    tampered[position] ^= 0x01
    assert not verify_signature(SECRET, signature(SECRET, NOW, BODY), str(NOW), bytes(tampered), now=NOW)


def test_re_serialised_json_fails_because_the_bytes_differ():
    pretty = json.dumps(json.loads(BODY), indent=2).encode()
    assert json.loads(pretty) == json.loads(BODY)
    assert not verify_signature(SECRET, signature(SECRET, NOW, BODY), str(NOW), pretty, now=NOW)


def test_missing_or_malformed_headers_and_stale_timestamps_fail():
    good = signature(SECRET, NOW, BODY)
    assert not verify_signature(SECRET, None, str(NOW), BODY, now=NOW)
    assert not verify_signature(SECRET, good, None, BODY, now=NOW)
    assert not verify_signature(SECRET, good, "yesterday", BODY, now=NOW)
    assert not verify_signature(SECRET, good, str(NOW), BODY, now=NOW + 301)  # older than 5 minutes
    assert not verify_signature("another-secret-entirely", good, str(NOW), BODY, now=NOW)


def test_during_rotation_both_secrets_verify():
    header = signature_header(["whsec_new_secret_abcdefgh", SECRET], NOW, BODY)
    assert header.count("sha256=") == 2
    assert verify_signature(SECRET, header, str(NOW), BODY, now=NOW)
    assert verify_signature("whsec_new_secret_abcdefgh", header, str(NOW), BODY, now=NOW)


def test_retry_schedule_then_dead():
    schedule = (300, 600, 1200)
    assert [retry_delay(n, schedule).total_seconds() for n in (1, 2, 3)] == [300, 600, 1200]
    assert retry_delay(4, schedule) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private address"),
        ("172.16.0.1", "private address"),
        ("192.168.1.10", "private address"),
        ("169.254.169.254", "cloud metadata address"),
        ("169.254.1.1", "link-local address"),
        ("100.64.0.1", "carrier-grade NAT address"),
        ("100.127.255.254", "carrier-grade NAT address"),
        ("0.0.0.0", "reserved address"),
        ("224.0.0.1", "reserved address"),
        ("fd00::1", "private address"),
        ("fe80::1", "link-local address"),
        ("::ffff:10.0.0.1", "private address"),
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
    ],
)
def test_internal_addresses_are_refused(address, reason):
    assert refused_address(ipaddress.ip_address(address), allow_loopback=False) == reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        # 6to4 (2002::/16): refused whatever it embeds, and the embedded IPv4 address is named
        ("2002:a00:1::1", "6to4 address (embeds 10.0.0.1)"),
        ("2002:a9fe:a9fe::1", "6to4 address (embeds 169.254.169.254)"),
        ("2002:808:808::1", "6to4 address (embeds 8.8.8.8)"),
        # Teredo (2001::/32): the client's address is stored inverted in the last 32 bits
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo address (embeds 192.0.2.45)"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo address (embeds 10.0.0.1)"),
        # NAT64 (64:ff9b::/96) is judged by the IPv4 address it carries
        ("64:ff9b::a00:1", "private address behind NAT64 (10.0.0.1)"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata address behind NAT64 (169.254.169.254)"),
        ("64:ff9b::7f00:1", "loopback address behind NAT64 (127.0.0.1)"),
        ("64:ff9b:1::a00:1", "local-use NAT64 address"),
        # IPv4-mapped (::ffff:0:0/96): the embedded address's reason, else refused as mapped
        ("::ffff:169.254.169.254", "cloud metadata address"),
        ("::ffff:127.0.0.1", "loopback address"),
        ("::ffff:8.8.8.8", "IPv4-mapped address (8.8.8.8)"),
        ("::a00:1", "reserved address"),  # IPv4-compatible (deprecated)
        ("fec0::1", "private address"),  # site-local (deprecated)
        ("100::1", "reserved address"),  # discard-only
        ("198.18.0.1", "private address"),  # benchmarking
    ],
)
def test_ipv6_addresses_that_reach_ipv4_are_refused(address, reason):
    assert refused_address(ipaddress.ip_address(address), allow_loopback=False) == reason


def test_tunnelling_addresses_stay_refused_where_loopback_is_allowed():
    for address in ("2002:7f00:1::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"):
        assert refused_address(ipaddress.ip_address(address), allow_loopback=True) is not None, address


def test_public_addresses_pass_and_loopback_only_when_allowed():
    assert refused_address(ipaddress.ip_address("93.184.216.34"), allow_loopback=False) is None
    assert refused_address(ipaddress.ip_address("2606:4700::1111"), allow_loopback=False) is None
    assert refused_address(ipaddress.ip_address("64:ff9b::808:808"), allow_loopback=False) is None  # NAT64
    assert refused_address(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None


def test_url_rules():
    assert url_problem("https://hooks.example.com/x", allow_http=False) is None
    assert url_problem("http://hooks.example.com/x", allow_http=False) == "the URL must use https"
    assert url_problem("http://localhost:8080/x", allow_http=True) is None
    assert url_problem("ftp://hooks.example.com", allow_http=True) is not None
    assert "credentials" in str(url_problem("https://user:pw@hooks.example.com", allow_http=False))
    assert url_problem("https://hooks.example.com:99999/", allow_http=False) is not None


def test_event_types_are_checked():
    assert EndpointCreate(
        url="https://a.example.com", event_types=["order.shipped", "order.shipped"]
    ).event_types == ["order.shipped"]
    with pytest.raises(ValueError):
        EndpointCreate(url="https://a.example.com", event_types=["order.teleported"])


def test_delivery_refuses_internal_addresses_before_connecting():
    from oms.adapters import http_delivery

    for url in (
        "http://127.0.0.1:9/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest",
        "http://[2002:a00:1::1]/hook",
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",
        "http://[64:ff9b::a00:1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
    ):
        result = http_delivery.send(url, b"{}", {}, budget=1, allow_loopback=False)
        assert result.status_code is None and result.error and result.error.startswith("refused:"), url
        assert result.latency_ms == 0.0  # nothing was sent
