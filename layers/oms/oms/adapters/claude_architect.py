"""The architect chat's Claude call (ADR 0025): a request in plain words becomes the input of one
of two tools, `propose_sourcing_rule` or `propose_experiment`, whose schemas are the models'
own (`SourcingRuleFields`, `ExperimentFields`, strategies listed by name). The answer is only read
here; the service validates it with the same models and stores a PENDING proposal, never applies.

The client is the Claude advisor's (`claude_advisor()`: ANTHROPIC_API_KEY or the SSM parameter
ANTHROPIC_API_KEY_PARAM, ANTHROPIC_BASE_URL, CLAUDE_MODEL), with its own timeout
(CLAUDE_CHAT_TIMEOUT_SECONDS, 8 s: the API function has 10) and one attempt: a person is waiting
and can ask again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import anthropic
from pydantic import BaseModel

from oms.adapters.claude_advisor import claude_advisor
from oms.domain.experiments import ExperimentFields
from oms.domain.rules import SourcingRuleFields

log = logging.getLogger("oms.adapters")

PROPOSE_RULE = "propose_sourcing_rule"
PROPOSE_EXPERIMENT = "propose_experiment"
TOOL_KINDS: dict[str, Literal["sourcing_rule", "experiment"]] = {
    PROPOSE_RULE: "sourcing_rule",
    PROPOSE_EXPERIMENT: "experiment",
}
DEFAULT_TIMEOUT_S = 8.0
MAX_TOKENS = 2048
_STATUS_DETAIL = {429: "it is rate limiting", 401: "it refused the configured key", 529: "it is overloaded"}

SYSTEM_PROMPT = (
    "You help a merchant configure the order sourcing of an order management system. The user "
    "message is a JSON document: `request` (what the merchant asks, in plain words), `nodes` (the "
    "merchant's fulfilment nodes: id, code, name, type, capabilities), `rules` (the sourcing rules "
    "in force: priority ascending, the first active rule whose conditions all match an order "
    "decides its strategy) and `strategies` (the strategies a rule or an experiment may name). "
    "Turn the request into exactly one proposal: call `propose_sourcing_rule` for a rule (it is "
    "inserted inactive and a person switches it on; choose a priority that puts it before the rules "
    "it should win over) or `propose_experiment` for an A/B test between two strategies. Use only "
    "the condition fields and operators of the schema; US states are two-letter codes, countries "
    "ISO codes, amounts decimal strings. Put a one-sentence summary of the change in `summary`. If "
    "the request is not about sourcing, or too unclear to act on, do not call a tool: answer in "
    "one short sentence saying what is missing."
)


def _tool(
    name: str, description: str, field: str, model: type[BaseModel], strategies: list[str]
) -> dict[str, Any]:
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})
    for prop in ("strategy", "strategy_a", "strategy_b"):
        if prop in schema.get("properties", {}):
            schema["properties"][prop]["enum"] = strategies
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "maxLength": 500, "description": "the change in one sentence"},
                field: schema,
            },
            "required": ["summary", field],
            "additionalProperties": False,
            "$defs": defs,
        },
    }


def tools(strategies: list[str]) -> list[dict[str, Any]]:
    return [
        _tool(
            PROPOSE_RULE,
            "Propose a sourcing rule (inserted inactive once approved).",
            "rule",
            SourcingRuleFields,
            strategies,
        ),
        _tool(
            PROPOSE_EXPERIMENT,
            "Propose an A/B experiment between two sourcing strategies.",
            "experiment",
            ExperimentFields,
            strategies,
        ),
    ]


@dataclass(frozen=True)
class ChatAnswer:
    """What the model answered: a proposal (`kind` and `fields`) or only text (`kind` None)."""

    kind: Literal["sourcing_rule", "experiment"] | None
    summary: str
    fields: Any
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    latency_ms: float

    def audit(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "latency_ms": round(self.latency_ms, 1),
        }


class ChatUnavailable(Exception):
    """Claude did not give an answer (timeout, HTTP error, not a message)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class ArchitectChat:
    def __init__(self, client: anthropic.Anthropic, model: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.client = client
        self.model = model
        self.timeout_s = timeout_s

    def propose(self, request: str, context: Mapping[str, Any]) -> ChatAnswer:
        document = json.dumps({"request": request, **context}, separators=(",", ":"), default=str)
        strategies = list(context.get("strategies") or [])
        started = time.perf_counter()
        try:
            reply = self.client.messages.create(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=SYSTEM_PROMPT,
                messages=[{"role": "user", "content": [{"type": "text", "text": document}]}],
                tools=[cast(Any, t) for t in tools(strategies)],
                tool_choice={"type": "auto", "disable_parallel_tool_use": True},
                timeout=self.timeout_s,
            )
        except anthropic.APITimeoutError:
            raise ChatUnavailable("timeout", f"no answer within {self.timeout_s:g} s") from None
        except anthropic.APIStatusError as exc:
            status = exc.status_code
            detail = _STATUS_DETAIL.get(status, f"HTTP {status}")
            raise ChatUnavailable("error", detail) from None
        except anthropic.APIConnectionError:
            raise ChatUnavailable("error", "it could not be reached") from None
        except (anthropic.APIResponseValidationError, ValueError):
            raise ChatUnavailable("invalid_answer", "its answer was not a message") from None
        if not isinstance(reply, anthropic.types.Message):
            raise ChatUnavailable("invalid_answer", "its answer was not a message")
        return self._read(reply, (time.perf_counter() - started) * 1000)

    def _read(self, reply: anthropic.types.Message, latency_ms: float) -> ChatAnswer:
        usage = getattr(reply, "usage", None)
        blocks = list(getattr(reply, "content", None) or [])
        texts = [str(getattr(b, "text", "")) for b in blocks if getattr(b, "type", None) == "text"]
        calls = [
            b
            for b in blocks
            if getattr(b, "type", None) == "tool_use" and getattr(b, "name", None) in TOOL_KINDS
        ]
        text, call = " ".join(texts).strip(), calls[0] if calls else None
        kind, summary, fields = None, "", None
        if call is not None:
            kind = TOOL_KINDS[call.name]
            given = call.input if isinstance(call.input, dict) else {}
            summary = str(given.get("summary") or "").strip()
            field = "rule" if kind == "sourcing_rule" else "experiment"
            # the fields under their key, as the schema says; a model that put them at the top is read too
            fields = given.get(field, {k: v for k, v in given.items() if k != "summary"})
        return ChatAnswer(
            kind=kind,
            summary=summary,
            fields=fields,
            text=text,
            model=str(getattr(reply, "model", "") or self.model),
            input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
            latency_ms=latency_ms,
        )


_clients: dict[tuple[str | None, ...], ArchitectChat] = {}
_lock = threading.Lock()


def architect_chat(env: Mapping[str, str] | None = None) -> ArchitectChat | None:
    """The chat as configured now, or None when no Claude key is configured (ChatUnavailable
    when the key cannot be read). One client per configuration and process; the environment is
    read on each call, so a key set later counts."""
    env = os.environ if env is None else env
    timeout_s = float(env.get("CLAUDE_CHAT_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_S)
    names = ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_PARAM", "ANTHROPIC_BASE_URL", "CLAUDE_MODEL")
    config = (*(env.get(name) for name in names), str(timeout_s))
    with _lock:
        found = _clients.get(config)
        if found is not None:
            return found
    advisor = claude_advisor(timeout_s=timeout_s, env=env)
    if advisor is None:
        return None
    try:
        client = advisor.client()  # reads the key from SSM when that is where it is
    except Exception as exc:
        log.warning("architect chat: no Claude client: %s", type(exc).__name__, exc_info=True)
        raise ChatUnavailable("error", "its key could not be read") from None
    chat = ArchitectChat(client, advisor.model, timeout_s)
    with _lock:
        if len(_clients) > 8:
            _clients.clear()
        _clients[config] = chat
    return chat
