"""SLA policies (issue 11): the windows of the deadlined milestones, the warning and critical
thresholds, and multipliers that really apply.

A multiplier's `when` is one condition as in sourcing rules (field / operator / value, the same
operators and comparison: oms.domain.rules) over the SLA's facts: `channel`, `fulfillment_type`,
`shipping_country`, `total_amount`, `line_count` (typed as the sourcing fields are), `tag` (the
order's tags, a set: EQUALS "some tag is", NOT_EQUALS "no tag is", IN / NOT_IN likewise) and
`weekend` (bool: the clock started on a Saturday or Sunday, UTC). Every matching multiplier applies;
their factors multiply. Sourcing semantics are not touched: these fields live here."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oms.domain import rules
from oms.domain.rules import ConditionField, Operator

MAX_MULTIPLIERS = 20
MAX_TAG = 64


class SlaField(StrEnum):
    CHANNEL = "channel"
    FULFILLMENT_TYPE = "fulfillment_type"
    TAG = "tag"
    WEEKEND = "weekend"
    SHIPPING_COUNTRY = "shipping_country"
    TOTAL_AMOUNT = "total_amount"
    LINE_COUNT = "line_count"


# The fields typed exactly as in sourcing rules (their value checks are reused).
_SOURCING_TWIN: Mapping[SlaField, ConditionField] = {
    SlaField.CHANNEL: ConditionField.CHANNEL,
    SlaField.FULFILLMENT_TYPE: ConditionField.FULFILLMENT_TYPE,
    SlaField.SHIPPING_COUNTRY: ConditionField.SHIPPING_COUNTRY,
    SlaField.TOTAL_AMOUNT: ConditionField.TOTAL_AMOUNT,
    SlaField.LINE_COUNT: ConditionField.LINE_COUNT,
}
_EQUALITY = frozenset({Operator.EQUALS, Operator.NOT_EQUALS})
_SET_OPERATORS = frozenset({Operator.EQUALS, Operator.NOT_EQUALS, Operator.IN, Operator.NOT_IN})


def _tag(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TAG:
        raise ValueError(f"tag needs a non-empty string of at most {MAX_TAG} characters")
    return value.strip()


class SlaCondition(BaseModel):
    """One `{field, operator, value}` test over an order's SLA facts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: SlaField
    operator: Operator
    value: Any

    @model_validator(mode="after")
    def _typed_value(self) -> SlaCondition:
        twin = _SOURCING_TWIN.get(self.field)
        if twin is not None:
            # the sourcing condition's own checks (types, enum values, operator fit)
            checked = rules.Condition(field=twin, operator=self.operator, value=self.value)
            object.__setattr__(self, "value", checked.value)
            return self
        if self.field is SlaField.WEEKEND:
            if self.operator not in _EQUALITY:
                raise ValueError("weekend takes EQUALS or NOT_EQUALS")
            if not isinstance(self.value, bool):
                raise ValueError("weekend needs true or false")
            return self
        # tag: set semantics, like has_sku in sourcing rules
        if self.operator not in _SET_OPERATORS:
            raise ValueError("tag takes EQUALS, NOT_EQUALS, IN or NOT_IN")
        if self.operator in (Operator.IN, Operator.NOT_IN):
            if not isinstance(self.value, (list, tuple)) or not self.value or len(self.value) > 100:
                raise ValueError(f"{self.operator.value} needs a list of 1 to 100 tags")
            object.__setattr__(self, "value", tuple(_tag(v) for v in self.value))
        else:
            object.__setattr__(self, "value", _tag(self.value))
        return self

    def public(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, tuple):
            value = [str(v) if not isinstance(v, (int, bool)) else v for v in value]
        elif not isinstance(value, (bool, int, str)):
            value = str(value)
        return {"field": self.field.value, "operator": self.operator.value, "value": value}


def condition_matches(condition: SlaCondition, facts: Mapping[str, Any]) -> bool:
    """A missing fact makes the condition false (as in sourcing rules)."""
    name = condition.field.value
    if name not in facts or facts[name] is None:
        return False
    actual, op, expected = facts[name], condition.operator, condition.value
    if condition.field is SlaField.TAG:
        tags = frozenset(actual)
        if op is Operator.EQUALS:
            return expected in tags
        if op is Operator.NOT_EQUALS:
            return expected not in tags
        if op is Operator.IN:
            return not tags.isdisjoint(expected)
        return tags.isdisjoint(expected)
    if condition.field in _SOURCING_TWIN:
        twin = rules.Condition.model_construct(
            field=_SOURCING_TWIN[condition.field], operator=op, value=expected
        )
        return rules.condition_matches(twin, {twin.field.value: actual})
    return bool(actual == expected) if op is Operator.EQUALS else bool(actual != expected)


class Multiplier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: SlaCondition
    factor: float = Field(gt=0, le=10)


class SlaPolicyFields(BaseModel):
    """What a tenant writes (POST, and PATCH merged over the stored policy)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    is_default: bool = False
    is_active: bool = True
    pick_minutes: int = Field(gt=0, le=60 * 24 * 30)
    pack_minutes: int = Field(gt=0, le=60 * 24 * 30)
    ship_minutes: int = Field(gt=0, le=60 * 24 * 30)
    delivery_hours: int = Field(gt=0, le=24 * 90)
    warning_pct: float = Field(default=80, gt=0, lt=100)
    critical_pct: float = Field(default=150, gt=100, le=1000)
    multipliers: list[Multiplier] = Field(default_factory=list, max_length=MAX_MULTIPLIERS)

    @model_validator(mode="after")
    def _default_is_active(self) -> SlaPolicyFields:
        if self.is_default and not self.is_active:
            raise ValueError("the default policy must be active")
        return self

    def public_fields(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", include=set(SlaPolicyFields.model_fields) - {"multipliers"})
        data["multipliers"] = [{"when": m.when.public(), "factor": m.factor} for m in self.multipliers]
        return data


class SlaPolicyPatch(BaseModel):
    """PATCH: any field, plus the version the client read."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    expected_version: int = Field(ge=1)
    name: str | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    pick_minutes: int | None = None
    pack_minutes: int | None = None
    ship_minutes: int | None = None
    delivery_hours: int | None = None
    warning_pct: float | None = None
    critical_pct: float | None = None
    multipliers: list[dict[str, Any]] | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"expected_version"})


class SlaPolicy(SlaPolicyFields):
    id: str
    version: int
    created_at: str
    updated_at: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.public_fields(),
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def factor(policy: SlaPolicyFields, facts: Mapping[str, Any]) -> float:
    """The product of every matching multiplier's factor (1.0 when none matches)."""
    result = 1.0
    for multiplier in policy.multipliers:
        if condition_matches(multiplier.when, facts):
            result *= multiplier.factor
    return round(result, 6)


def smallest_factor(policy: SlaPolicyFields) -> float:
    """The smallest factor any order could get (every shrinking multiplier matching): a
    milestone reached within base window x this cannot be late, whatever the order's facts."""
    result = 1.0
    for multiplier in policy.multipliers:
        result *= min(1.0, multiplier.factor)
    return result


DEMO_POLICY: dict[str, Any] = {
    "name": "Standard",
    "is_default": True,
    "is_active": True,
    "pick_minutes": 120,
    "pack_minutes": 240,
    "ship_minutes": 1440,
    "delivery_hours": 96,
    "warning_pct": 80,
    "critical_pct": 150,
    "multipliers": [
        {
            "when": {"field": "fulfillment_type", "operator": "EQUALS", "value": "SAME_DAY_DELIVERY"},
            "factor": 0.5,
        },
        {"when": {"field": "weekend", "operator": "EQUALS", "value": True}, "factor": 1.5},
        {"when": {"field": "tag", "operator": "EQUALS", "value": "vip"}, "factor": 0.75},
    ],
}
