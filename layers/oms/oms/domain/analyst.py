"""The exception analyst's pure part (ADR 0033): which exceptions Claude is asked about (sampling
by severity), what it is shown (the breach's facts, never personal data), the shape of its answer,
the client note's plain words, and which analysis stands in the end.

- Sampling is deterministic: a hash of the exception id against the severity's rate, so a message
  redelivered (or analysed in another container) gets the same decision.
- The prompt document is built from an allow-list of fields; strings that look like an email, and
  anything under a key that names a person or an address, are left out whatever the source sent.
- Below `MIN_CONFIDENCE`, or whenever Claude did not answer, the rule analyst's analysis stands and
  says why (`fallback_reason`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from oms.domain.clock import now_iso
from oms.domain.exceptions import Label, Severity

LABELS: Final = tuple(label.value for label in Label)
SEVERITIES: Final = tuple(s.value for s in Severity)
DEFAULT_SAMPLE_RATES: Final[Mapping[str, float]] = {"CRITICAL": 1.0, "HIGH": 1.0, "MEDIUM": 0.25, "LOW": 0.0}
MIN_CONFIDENCE: Final = 0.55
TOOL_NAME: Final = "record_exception_analysis"
NOTE_CHARS: Final = 600
CLIENT_NOTE_CHARS: Final = 400
REASONING_CHARS: Final = 1000

FallbackReason = Literal[
    "not_sampled",
    "no_key",
    "low_confidence",
    "timeout",
    "error",
    "invalid_answer",
    "budget_spent",
    "breaker_open",
]


# ------------------------------------------------------------------ sampling
def parse_sample_rates(raw: str | None) -> dict[str, float]:
    """`CRITICAL=1,HIGH=1,MEDIUM=0.25,LOW=0` (any subset; the defaults fill the rest). A rate is
    clamped to 0..1; an entry that does not parse is ignored."""
    rates = dict(DEFAULT_SAMPLE_RATES)
    for entry in (raw or "").split(","):
        name, _, value = entry.strip().partition("=")
        name = name.strip().upper()
        if name not in SEVERITIES:
            continue
        try:
            rates[name] = min(1.0, max(0.0, float(value)))
        except ValueError:
            continue
    return rates


def sample_point(exception_id: str) -> float:
    """Where an exception falls in [0, 1): the same for the same id, everywhere."""
    digest = hashlib.sha256(exception_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sampled(exception_id: str, severity: str, rates: Mapping[str, float]) -> bool:
    rate = rates.get(severity, 0.0)
    return rate >= 1.0 or (rate > 0.0 and sample_point(exception_id) < rate)


# ------------------------------------------------------------------ what the model is shown
_BREACH_FIELDS = (
    "milestone",
    "kind",
    "severity",
    "source",
    "late_minutes",
    "window_minutes",
    "factor",
    "clock_started_at",
    "deadline",
    "observed_at",
    "breach_open",
)
FACT_KEYS: Final = frozenset(
    {
        "channel",
        "fulfillment_type",
        "node",
        "node_type",
        "order_status",
        "lines",
        "units",
        "packages",
        "labels",
        "carrier",
        "tags",
        "weekend",
        "shipping_country",
        "total_amount",
        "currency",
        "line_count",
        "last_event",
        "last_event_at",
        "events_seen",
        "backordered",
        "delivery_failed",
        "returned",
    }
)
_PII_KEY = re.compile(r"email|phone|name|address|street|city|zip|postal|customer|recipient", re.I)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_STRING = 120


def _clean(value: Any) -> Any:
    """A fact's value as shown: scalars and short lists of scalars; no email-like strings."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return None if _EMAIL.search(value) else value[:_MAX_STRING]
    if isinstance(value, list | tuple):
        items = [_clean(v) for v in value[:20] if not isinstance(v, dict | list | tuple)]
        return [v for v in items if v is not None]
    return None


def prompt_facts(exception: Mapping[str, Any]) -> dict[str, Any]:
    """The exception as the model reads it: the breach and the allowed order facts, no PII."""
    doc: dict[str, Any] = {f: exception.get(f) for f in _BREACH_FIELDS}
    facts = exception.get("facts") or {}
    doc["facts"] = {
        k: _clean(v)
        for k, v in sorted(facts.items())
        if k in FACT_KEYS and not _PII_KEY.search(k) and _clean(v) is not None
    }
    rules = exception.get("analysis") or {}
    doc["rule_label"] = rules.get("label") if rules.get("analyst", "rules") == "rules" else None
    return doc


def prompt_document(exception: Mapping[str, Any]) -> str:
    return json.dumps(prompt_facts(exception), separators=(",", ":"), sort_keys=True, default=str)


def facts_digest(exception: Mapping[str, Any]) -> str:
    """What the answer depends on, hashed: the cache key's last part."""
    return hashlib.sha256(prompt_document(exception).encode()).hexdigest()[:32]


def tool() -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Record the label, confidence, notes and reasoning of one exception.",
        "input_schema": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": list(LABELS)},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "ops_note": {"type": "string", "maxLength": NOTE_CHARS},
                "client_note": {"type": "string", "maxLength": CLIENT_NOTE_CHARS},
                "reasoning": {"type": "string", "maxLength": REASONING_CHARS},
            },
            "required": ["label", "confidence", "ops_note", "client_note", "reasoning"],
            "additionalProperties": False,
        },
    }


class AnalystAnswer(BaseModel):
    """The model's answer, validated (a tool call that does not fit is an invalid answer)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    label: Label
    confidence: float = Field(ge=0, le=1)
    ops_note: str = Field(min_length=1, max_length=NOTE_CHARS)
    client_note: str = Field(min_length=1, max_length=CLIENT_NOTE_CHARS)
    reasoning: str = Field(min_length=1, max_length=REASONING_CHARS)


# ------------------------------------------------------------------ the client note's words
_JARGON: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.I), plain)
    for pattern, plain in (
        (r"\bSKUs\b", "items"),
        (r"\bSKU\b", "item"),
        (r"\b(?:the\s+)?WMS\b", "the warehouse"),
        (r"\bSLAs\b", "delivery commitments"),
        (r"\b(?:the\s+)?SLA\b", "the delivery commitment"),
        (r"\b3PL\b", "fulfilment partner"),
        (r"\bOMS\b", "order system"),
        (r"\bETA\b", "expected arrival"),
        (r"\bfulfil(?:l)?ment node\b|\bnode\b", "fulfilment centre"),
        (r"\b(?:pick|pack)_completed\b", "preparation"),
        (r"\bshipped milestone\b|\bmilestone\b", "step"),
        (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", ""),
        (r"\bext:", ""),
    )
)


def plain_client_note(note: str, exception: Mapping[str, Any]) -> str:
    """The client note without internal jargon: SKU, WMS, SLA, 3PL, node names and ids, field
    names. The node the facts name (its code) becomes "our fulfilment centre"."""
    text = note
    node = (exception.get("facts") or {}).get("node")
    if isinstance(node, str) and len(node) >= 2:
        text = re.sub(rf"\b(?:node\s+)?{re.escape(node)}\b", "our fulfilment centre", text, flags=re.I)
    for pattern, plain in _JARGON:
        text = pattern.sub(plain, text)
    text = re.sub(r"\b(?:our|the)\s+(?:our|the)\s+", "our ", text, flags=re.I)
    text = re.sub(r"\bour fulfilment centre\s+fulfilment centre\b", "our fulfilment centre", text, flags=re.I)
    text = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    return text[:CLIENT_NOTE_CHARS]


def has_jargon(note: str) -> bool:
    return any(p.search(note) for p, _ in _JARGON)


# ------------------------------------------------------------------ which analysis stands
def claude_analysis(
    answer: AnalystAnswer, exception: Mapping[str, Any], model: str, prompt_version: str
) -> dict[str, Any]:
    return {
        "label": answer.label.value,
        "confidence": round(answer.confidence, 3),
        "ops_note": answer.ops_note,
        "client_note": plain_client_note(answer.client_note, exception),
        "reasoning": answer.reasoning,
        "analyst": "claude",
        "model": model,
        "prompt_version": prompt_version,
        "analysed_at": now_iso(),
        "fallback_reason": None,
    }


def fallback(rules: Mapping[str, Any], reason: FallbackReason) -> dict[str, Any]:
    """The rule analyst's analysis, standing, with why Claude's did not."""
    kept = dict(rules)
    kept.update({"analyst": "rules", "fallback_reason": reason})
    kept.setdefault("model", None)
    kept.setdefault("prompt_version", None)
    kept.setdefault("analysed_at", now_iso())
    return kept


def decide(
    rules: Mapping[str, Any],
    answer: AnalystAnswer | None,
    exception: Mapping[str, Any],
    *,
    model: str,
    prompt_version: str,
    reason: FallbackReason | None = None,
) -> dict[str, Any]:
    """Claude's analysis when it answered with enough confidence, else the rules' with a reason."""
    if answer is None:
        return fallback(rules, reason or "error")
    if answer.confidence < MIN_CONFIDENCE:
        return fallback(rules, "low_confidence")
    return claude_analysis(answer, exception, model, prompt_version)
