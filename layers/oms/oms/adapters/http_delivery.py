"""Sending one webhook over HTTP, safely.

The host is resolved here, every address it resolves to is checked (no private, loopback,
link-local/metadata, CGNAT or reserved targets), and the connection is pinned to the checked
address: a DNS answer that changes between the check and the connect (rebinding) cannot redirect
the request. TLS still verifies the certificate against the host name (SNI and hostname check use
the name, the socket uses the pinned address). Redirects are never followed.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from oms.domain.webhooks import refused_address

EXCERPT_BYTES = 500


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class UnsafeTarget(Exception):
    """The URL resolves to an address webhooks may not be sent to."""


def resolve_checked(host: str, port: int, allow_loopback: bool) -> str:
    """The first address of `host`, after checking every address it resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeTarget(f"{host} has no address")
    for address in addresses:
        why = refused_address(ipaddress.ip_address(address.split("%")[0]), allow_loopback)
        if why:
            raise UnsafeTarget(f"{host} resolves to {address}, a {why}")
    return addresses[0]


@functools.cache
def _pinned_adapter_class() -> Any:
    """An HTTPAdapter that connects to the URL's (already checked) IP while TLS verifies the
    original host name. Built on first use: `requests` stays off the API's cold start."""
    from requests.adapters import HTTPAdapter

    class PinnedAdapter(HTTPAdapter):
        def __init__(self, server_hostname: str) -> None:
            self._server_hostname = server_hostname
            super().__init__(max_retries=0)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["server_hostname"] = self._server_hostname
            kwargs["assert_hostname"] = self._server_hostname
            super().init_poolmanager(*args, **kwargs)

    return PinnedAdapter


def send(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_loopback: bool
) -> SendResult:
    import requests

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.perf_counter()
    try:
        address = resolve_checked(host, port, allow_loopback)
    except UnsafeTarget as exc:
        return SendResult(None, 0.0, "", f"refused: {exc}")
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment may see or reroute the payload
    if parts.scheme == "https":
        session.mount("https://", _pinned_adapter_class()(host))
    try:
        response = session.post(
            pinned,
            data=body,
            headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
            timeout=(min(3.0, timeout), timeout),
            allow_redirects=False,
            stream=True,
        )
        excerpt = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
        response.close()
        latency = (time.perf_counter() - started) * 1000.0
        return SendResult(response.status_code, latency, excerpt.decode("utf-8", "replace"), None)
    except requests.RequestException as exc:
        latency = (time.perf_counter() - started) * 1000.0
        return SendResult(None, latency, "", f"{type(exc).__name__}: {str(exc)[:300]}")
    finally:
        session.close()
