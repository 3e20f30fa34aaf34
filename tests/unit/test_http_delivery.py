"""One delivery attempt over a real socket: a whole-answer budget (a dripping receiver is cut at it,
whatever part of the answer drips), and a normal answer read as it comes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oms.adapters import http_delivery
from tests.fakes import Receiver, SlowReceiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.mark.parametrize("where", ["status", "headers", "body"])
def test_a_dripping_answer_is_cut_at_the_budget(where):
    slow = SlowReceiver(where=where, every=0.05)
    try:
        result = http_delivery.send(slow.url, b'{"a":1}', {"X-Test": "1"}, budget=0.5, allow_loopback=True)
    finally:
        slow.close()
    assert slow.requests == 1  # it was reached, and answered (slowly)
    assert result.status_code is None and not result.ok
    assert result.error is not None and result.error.startswith("timeout: no complete answer within 0.5 s")
    # each byte came well within any per-read timeout; only the budget for the whole answer ended it
    assert slow.bytes_sent < 10_000
    if where == "body":
        assert "status 200 arrived" in result.error


def test_a_prompt_answer_is_read_with_its_status_and_excerpt(receiver):
    receiver.script = [503]
    result = http_delivery.send(
        receiver.url + "?q=1", b'{"a":1}', {"X-Test": "yes"}, budget=5, allow_loopback=True
    )
    assert result.status_code == 503 and result.response_excerpt == "status 503" and result.error is None
    [request] = receiver.requests
    assert request["body"] == b'{"a":1}' and request["headers"]["X-Test"] == "yes"
    assert request["path"] == "/hooks?q=1" and request["headers"]["Host"] == receiver.url.split("/")[2]
    ok = http_delivery.send(receiver.url, b"{}", {}, budget=5, allow_loopback=True)
    assert ok.ok and ok.status_code == 200


def test_nothing_listening_is_an_error_not_an_exception():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: the connection is refused
        result = http_delivery.send(f"http://127.0.0.1:{port}/x", b"{}", {}, budget=2, allow_loopback=True)
    assert result.status_code is None and result.error and "ConnectionRefused" in result.error


def test_a_header_value_with_a_line_break_is_never_sent(receiver):
    result = http_delivery.send(
        receiver.url, b"{}", {"X-Evil": "a\r\nX-Injected: 1"}, budget=2, allow_loopback=True
    )
    assert result.status_code is None and result.error and "line break" in result.error
    assert receiver.requests == []
