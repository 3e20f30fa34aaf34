"""Deterministic checks of an SLA policy or a billing tariff before it is saved (ADR 0033): its
shape (the CONTRACT's fields and types), and contradictions no schema catches - a pack window
shorter than the pick window, thresholds that can never fire, multipliers that never match or do
nothing, credits that refund more than the fee. Each finding is an issue
`{"code", "path", "message", "severity": "error"|"warning"}`; a policy is valid without errors.

The Claude part (suggestions and generated test cases) is only read here: `LintAdvice` is the
validated shape of its tool call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oms.domain.models import Channel, FulfillmentType

Severity = Literal["error", "warning"]
PolicyType = Literal["sla", "billing"]

MILESTONES: Final = ("pick_completed", "pack_completed", "shipped", "delivered")
MULTIPLIER_FIELDS: Final = frozenset(
    {"channel", "fulfillment_type", "tag", "weekend", "shipping_country", "total_amount", "line_count"}
)
OPERATORS: Final = frozenset(
    {
        "EQUALS",
        "NOT_EQUALS",
        "GREATER_THAN",
        "LESS_THAN",
        "GREATER_THAN_OR_EQUAL",
        "LESS_THAN_OR_EQUAL",
        "IN",
        "NOT_IN",
        "CONTAINS",
        "STARTS_WITH",
    }
)
_ORDERING: Final = frozenset({"GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN_OR_EQUAL"})
_NUMERIC_FIELDS: Final = frozenset({"total_amount", "line_count"})
_CLOSED_SETS: Final[Mapping[str, frozenset[str]]] = {
    "channel": frozenset(c.value for c in Channel),
    "fulfillment_type": frozenset(f.value for f in FulfillmentType),
}
PRICE_FIELDS: Final = ("per_order", "per_pick_line", "per_unit", "per_pack", "per_label", "per_return")
TOOL_NAME: Final = "review_policy"


def issue(code: str, path: str, message: str, severity: Severity = "error") -> dict[str, str]:
    return {"code": code, "path": path, "message": message, "severity": severity}


def _number(
    doc: Mapping[str, Any], name: str, issues: list[dict[str, str]], *, integer: bool
) -> float | None:
    value = doc.get(name)
    if value is None:
        issues.append(issue("missing_field", name, f"{name} is required"))
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        kind = "an integer" if integer else "a number"
        issues.append(issue("invalid_field", name, f"{name} must be {kind}"))
        return None
    return float(value)


# ------------------------------------------------------------------ SLA policy
def lint_sla(policy: Mapping[str, Any]) -> list[dict[str, str]]:
    issues: list[dict[str, str]] = []
    windows = {
        n: _number(policy, n, issues, integer=True) for n in ("pick_minutes", "pack_minutes", "ship_minutes")
    }
    delivery = _number(policy, "delivery_hours", issues, integer=True)
    for name, value in [*windows.items(), ("delivery_hours", delivery)]:
        if value is not None and value <= 0:
            issues.append(issue("window_not_positive", name, f"{name} must be above 0"))
    pick, pack, ship = windows["pick_minutes"], windows["pack_minutes"], windows["ship_minutes"]
    if pick is not None and pack is not None and pack < pick:
        issues.append(
            issue(
                "pack_before_pick",
                "pack_minutes",
                f"the pack window ({pack:g} min) ends before the pick window ({pick:g} min); "
                "both are measured from payment",
            )
        )
    if pack is not None and ship is not None and ship < pack:
        issues.append(
            issue(
                "ship_before_pack",
                "ship_minutes",
                f"the ship window ({ship:g} min) ends before the pack window ({pack:g} min)",
            )
        )
    if delivery is not None and ship is not None and delivery * 60 < ship:
        issues.append(
            issue(
                "delivery_before_ship",
                "delivery_hours",
                f"delivery_hours ({delivery:g} h) ends before the ship window ({ship:g} min)",
            )
        )
    warning = _number(policy, "warning_pct", issues, integer=False)
    critical = _number(policy, "critical_pct", issues, integer=False)
    if warning is not None and warning >= 100:
        issues.append(
            issue(
                "warning_never_fires",
                "warning_pct",
                "warning_pct must be below 100: at 100 % the order is already breached, "
                "so it is never shown at risk",
            )
        )
    if warning is not None and warning <= 0:
        issues.append(
            issue(
                "warning_always_fires",
                "warning_pct",
                "warning_pct at or below 0 marks every order at risk",
                "warning",
            )
        )
    if critical is not None and critical <= 100:
        issues.append(
            issue(
                "critical_never_above_breach",
                "critical_pct",
                "critical_pct must be above 100: otherwise every breach is critical at once "
                "and the lower severities never fire",
            )
        )
    issues.extend(_lint_multipliers(policy.get("multipliers", [])))
    return issues


def _lint_multipliers(multipliers: Any) -> list[dict[str, str]]:
    if not isinstance(multipliers, list):
        return [issue("invalid_field", "multipliers", "multipliers must be a list")]
    issues: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(multipliers):
        path = f"multipliers[{i}]"
        if not isinstance(entry, Mapping):
            issues.append(issue("invalid_field", path, "a multiplier is {when, factor}"))
            continue
        factor = entry.get("factor")
        if isinstance(factor, bool) or not isinstance(factor, int | float):
            issues.append(issue("invalid_field", f"{path}.factor", "factor must be a number"))
        elif factor <= 0:
            issues.append(issue("factor_not_positive", f"{path}.factor", "factor must be above 0"))
        elif factor == 1:
            issues.append(
                issue("factor_no_effect", f"{path}.factor", "a factor of 1 changes nothing", "warning")
            )
        when = entry.get("when")
        if not isinstance(when, Mapping):
            issues.append(
                issue("invalid_field", f"{path}.when", "when is one condition {field, operator, value}")
            )
            continue
        issues.extend(_lint_condition(when, f"{path}.when"))
        key = json.dumps(
            [when.get("field"), when.get("operator"), when.get("value")], sort_keys=True, default=str
        )
        if key in seen:
            issues.append(
                issue(
                    "duplicate_multiplier",
                    path,
                    f"the same condition as multipliers[{seen[key]}]: both factors apply",
                    "warning",
                )
            )
        else:
            seen[key] = i
    return issues


def _lint_condition(when: Mapping[str, Any], path: str) -> list[dict[str, str]]:
    field, operator, value = when.get("field"), when.get("operator"), when.get("value")
    if field not in MULTIPLIER_FIELDS:
        known = ", ".join(sorted(MULTIPLIER_FIELDS))
        return [issue("unknown_field", f"{path}.field", f"{field!r} is not a multiplier field ({known})")]
    if operator not in OPERATORS:
        return [issue("unknown_operator", f"{path}.operator", f"{operator!r} is not an operator")]
    never = "never_matches"
    values = value if isinstance(value, list) else [value]
    if operator in ("IN", "NOT_IN") and (not isinstance(value, list) or not value):
        return [issue(never, f"{path}.value", f"{operator} needs a non-empty list")]
    if field == "weekend":
        if operator not in ("EQUALS", "NOT_EQUALS") or not isinstance(value, bool):
            return [issue(never, path, "weekend is true or false: use EQUALS with a boolean")]
        return []
    if field in _NUMERIC_FIELDS:
        if operator in ("CONTAINS", "STARTS_WITH"):
            return [issue(never, f"{path}.operator", f"{operator} works on text; {field} is a number")]
        numbers = [_decimal(v) for v in values]
        if any(n is None for n in numbers):
            return [issue(never, f"{path}.value", f"{field} compares numbers")]
        floor = Decimal(1) if field == "line_count" else Decimal(0)
        bound = numbers[0]
        if bound is not None and (
            (operator == "LESS_THAN" and bound <= floor)
            or (operator == "LESS_THAN_OR_EQUAL" and bound < floor)
        ):
            return [issue(never, f"{path}.value", f"no order has {field} {operator.lower()} {bound}")]
        return []
    if operator in _ORDERING:
        return [issue(never, f"{path}.operator", f"{operator} compares numbers; {field} is text")]
    if any(not isinstance(v, str) or not v for v in values):
        return [issue(never, f"{path}.value", f"{field} compares text")]
    allowed = _CLOSED_SETS.get(field)
    if allowed is not None and operator in ("EQUALS", "IN"):
        unknown = sorted({str(v) for v in values} - allowed)
        if unknown:
            known = ", ".join(sorted(allowed))
            severity: Severity = "error" if len(unknown) == len(set(values)) else "warning"
            return [
                issue(
                    never,
                    f"{path}.value",
                    f"{field} is never {', '.join(unknown)} for Cirrus orders ({known})",
                    severity,
                )
            ]
    return []


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# ------------------------------------------------------------------ billing tariff
def lint_billing(tariff: Mapping[str, Any]) -> list[dict[str, str]]:
    issues: list[dict[str, str]] = []
    prices: dict[str, Decimal] = {}
    for name in PRICE_FIELDS:
        if name not in tariff:
            issues.append(issue("missing_field", name, f'{name} is required (a decimal string, e.g. "0.25")'))
            continue
        amount = _decimal(tariff[name]) if isinstance(tariff[name], str | int) else None
        if amount is None:
            issues.append(issue("invalid_field", name, f"{name} must be a decimal string"))
        elif amount < 0:
            issues.append(
                issue("negative_price", name, f"{name} is negative: the merchant would be paid for it")
            )
        else:
            prices[name] = amount
    if prices and len(prices) == len(PRICE_FIELDS) and not any(prices.values()):
        issues.append(issue("nothing_charged", "", "every price is 0: the invoices will be empty", "warning"))
    currency = tariff.get("currency")
    if (
        not isinstance(currency, str)
        or len(currency) != 3
        or not currency.isalpha()
        or not currency.isupper()
    ):
        issues.append(issue("invalid_field", "currency", "currency is an ISO 4217 code such as USD"))
    limit = tariff.get("auto_credit_limit")
    if limit is not None:
        amount = _decimal(limit) if isinstance(limit, str | int) else None
        if amount is None:
            issues.append(
                issue("invalid_field", "auto_credit_limit", "auto_credit_limit must be a decimal string")
            )
        elif amount < 0:
            issues.append(
                issue(
                    "negative_credit_limit",
                    "auto_credit_limit",
                    "auto_credit_limit is below 0: no credit could ever be applied automatically",
                )
            )
    issues.extend(_lint_credits(tariff.get("sla_credits", [])))
    return issues


def _lint_credits(credits: Any) -> list[dict[str, str]]:
    if not isinstance(credits, list):
        return [issue("invalid_field", "sla_credits", "sla_credits must be a list")]
    issues: list[dict[str, str]] = []
    seen: set[Any] = set()
    for i, credit in enumerate(credits):
        path = f"sla_credits[{i}]"
        if not isinstance(credit, Mapping):
            issues.append(issue("invalid_field", path, "a credit is {milestone, share_of_order_fee}"))
            continue
        milestone = credit.get("milestone")
        if milestone not in MILESTONES:
            issues.append(
                issue(
                    "unknown_milestone",
                    f"{path}.milestone",
                    f"{milestone!r} has no deadline; one of {', '.join(MILESTONES)}",
                )
            )
        elif milestone in seen:
            issues.append(
                issue("duplicate_credit", path, f"a second credit for {milestone}: both apply", "warning")
            )
        seen.add(milestone)
        raw = credit.get("share_of_order_fee")
        share = _decimal(raw) if isinstance(raw, str | int | float) else None
        if share is None:
            issues.append(
                issue("invalid_field", f"{path}.share_of_order_fee", "a decimal string between 0 and 1")
            )
        elif share > 1:
            issues.append(
                issue(
                    "credit_above_fee",
                    f"{path}.share_of_order_fee",
                    "a share above 1 credits more than the order fee",
                )
            )
        elif share < 0:
            issues.append(
                issue(
                    "negative_credit", f"{path}.share_of_order_fee", "a negative share charges for a breach"
                )
            )
        elif share == 0:
            issues.append(
                issue(
                    "credit_no_effect",
                    f"{path}.share_of_order_fee",
                    "a share of 0 credits nothing",
                    "warning",
                )
            )
    return issues


def lint(policy_type: PolicyType, policy: Mapping[str, Any]) -> list[dict[str, str]]:
    """The checks above, plus what the API itself would refuse: the policy validated by the very
    model `POST /sla/policies` or `POST /billing/tariffs` parses (an error at a path the checks
    above did not already report), so the lint never passes a policy the API would reject."""
    issues = lint_sla(policy) if policy_type == "sla" else lint_billing(policy)
    reported = {i["path"] for i in issues if i["severity"] == "error"}
    return issues + [i for i in _schema_issues(policy_type, policy) if i["path"] not in reported]


def _schema_issues(policy_type: PolicyType, policy: Mapping[str, Any]) -> list[dict[str, str]]:
    from oms.domain.billing import TariffFields
    from oms.domain.sla_policy import SlaPolicyFields

    model: type[BaseModel] = SlaPolicyFields if policy_type == "sla" else TariffFields
    try:
        model.model_validate(dict(policy))
    except ValidationError as exc:
        return [
            issue("schema", ".".join(str(part) for part in error["loc"]) or "policy", error["msg"])
            for error in exc.errors(include_url=False, include_input=False)
        ]
    return []


def valid(issues: list[dict[str, str]]) -> bool:
    return not any(i["severity"] == "error" for i in issues)


# ------------------------------------------------------------------ the request and Claude's part
class LintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_type: PolicyType
    policy: dict[str, Any] = Field(max_length=100)


class LintTestCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    facts: dict[str, Any] = Field(default_factory=dict, max_length=20)
    milestone: str = Field(max_length=40)
    minutes_after_paid: float = Field(ge=0)
    expected: str = Field(min_length=1, max_length=40)


class LintAdvice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    suggestions: list[str] = Field(default_factory=list, max_length=5)
    test_cases: list[LintTestCase] = Field(default_factory=list, max_length=5)


def lint_document(policy_type: str, policy: Mapping[str, Any], issues: list[dict[str, str]]) -> str:
    return json.dumps(
        {"policy_type": policy_type, "policy": policy, "issues": issues}, sort_keys=True, default=str
    )


def lint_tool() -> dict[str, Any]:
    return {
        "name": TOOL_NAME,
        "description": "Record suggestions and test cases for the policy.",
        "input_schema": {
            "type": "object",
            "properties": {
                "suggestions": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {"type": "string", "maxLength": 300},
                },
                "test_cases": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "maxLength": 200},
                            "facts": {"type": "object"},
                            "milestone": {"type": "string"},
                            "minutes_after_paid": {"type": "number", "minimum": 0},
                            "expected": {"type": "string", "maxLength": 40},
                        },
                        "required": ["name", "milestone", "minutes_after_paid", "expected"],
                    },
                },
            },
            "required": ["suggestions", "test_cases"],
            "additionalProperties": False,
        },
    }
