"""Sending one webhook over HTTP, safely and within a time budget.

The host is resolved here, every address it resolves to is checked (no private, loopback,
link-local/metadata, CGNAT, reserved or IPv4-tunnelling targets), and the connection is made to the
checked address: a DNS answer that changes between the check and the connect (rebinding) cannot
redirect the request. TLS still verifies the certificate against the host name (SNI and hostname
check use the name, the socket uses the pinned address). Redirects are never followed, and no proxy
from the environment is used.

One attempt has one wall-clock budget for connect, TLS handshake, sending, the status line, the
headers and the start of the body. A per-read timeout is not enough: a receiver that drips one byte
every few seconds never trips it. So every socket operation here gets the time that is left, and a
read finds the budget spent before it starts. The answer counts only if it arrived whole (headers
and up to EXCERPT_BYTES of body) within the budget; otherwise the attempt failed and is retried.
"""

from __future__ import annotations

import functools
import http.client
import io
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from oms.domain.webhooks import refused_address

EXCERPT_BYTES = 500
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


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


class BudgetSpent(TimeoutError):
    """The attempt's time budget ran out before the answer was complete."""


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


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise BudgetSpent("time budget spent")
    return left


class _DeadlineReader(io.RawIOBase):
    """The socket's reads, each given only the time left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client.HTTPResponse needs of a socket (`makefile`), reading under the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # certificate and host name verified


def _request(method: str, target: str, host_header: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
    for name, value in {**headers, "Content-Length": str(len(body)), "Connection": "close"}.items():
        if any(c in f"{name}{value}" for c in "\r\n"):
            raise ValueError(f"header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _exchange(
    address: str, port: int, host: str, tls: bool, request: bytes, deadline: float
) -> tuple[int, bytes]:
    """Connect, (TLS,) send, and read the status, headers and the start of the body."""
    sock = socket.create_connection((address, port), timeout=_left(deadline))
    try:
        if tls:
            # CPython bounds the whole handshake by the socket's timeout (not each read)
            sock.settimeout(_left(deadline))
            sock = _tls().wrap_socket(sock, server_hostname=host)
        sock.settimeout(_left(deadline))
        sock.sendall(request)  # the timeout bounds the whole send (Python >= 3.5)
        response = http.client.HTTPResponse(_DeadlineSocket(sock, deadline), method="POST")  # type: ignore[arg-type]
        response.begin()
        try:
            excerpt = response.read(EXCERPT_BYTES)
        except TimeoutError as exc:
            raise BudgetSpent(f"status {response.status} arrived, the body did not") from exc
        return response.status, excerpt
    finally:
        sock.close()


def send(
    url: str, body: bytes, headers: dict[str, str], *, budget: float, allow_loopback: bool
) -> SendResult:
    """POST `body` to `url`; the whole attempt (after resolving) takes at most `budget` seconds."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.perf_counter()
    try:
        address = resolve_checked(host, port, allow_loopback)
    except UnsafeTarget as exc:
        return SendResult(None, 0.0, "", f"refused: {exc}")
    deadline = time.monotonic() + budget
    target = quote(parts.path or "/", safe=_PATH_SAFE) + (f"?{parts.query}" if parts.query else "")

    def elapsed() -> float:
        return (time.perf_counter() - started) * 1000.0

    try:
        request = _request("POST", target, parts.netloc.rsplit("@", 1)[-1], headers, body)
        status, excerpt = _exchange(address, port, host, parts.scheme == "https", request, deadline)
    except TimeoutError as exc:  # BudgetSpent, or a socket operation that used up the time left
        detail = f" ({exc})" if isinstance(exc, BudgetSpent) and str(exc) != "time budget spent" else ""
        return SendResult(None, elapsed(), "", f"timeout: no complete answer within {budget:g} s{detail}")
    except (OSError, ssl.SSLError, http.client.HTTPException, ValueError) as exc:
        return SendResult(None, elapsed(), "", f"{type(exc).__name__}: {str(exc)[:300]}")
    return SendResult(status, elapsed(), excerpt.decode("utf-8", "replace"), None)
