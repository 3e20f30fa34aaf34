"""Outbound webhooks, the pure part: endpoint rules, signatures, retry schedule, address checks.

Signatures, chosen per endpoint by `signature_version`:

* `v2` (the default): `X-OMS-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` over the
  exact bytes sent, with `X-OMS-Timestamp` (Unix seconds), so a receiver can refuse a replay.
  During a secret rotation the header carries one `sha256=` value per valid secret,
  comma-separated; a receiver accepts the request if any matches. `verify_signature` is the
  receiver side (also printed in the README).
* `v1` (the KubeRiva seed's scheme): `X-OMS-Signature: sha256=<hex HMAC-SHA256 of the body>`, one
  value (the seed's verifier compares the whole header); during a rotation the previous secret's
  value is in `X-OMS-Signature-Previous`. `verify_signature_v1` is the receiver side. No
  timestamp is signed: a receiver cannot tell a replay, so prefer v2.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oms.domain.events import SUBSCRIBABLE_EVENT_TYPES

SIGNATURE_HEADER = "X-OMS-Signature"
PREVIOUS_SIGNATURE_HEADER = "X-OMS-Signature-Previous"  # v1 only, during a rotation
SIGNATURE_VERSIONS = ("v1", "v2")
DEFAULT_SIGNATURE_VERSION: Final = "v2"
SignatureVersion = Literal["v1", "v2"]
TIMESTAMP_HEADER = "X-OMS-Timestamp"
EVENT_HEADER = "X-OMS-Event"
EVENT_ID_HEADER = "X-OMS-Event-Id"
DELIVERY_ID_HEADER = "X-OMS-Delivery-Id"
TOLERANCE_SECONDS = 300
DEFAULT_RETRY_SECONDS: tuple[float, ...] = (300, 600, 1200)  # 5, 10, 20 minutes, then DEAD
ROTATION_GRACE = timedelta(hours=24)
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS_PER_TENANT = 20
WILDCARD = "*"

DeliveryState = Literal["PENDING", "RETRYING", "DELIVERED", "DEAD"]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_header(secrets_in_use: Sequence[str], timestamp: int, body: bytes) -> str:
    return ",".join(signature(s, timestamp, body) for s in secrets_in_use)


def verify_signature(secret: str, header: str | None, timestamp: str | None, body: bytes, now: float) -> bool:
    """Receiver side: True if `header` holds a signature of these exact bytes made with `secret`,
    and the timestamp is within 5 minutes of `now` (Unix seconds). Constant-time comparison."""
    if not header or not timestamp or not timestamp.isdigit():
        return False
    sent_at = int(timestamp)
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, sent_at, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def signature_v1(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature_v1(secret: str, header: str | None, body: bytes) -> bool:
    """Receiver side of v1 (the seed's `verify_webhook`): the header is `sha256=<hex>` of the body."""
    if not header:
        return False
    return hmac.compare_digest(signature_v1(secret, body).encode(), header.strip().encode("utf-8"))


def signature_headers(
    version: str, secrets_in_use: Sequence[str], timestamp: int, body: bytes
) -> dict[str, str]:
    """The signature headers of one delivery: the newest secret first in `secrets_in_use`."""
    if version == "v1":
        headers = {SIGNATURE_HEADER: signature_v1(secrets_in_use[0], body)}
        if len(secrets_in_use) > 1:
            headers[PREVIOUS_SIGNATURE_HEADER] = signature_v1(secrets_in_use[1], body)
        return headers
    return {SIGNATURE_HEADER: signature_header(secrets_in_use, timestamp, body)}


def retry_delay(attempts_made: int, schedule: Sequence[float]) -> timedelta | None:
    """Wait before the next attempt after `attempts_made` failed ones; None: give up (DEAD)."""
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts_made - 1])


def wants(event_types: Iterable[str], event_type: str) -> bool:
    types = set(event_types)
    return WILDCARD in types or event_type in types or event_type == TEST_EVENT


def subscribed(endpoint: Mapping[str, Any], event_type: str) -> bool:
    """An endpoint gets a delivery of `event_type`: it is active and asked for that type."""
    return bool(endpoint.get("active", True)) and wants(endpoint.get("event_types", []), event_type)


# ------------------------------------------------------------------ where we may send
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")  # IPv4-mapped (RFC 4291)
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # 6to4 (RFC 3056): bits 16-48 are an IPv4 address
_TEREDO = ipaddress.ip_network("2001::/32")  # Teredo (RFC 4380): the client's IPv4, inverted
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052): last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64 (RFC 8215): a private network's


def _refused_v6_tunnel(ip: ipaddress.IPv6Address) -> tuple[bool, str | None]:
    """The IPv6 ranges that carry an IPv4 address: (decided, why). 6to4 and Teredo are refused
    whatever they embed (a relay decides where they end up); IPv4-mapped is refused too (no
    receiver needs one), naming the embedded address's own reason when it has one; a NAT64 address
    is judged by the IPv4 address it embeds."""
    if ip in _MAPPED:
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        return True, refused_address(inner, allow_loopback=False) or f"IPv4-mapped address ({inner})"
    if ip in _SIX_TO_FOUR:
        return True, f"6to4 address (embeds {ip.sixtofour})"
    if ip in _TEREDO:
        client = ip.teredo[1] if ip.teredo else None
        return True, f"Teredo address (embeds {client})"
    if ip in _LOCAL_NAT64:
        return True, "local-use NAT64 address"
    if ip in _NAT64:
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        why = refused_address(inner, allow_loopback=False)
        return True, (f"{why} behind NAT64 ({inner})" if why else None)
    return False, None


def refused_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> str | None:
    """Why a webhook may not be sent to this address (None: it may). Private networks, link-local
    (including cloud metadata), CGNAT, multicast and reserved ranges are internal by definition;
    IPv6 addresses that tunnel to IPv4 are judged as described in `_refused_v6_tunnel`; anything
    else that is not globally routable is refused last."""
    if isinstance(ip, ipaddress.IPv6Address):
        decided, why = _refused_v6_tunnel(ip)
        if decided:
            return why
    if ip.is_loopback:
        return None if allow_loopback else "loopback address"
    if ip in _METADATA:
        return "cloud metadata address"
    if ip.is_link_local:
        return "link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "carrier-grade NAT address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "private address"
    if not ip.is_global:
        return "address that is not publicly routable"
    return None


def url_problem(url: str, *, allow_http: bool) -> str | None:
    """What is wrong with an endpoint URL before resolving it (None if nothing)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_http):
        return "the URL must use https" if not allow_http else "the URL must use http or https"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed; use the signing secret"
    if port is not None and not 1 <= port <= 65535:
        return "bad port"
    return None


# ------------------------------------------------------------------ API models
def _check_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    unknown = sorted(set(value) - {*SUBSCRIBABLE_EVENT_TYPES, WILDCARD})
    if unknown:
        known = ", ".join(SUBSCRIBABLE_EVENT_TYPES)
        raise ValueError(f"unknown event types {unknown}; known: {known} or *")
    return sorted(set(value))


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=8, max_length=2048)
    event_types: list[str] = Field(default_factory=lambda: [WILDCARD], min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    active: bool = True
    signature_version: SignatureVersion = DEFAULT_SIGNATURE_VERSION

    _types = field_validator("event_types")(_check_types)


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str | None = Field(default=None, min_length=8, max_length=2048)
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None
    signature_version: SignatureVersion | None = None

    _types = field_validator("event_types")(_check_types)
