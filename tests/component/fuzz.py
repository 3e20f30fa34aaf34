"""Drive every operation of the OpenAPI document with schemathesis cases, sent through ApiClient.

Used by test_schemathesis.py (and `make bench` through its report). Each case schemathesis
generates from the document is turned into one ApiClient.call (the API function invoked with the
API Gateway event of that request); a 5xx, or a function that raised, is a failure, recorded with
the request that reproduces it. Nothing is shrunk or retried: the run is a fixed, derandomized set
of cases, so two runs of the same code send the same requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.component.apiclient import ApiClient, Reply

BASE_URL = "http://api.local"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
POOL_SIZE = 3  # known ids kept per path parameter
BODY_SHOWN = 1500  # characters of a failing request's body shown in the report


@dataclass(frozen=True)
class Identity:
    """Who sends the cases: a name for the report and the bearer token (None: anonymous)."""

    name: str
    client: ApiClient  # without a token: the Authorization header is part of each case
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass
class Failure:
    identity: str
    operation: str
    mode: str
    status: int | str
    response: Any
    request: str
    count: int = 1


@dataclass
class Run:
    """What one fuzz run did: per-operation case counts, the failures, what could not be generated."""

    cases: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    failures: dict[tuple[str, str, str, str], Failure] = field(default_factory=dict)
    not_generated: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def figures(self, seconds: float) -> dict[str, Any]:
        return {
            "operations": len(self.by_operation),
            "cases": self.cases,
            "server_errors": sum(f.count for f in self.failures.values()),
            "distinct_server_errors": len(self.failures),
            "seconds": round(seconds, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "cases_by_operation": dict(sorted(self.by_operation.items())),
            "not_generated": self.not_generated,
        }

    def report(self) -> str:
        lines = []
        for f in self.failures.values():
            body = json.dumps(f.response)[:400] if not isinstance(f.response, str) else f.response[:400]
            lines.append(
                f"- {f.operation} as {f.identity} ({f.mode}, seen {f.count}x): {f.status} {body}\n"
                f"  reproduce: {f.request}"
            )
        return "\n".join(lines)


def load_schema(document: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_dict(json.loads(json.dumps(document)))


def operations(schema: Any) -> list[Any]:
    found, errors = [], []
    for result in schema.get_all_operations():
        try:
            found.append(result.ok())
        except Exception as exc:  # an Err: the document has an operation schemathesis cannot read
            errors.append(str(exc))
    assert not errors, f"schemathesis could not read these operations: {errors}"
    return found


def operation_id(op: Any) -> str:
    return str(op.definition.raw["operationId"])


def path_params(op: Any) -> list[str]:
    return [p["name"] for p in op.definition.raw.get("parameters", []) if p.get("in") == "path"]


def negatable(op: Any) -> bool:
    """Whether negative mode has something to break: a request body or a query parameter."""
    raw = op.definition.raw
    return "requestBody" in raw or any(p.get("in") == "query" for p in raw.get("parameters", []))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def to_request(case: Any) -> tuple[str, str, dict[str, str], bytes | None]:
    """(method, url with query, headers, body) of a case, as a client would send it."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    pairs = [
        (name, _text(item))
        for name, value in (kwargs.get("params") or {}).items()
        for item in (value if isinstance(value, list) else [value])
    ]
    url = urlsplit(kwargs["url"]).path + (f"?{urlencode(pairs)}" if pairs else "")
    headers = {str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()}
    body: bytes | None = None
    if "json" in kwargs:
        body = json.dumps(kwargs["json"], ensure_ascii=False).encode("utf-8")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        body = data if isinstance(data, bytes) else str(data).encode("utf-8")
    return str(kwargs["method"]).upper(), url, headers, body


def reproduce(who: str, method: str, url: str, headers: dict[str, str], body: bytes | None) -> str:
    shown = {k: v for k, v in headers.items() if k.lower() != "authorization"}
    raw = "None" if body is None else repr(body[:BODY_SHOWN]) + (" (cut)" if len(body) > BODY_SHOWN else "")
    return f"{who}.call({method!r}, {url!r}, raw={raw}, headers={shown!r})"


class Fuzzer:
    def __init__(self, schema: Any, examples: int, pools: dict[str, list[str]]) -> None:
        self.schema = schema
        self.examples = examples
        self.pools = {k: list(v)[:POOL_SIZE] for k, v in pools.items()}
        self.collections = self._collections()
        self.run = Run()

    def _collections(self) -> dict[str, str]:
        """Collection path -> the path parameter naming one of its members (POST /nodes -> node_id)."""
        found = {}
        for op in operations(self.schema):
            params = path_params(op)
            if params and op.path.endswith("/{" + params[-1] + "}"):
                parent = op.path[: -len(params[-1]) - 3]
                if "{" not in parent:
                    found[parent] = params[-1]
        return found

    def fuzz(self, op: Any, who: Identity, mode: GenerationMode) -> None:
        name = operation_id(op)
        self.run.by_operation.setdefault(name, 0)
        if mode == GenerationMode.NEGATIVE and not negatable(op):
            # only string path parameters: their one invalid value, "", cannot be sent in a path
            self.run.not_generated.append(f"{name} as {who.name} (negative: nothing to make invalid)")
            return
        strategy = self._strategy(op, who, mode)

        @settings(
            max_examples=self.examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(strategy)
        def drive(case: Any) -> None:
            self.send(op, who, mode, case)

        try:
            drive()
        except Unsatisfiable:
            self.run.not_generated.append(f"{name} as {who.name} ({mode.value})")

    def _strategy(self, op: Any, who: Identity, mode: GenerationMode) -> Any:
        generated = op.as_strategy(generation_mode=mode, headers=who.headers)
        params = path_params(op)
        if not params or not all(self.pools.get(p) for p in params):
            return generated
        combos = [dict(zip(params, values, strict=True)) for values in _product(self.pools, params)]
        known = st.sampled_from(combos).flatmap(
            lambda pp: op.as_strategy(generation_mode=mode, headers=who.headers, path_parameters=pp)
        )
        return st.one_of(known, generated)

    def send(self, op: Any, who: Identity, mode: GenerationMode, case: Any) -> None:
        name = operation_id(op)
        method, url, headers, body = to_request(case)
        self.run.cases += 1
        self.run.by_operation[name] += 1
        try:
            reply: Reply | None = who.client.call(method, url, raw=body, headers=headers)
        except Exception as exc:  # the function raised: API Gateway would answer 500
            reply, status, response = None, "function error", repr(exc)[:400]
        else:
            status, response = reply.status, reply.body
        self.run.statuses[str(status)] = self.run.statuses.get(str(status), 0) + 1
        if reply is None or reply.status >= 500:
            code = response.get("error", {}).get("code", "") if isinstance(response, dict) else ""
            key = (who.name, name, str(status), str(code))
            if key in self.run.failures:
                self.run.failures[key].count += 1
            else:
                request = reproduce(who.name.lower(), method, url, headers, body)
                self.run.failures[key] = Failure(who.name, name, mode.value, status, response, request)
            return
        self._harvest(op, reply)

    def _harvest(self, op: Any, reply: Reply) -> None:
        """Ids the run created become path parameters of later operations (a cheap stateful step)."""
        param = self.collections.get(op.path)
        if op.method.upper() != "POST" or param is None or not 200 <= reply.status < 300:
            return
        if isinstance(reply.body, dict) and isinstance(reply.body.get("id"), str):
            pool = self.pools.setdefault(param, [])
            if len(pool) < POOL_SIZE + 2:
                pool.append(reply.body["id"])


def _product(pools: dict[str, list[str]], params: list[str]) -> Iterable[tuple[str, ...]]:
    combos: list[tuple[str, ...]] = [()]
    for p in params:
        combos = [(*c, v) for c in combos for v in pools[p]]
    return combos


def order_key(op: Any) -> tuple[int, str]:
    """Creations first (their ids feed later operations), deletions last."""
    method = op.method.upper()
    if method == "DELETE":
        rank = 3
    elif method == "POST" and not path_params(op):
        rank = 0
    else:
        rank = 1 if method == "GET" else 2
    return rank, f"{op.path} {method}"


def timed(fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
