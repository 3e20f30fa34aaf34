"""Local fake servers the tests talk to instead of the internet."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A webhook receiver on 127.0.0.1 that records requests and answers from a script (only
    requests whose body contains `script_match`, when set, consume the script)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[int] = []
        self.script_match: bytes | None = None
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                with receiver._lock:
                    scripted = receiver.script and (
                        receiver.script_match is None or receiver.script_match in body
                    )
                    status = receiver.script.pop(0) if scripted else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"status {status}".encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def for_event(self, event_id: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["headers"].get("X-OMS-Event-Id") == event_id]


class SlowReceiver:
    """A receiver that takes the request, then answers one byte at a time, `every` seconds apart,
    for as long as the client listens (`where`: "status" drips the status line itself, "headers"
    sends the status line and drips the headers, "body" sends the headers and drips the body).
    No per-read timeout ever trips on it; only a budget for the whole answer ends it."""

    def __init__(self, where: str = "headers", every: float = 0.1) -> None:
        self.where, self.every = where, every
        self.requests = 0
        self.bytes_sent = 0
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/slow"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            self.requests += 1
            head, drip = {
                "status": (b"", b"HTTP/1.1 200 OK\r\n"),
                "headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"z" * 10_000),
                "body": (b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n", b"z" * 10_000),
            }[self.where]
            try:
                conn.sendall(head)
                for i in range(len(drip)):
                    if self._stop.is_set():
                        return
                    conn.sendall(drip[i : i + 1])
                    self.bytes_sent += 1
                    time.sleep(self.every)
            except OSError:
                return  # the client gave up: what a budget is for

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


class _JsonServer:
    """A threaded HTTP server whose handler methods return (status, json body, headers)."""

    def __init__(self, poll_interval: float = 0.5) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length) if length else b""
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                }
                server.requests.append(request)
                status, payload, headers = server.answer(request)
                if isinstance(payload, bytes):  # sent as it is (a body that is not JSON)
                    data = payload
                else:
                    data = b"" if status == 204 else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": poll_interval}, daemon=True).start()

    def answer(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # refuse connections from now on (a poller must not hang on it)


class FakeShopify(_JsonServer):
    """Shopify Admin GraphQL: an order's fulfilment orders and fulfillmentCreate; the stock sync's
    productVariants (by `sku:`), inventorySetQuantities (calls recorded, quantities kept) and a
    location's inventoryLevels (paged, `page_size`); an order's lineItems, transactions and
    refunds, and refundCreate (recorded). `failures` makes the next n calls answer 500,
    `throttle` the next n answer THROTTLED (a 200 with the GraphQL error, as Shopify does)."""

    def __init__(self) -> None:
        self.failures = 0
        self.throttle = 0
        self.page_size = 250
        self.fulfilled: dict[str, dict[str, Any]] = {}  # shopify order gid -> fulfillment input
        self.variants: dict[str, str] = {}  # sku -> inventory item gid
        self.levels: dict[tuple[str, str], int] = {}  # (inventory item gid, location gid) -> available
        self.set_calls: list[dict[str, Any]] = []  # inventorySetQuantities inputs, in order
        self.orders: dict[str, dict[str, Any]] = {}  # order gid -> line_items, transactions, refunds
        self.refund_calls: list[dict[str, Any]] = []
        self.on_set: Any = None  # called once, before answering the next inventorySetQuantities
        self._lock = threading.Lock()
        super().__init__()

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/admin/api/2025-10/graphql.json"

    def add_variant(self, sku: str, number: int) -> str:
        self.variants[sku] = f"gid://shopify/InventoryItem/{number}"
        return self.variants[sku]

    def add_order(self, order_id: int, lines: list[tuple[int, str, int]], paid: str) -> str:
        """An order with (line id, sku, quantity) lines, paid by one successful SALE."""
        gid = f"gid://shopify/Order/{order_id}"
        self.orders[gid] = {
            "line_items": [
                {"id": f"gid://shopify/LineItem/{i}", "sku": sku, "quantity": q, "refundableQuantity": q}
                for i, sku, q in lines
            ],
            "transactions": [
                {
                    "id": f"gid://shopify/OrderTransaction/{order_id}1",
                    "kind": "SALE",
                    "status": "SUCCESS",
                    "gateway": "shopify_payments",
                    "amountSet": {"shopMoney": {"amount": paid}},
                }
            ],
            "refunds": [],
        }
        return gid

    def available(self, sku: str, location: str) -> int | None:
        return self.levels.get((self.variants[sku], location))

    @staticmethod
    def _ok(data: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        cost = {
            "requestedQueryCost": 10,
            "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": 990, "restoreRate": 50.0},
        }
        return 200, {"data": data, "extensions": {"cost": cost}}, {}

    def answer(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            if self.failures > 0:
                self.failures -= 1
                return 500, {"errors": "internal"}, {}
            if self.throttle > 0:
                self.throttle -= 1
                status = {"maximumAvailable": 1000.0, "currentlyAvailable": 2, "restoreRate": 50.0}
                errors = [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]
                return 200, {"errors": errors, "extensions": {"cost": {"throttleStatus": status}}}, {}
        query = json.loads(request["body"])
        text, variables = query["query"], query.get("variables") or {}
        if "shop {" in text:
            return 200, {"data": {"shop": {"name": "Fake Shop"}}}, {}
        if "productVariants" in text:
            sku = variables["query"].removeprefix("sku:").strip('"')
            nodes = (
                [{"sku": sku, "inventoryItem": {"id": self.variants[sku]}}] if sku in self.variants else []
            )
            return self._ok({"productVariants": {"nodes": nodes}})
        if "inventorySetQuantities" in text:
            given = variables["input"]
            with self._lock:
                self.set_calls.append(given)
                for q in given["quantities"]:
                    self.levels[(q["inventoryItemId"], q["locationId"])] = q["quantity"]
            hook, self.on_set = self.on_set, None
            if hook is not None:  # e.g. stock moving in Cirrus while the push is in flight
                hook()
            group = {"id": f"gid://shopify/InventoryAdjustmentGroup/{len(self.set_calls)}"}
            return self._ok({"inventorySetQuantities": {"inventoryAdjustmentGroup": group, "userErrors": []}})
        if "inventoryLevels" in text:
            return self._ok({"location": self._levels(variables["id"], variables.get("after"))})
        if "refundCreate" in text:
            given = variables["input"]
            order = self.orders[given["orderId"]]
            with self._lock:
                self.refund_calls.append(given)
                refund = {"id": f"gid://shopify/Refund/{len(self.refund_calls)}", "note": given.get("note")}
                order["refunds"].append(refund)
            return self._ok({"refundCreate": {"refund": {"id": refund["id"]}, "userErrors": []}})
        if "lineItems" in text:
            order = self.orders.get(variables["id"])
            if order is None:
                return self._ok({"order": None})
            return self._ok(
                {
                    "order": {
                        "id": variables["id"],
                        "lineItems": {"nodes": order["line_items"]},
                        "transactions": order["transactions"],
                        "refunds": order["refunds"],
                    }
                }
            )
        if "fulfillmentOrders" in text:
            gid = variables["id"]
            status = "CLOSED" if gid in self.fulfilled else "OPEN"
            return (
                200,
                {
                    "data": {
                        "order": {
                            "fulfillmentOrders": {
                                "nodes": [
                                    {
                                        "id": "gid://shopify/FulfillmentOrder/" + gid.rsplit("/", 1)[-1],
                                        "status": status,
                                    }
                                ]
                            }
                        }
                    }
                },
                {},
            )
        if "fulfillmentCreate" in text:
            fulfillment = variables["fulfillment"]
            fulfillment_order = fulfillment["lineItemsByFulfillmentOrder"][0]["fulfillmentOrderId"]
            gid = "gid://shopify/Order/" + fulfillment_order.rsplit("/", 1)[-1]
            self.fulfilled[gid] = fulfillment
            return (
                200,
                {
                    "data": {
                        "fulfillmentCreate": {
                            "fulfillment": {"id": "gid://shopify/Fulfillment/1", "status": "SUCCESS"},
                            "userErrors": [],
                        }
                    }
                },
                {},
            )
        return 400, {"errors": [{"message": "unknown query"}]}, {}

    def _levels(self, location: str, after: str | None) -> dict[str, Any]:
        skus = {item: sku for sku, item in self.variants.items()}
        rows = sorted((item, q) for (item, loc), q in self.levels.items() if loc == location)
        start = int(after or 0)
        page = rows[start : start + self.page_size]
        more = start + self.page_size < len(rows)
        return {
            "inventoryLevels": {
                "pageInfo": {"hasNextPage": more, "endCursor": str(start + self.page_size) if more else None},
                "nodes": [
                    {
                        "item": {"id": item, "sku": skus.get(item)},
                        "quantities": [{"name": "available", "quantity": q}],
                    }
                    for item, q in page
                ],
            }
        }


class FakeSpApi(_JsonServer):
    """SP-API: LWA tokens, searchOrders (paged, `page_size` per page) that throttles every
    `throttle_every`-th call with a 429, getOrder, and shipment confirmations."""

    def __init__(self, orders: list[dict[str, Any]], page_size: int = 2, throttle_every: int = 3) -> None:
        self.orders = orders
        self.page_size = page_size
        self.throttle_every = throttle_every
        self.calls = 0
        self.throttled = 0
        self.confirmations: list[dict[str, Any]] = []
        super().__init__()

    def answer(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(request["path"])
        if parts.path == "/auth/o2/token":
            form = parse_qs(request["body"].decode())
            if form.get("grant_type") != ["refresh_token"] or not form.get("refresh_token"):
                return 400, {"error": "invalid_grant"}, {}
            return 200, {"access_token": "Atza|fake", "expires_in": 3600}, {}
        if request["headers"].get("x-amz-access-token") != "Atza|fake":
            return 403, {"errors": [{"code": "Unauthorized"}]}, {}
        self.calls += 1
        if self.throttle_every and self.calls % self.throttle_every == 0:
            self.throttled += 1
            return 429, {"errors": [{"code": "QuotaExceeded"}]}, {"Retry-After": "0"}
        if parts.path == "/orders/2026-01-01/orders":
            query = parse_qs(parts.query)
            start = int(query["paginationToken"][0]) if "paginationToken" in query else 0
            if "paginationToken" not in query:
                after = query["lastUpdatedAfter"][0]
                self.window = sorted(
                    (o for o in self.orders if o["lastUpdatedTime"] > after),
                    key=lambda o: o["lastUpdatedTime"],
                )
            page = self.window[start : start + self.page_size]
            more = start + self.page_size < len(self.window)
            body: dict[str, Any] = {"orders": page}
            if more:
                body["pagination"] = {"nextToken": str(start + self.page_size)}
            return 200, body, {}
        if parts.path.startswith("/orders/2026-01-01/orders/"):
            order_id = parts.path.rsplit("/", 1)[-1]
            found = next((o for o in self.orders if o["orderId"] == order_id), None)
            return (200, {"order": found}, {}) if found else (404, {"errors": [{"code": "NotFound"}]}, {})
        if parts.path.endswith("/shipmentConfirmation"):
            self.confirmations.append({"order_id": parts.path.split("/")[4], **json.loads(request["body"])})
            return 204, {}, {}
        return 404, {"errors": [{"code": "NotFound"}]}, {}


class FakeClaude(_JsonServer):
    """The Anthropic Messages API (`POST /v1/messages`), scripted per request.

    `script` is consumed one behaviour per request (then `default` serves):
    "good" (a tool_use answer scoring every candidate: `scores[node_id]`, else a score falling with
    the candidate's position), "low" (every score 0.1), "malformed" (tool input that fails the
    schema), "text" (a text-only answer, no tool call), "other_tool" (a call to another tool),
    "cut_off" (stop_reason max_tokens), "not_json" (a 200 whose body is not JSON), "not_message"
    (a 200 with JSON that is not a message),
    "slow" (answers "good" after `delay` seconds), 429 (retry-after `retry_after`), 500, 401.
    Candidates are read from the request's user message (the JSON document the advisor sends).
    `requests` holds every request; `bodies()` their parsed JSON; `answers` the usage given.

    A request offering the architect chat's tools (`propose_sourcing_rule`) is answered from
    `chat_replies` (one per request, then `chat_default`): `{"tool": name, "input": {...}}` is a
    tool_use block, `{"text": "..."}` a text-only answer. The numeric and "slow"/"not_json"
    behaviours of `script` apply to it too.

    A request forcing one of the exception analyst's tools (`record_exception_analysis`,
    `review_policy`) is answered with the tool input from `tool_replies[name]` (one per request,
    then `tool_defaults[name]`); of `script`, "low" lowers the confidence to 0.3, "malformed" gives
    input that fails the schema, "text" and "cut_off" as above."""

    CHAT_TOOLS = frozenset({"propose_sourcing_rule", "propose_experiment"})
    CHAT_DEFAULT: dict[str, Any] = {
        "tool": "propose_sourcing_rule",
        "input": {
            "summary": "Send same-day orders in California to dark stores first",
            "rule": {
                "name": "Same-day California to dark stores",
                "priority": 1,
                "strategy": "STORE_NEAREST",
                "conditions": [
                    {"field": "fulfillment_type", "operator": "EQUALS", "value": "SAME_DAY_DELIVERY"},
                    {"field": "shipping_state", "operator": "EQUALS", "value": "CA"},
                ],
                "allowed_node_types": ["DARK_STORE"],
            },
        },
    }

    ANALYSIS_DEFAULT: dict[str, Any] = {
        "label": "CARRIER_ISSUE",
        "confidence": 0.82,
        "ops_note": "Label printed at DC-1 but no carrier scan for 3 hours; call the carrier and re-tender.",
        "client_note": "Your parcel is packed and waiting for the courier; we are chasing the pickup.",
        "reasoning": "ship_label_printed seen, shipped missing past the deadline.",
    }
    LINT_DEFAULT: dict[str, Any] = {
        "suggestions": ["Give SAME_DAY_DELIVERY orders a shorter pick window than the default."],
        "test_cases": [
            {
                "name": "weekend web order picked late",
                "facts": {"channel": "WEB", "weekend": True},
                "milestone": "pick_completed",
                "minutes_after_paid": 200,
                "expected": "breach",
            }
        ],
    }

    def __init__(self) -> None:
        self.tool_replies: dict[str, list[dict[str, Any]]] = {}
        self.tool_defaults: dict[str, dict[str, Any]] = {
            "record_exception_analysis": dict(self.ANALYSIS_DEFAULT),
            "review_policy": dict(self.LINT_DEFAULT),
        }
        self.script: list[str | int] = []
        self.default: str | int = "good"
        self.chat_replies: list[dict[str, Any]] = []
        self.chat_default: dict[str, Any] = self.CHAT_DEFAULT
        self.scores: dict[str, float] = {}
        self.delay = 1.0
        self.retry_after = "0"
        self.answers: list[dict[str, int]] = []
        self._closing = threading.Event()
        self._lock = threading.Lock()
        super().__init__(poll_interval=0.05)  # closed quickly after each test
        # a client that gave up (timeout) closes the socket under a slow answer: not an error here
        self.server.handle_error = lambda *args: None  # type: ignore[method-assign]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if r["path"] == "/v1/messages"]

    @staticmethod
    def document(body: dict[str, Any]) -> dict[str, Any]:
        """The JSON document in the request's user message."""
        for message in body.get("messages", []):
            content = message.get("content")
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            for block in blocks or []:
                if block.get("type") == "text":
                    try:
                        doc = json.loads(block["text"])
                    except ValueError:
                        continue
                    if isinstance(doc, dict) and "candidates" in doc:
                        return doc
        return {}

    @staticmethod
    def key_of(request: dict[str, Any]) -> str | None:
        """The API key a request carried (`x-api-key`, or `Authorization: Bearer`, as the SDK sends it)."""
        headers = {k.lower(): v for k, v in request["headers"].items()}
        bearer = headers.get("authorization", "")
        return headers.get("x-api-key") or (bearer[7:] if bearer.startswith("Bearer ") else None)

    def close(self) -> None:
        self._closing.set()
        super().close()

    def answer(self, request: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if request["method"] != "POST" or request["path"] != "/v1/messages":
            return 404, {"type": "error", "error": {"type": "not_found_error", "message": "no route"}}, {}
        if not self.key_of(request):
            error = {"type": "error", "error": {"type": "authentication_error", "message": "no key"}}
            return 401, error, {}
        with self._lock:
            behaviour = self.script.pop(0) if self.script else self.default
        if behaviour == 429:
            error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
            return 429, error, {"retry-after": self.retry_after}
        if isinstance(behaviour, int):
            kind = {401: "authentication_error", 500: "api_error"}.get(behaviour, "api_error")
            return behaviour, {"type": "error", "error": {"type": kind, "message": "scripted"}}, {}
        if behaviour == "slow":
            self._closing.wait(self.delay)
            behaviour = "good"
        body = json.loads(request["body"])
        if behaviour == "not_json":
            return 200, b"<html>upstream proxy error</html>", {}
        if behaviour == "not_message":
            return 200, {"ok": True}, {}
        if self.CHAT_TOOLS & {t.get("name") for t in body.get("tools") or []}:
            return 200, self._chat(body), {}
        forced = (body.get("tool_choice") or {}).get("name")
        if forced in self.tool_defaults:
            return 200, self._structured(body, forced, behaviour), {}
        candidates = [c["node_id"] for c in self.document(body).get("candidates", [])]
        recommendations: Any = [
            {
                "node_id": node,
                "score": 0.1 if behaviour == "low" else self.scores.get(node, round(0.9 - 0.1 * i, 3)),
                "reason": f"fake reason for {node}",
            }
            for i, node in enumerate(candidates)
        ]
        if behaviour == "malformed":
            recommendations = [{"node": n, "score": "high"} for n in candidates]
        tool_input = {"recommendations": recommendations}
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_fake", "name": body["tool_choice"]["name"], "input": tool_input}
        ]
        if behaviour == "text":
            content = [{"type": "text", "text": "I would send it to the nearest node."}]
        elif behaviour == "other_tool":
            content[0]["name"] = "something_else"
        usage = {"input_tokens": len(request["body"]) // 4, "output_tokens": len(json.dumps(content)) // 4}
        self.answers.append(usage)
        stop = {"text": "end_turn", "cut_off": "max_tokens"}.get(str(behaviour), "tool_use")
        message = {
            "id": f"msg_fake_{len(self.answers)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        return 200, message, {}

    def _structured(self, body: dict[str, Any], tool: str, behaviour: str | int) -> dict[str, Any]:
        with self._lock:
            queued = self.tool_replies.get(tool) or []
            tool_input = dict(queued.pop(0) if queued else self.tool_defaults[tool])
        if behaviour == "low" and "confidence" in tool_input:
            tool_input["confidence"] = 0.3
        if behaviour == "malformed":
            tool_input = {"label": "SOMETHING", "confidence": "high", "suggestions": "none", "test_cases": 3}
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_fake", "name": tool, "input": tool_input}
        ]
        if behaviour == "text":
            content = [{"type": "text", "text": "It is probably the carrier."}]
        usage = {"input_tokens": len(json.dumps(body)) // 4, "output_tokens": len(json.dumps(content)) // 4}
        self.answers.append(usage)
        return {
            "id": f"msg_fake_{len(self.answers)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": {"text": "end_turn", "cut_off": "max_tokens"}.get(str(behaviour), "tool_use"),
            "stop_sequence": None,
            "usage": usage,
        }

    def _chat(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            reply = self.chat_replies.pop(0) if self.chat_replies else self.chat_default
        if "text" in reply:
            content: list[dict[str, Any]] = [{"type": "text", "text": reply["text"]}]
        else:
            content = [
                {"type": "text", "text": "Here is a proposal."},
                {"type": "tool_use", "id": "toolu_chat", "name": reply["tool"], "input": reply["input"]},
            ]
        usage = {"input_tokens": len(json.dumps(body)) // 4, "output_tokens": len(json.dumps(content)) // 4}
        self.answers.append(usage)
        return {
            "id": f"msg_fake_{len(self.answers)}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "end_turn" if "text" in reply else "tool_use",
            "stop_sequence": None,
            "usage": usage,
        }
