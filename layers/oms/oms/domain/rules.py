"""Sourcing rules: which strategy and which node filters apply to an order.

Rules are data a merchant edits, so they are validated strictly at the edge (unknown fields,
unknown operators and values of the wrong type for a field are pydantic errors, which the API maps
to 422) and evaluated here without I/O. Selection follows the KubeRiva seed: active rules by
priority ascending, the first whose conditions all match wins, no conditions is a catch-all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oms.domain.models import Channel, FulfillmentType, NodeType, Order

DEFAULT_STRATEGY = "DISTANCE_OPTIMAL"
DEFAULT_MAX_SPLIT_NODES = 3
MAX_SPLIT_NODES_LIMIT = 10  # beyond this a shipment is not an order any more, and search explodes
# A rule is stored as one item (DynamoDB: 400 KB at most) and read for every order it is tried on:
# the whole rule is held to 100 KB, its parts to sizes a real rule never reaches.
MAX_RULE_BYTES = 100_000
MAX_CONDITION_TEXT = 254  # the longest text a condition compares (an email address)
MAX_EXCLUDED_NODES = 500
NodeId = Annotated[str, Field(min_length=1, max_length=64)]

Capability = Literal["can_ship", "can_pickup", "can_curbside", "can_same_day"]


class ConditionField(StrEnum):
    CHANNEL = "channel"
    FULFILLMENT_TYPE = "fulfillment_type"
    TOTAL_AMOUNT = "total_amount"
    CURRENCY = "currency"
    CUSTOMER_EMAIL = "customer_email"
    SHIPPING_COUNTRY = "shipping_country"
    SHIPPING_STATE = "shipping_state"
    HAS_SKU = "has_sku"
    LINE_COUNT = "line_count"
    TOTAL_QUANTITY = "total_quantity"


class Operator(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN_OR_EQUAL = "GREATER_THAN_OR_EQUAL"
    LESS_THAN_OR_EQUAL = "LESS_THAN_OR_EQUAL"
    IN = "IN"
    NOT_IN = "NOT_IN"
    CONTAINS = "CONTAINS"
    STARTS_WITH = "STARTS_WITH"


_ORDERING = frozenset(
    {
        Operator.GREATER_THAN,
        Operator.LESS_THAN,
        Operator.GREATER_THAN_OR_EQUAL,
        Operator.LESS_THAN_OR_EQUAL,
    }
)
_TEXT = frozenset({Operator.CONTAINS, Operator.STARTS_WITH})
_LISTS = frozenset({Operator.IN, Operator.NOT_IN})

_DECIMAL_FIELDS = frozenset({ConditionField.TOTAL_AMOUNT})
_INT_FIELDS = frozenset({ConditionField.LINE_COUNT, ConditionField.TOTAL_QUANTITY})
# Fields whose values come from a closed set: a typo in a rule would silently never match.
_ENUM_FIELDS: Mapping[ConditionField, frozenset[str]] = {
    ConditionField.CHANNEL: frozenset(c.value for c in Channel),
    ConditionField.FULFILLMENT_TYPE: frozenset(f.value for f in FulfillmentType),
}


def _scalar(field: ConditionField, value: Any) -> Any:
    """The value coerced to the field's type, or ValueError naming what was expected."""
    if isinstance(value, bool):  # bool is an int in Python; never a valid value here
        raise ValueError(f"{field.value} does not take a boolean")
    if isinstance(value, str) and len(value) > MAX_CONDITION_TEXT:
        raise ValueError(f"{field.value} compares text of at most {MAX_CONDITION_TEXT} characters")
    if field in _DECIMAL_FIELDS:
        if isinstance(value, (int, str, float)):
            try:
                number = Decimal(str(value))
            except InvalidOperation as exc:
                raise ValueError(f"{field.value} needs a number, got {value!r}") from exc
            if not number.is_finite():
                raise ValueError(f"{field.value} needs a finite number")
            return number
        if isinstance(value, Decimal) and value.is_finite():
            return value
        raise ValueError(f"{field.value} needs a number, got {type(value).__name__}")
    if field in _INT_FIELDS:
        if isinstance(value, int):
            return value
        raise ValueError(f"{field.value} needs an integer, got {type(value).__name__}")
    if not isinstance(value, str):
        raise ValueError(f"{field.value} needs a string, got {type(value).__name__}")
    if field is ConditionField.CUSTOMER_EMAIL:
        value = value.lower()  # orders store emails lower-cased
    elif field in (ConditionField.CURRENCY, ConditionField.SHIPPING_COUNTRY):
        value = value.upper()  # ISO codes
    allowed = _ENUM_FIELDS.get(field)
    if allowed is not None and value not in allowed:
        raise ValueError(f"{field.value} must be one of {', '.join(sorted(allowed))}, got {value!r}")
    return value


class Condition(BaseModel):
    """One `{field, operator, value}` test over an order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: ConditionField
    operator: Operator
    value: Any

    @model_validator(mode="after")
    def _typed_value(self) -> Condition:
        numeric = self.field in _DECIMAL_FIELDS or self.field in _INT_FIELDS
        if self.operator in _ORDERING and not numeric:
            raise ValueError(f"{self.operator.value} compares numbers; {self.field.value} is text")
        if self.operator in _TEXT and numeric:
            raise ValueError(f"{self.operator.value} works on text; {self.field.value} is a number")
        if self.operator in _TEXT and self.field in _ENUM_FIELDS:
            raise ValueError(f"{self.operator.value} is not useful on {self.field.value}; use EQUALS or IN")
        if self.operator in _LISTS:
            if not isinstance(self.value, (list, tuple)) or not self.value:
                raise ValueError(f"{self.operator.value} needs a non-empty list")
            if len(self.value) > 500:
                raise ValueError(f"{self.operator.value} takes at most 500 values")
            coerced: Any = tuple(_scalar(self.field, v) for v in self.value)
        else:
            coerced = _scalar(self.field, self.value)
            if isinstance(coerced, str) and self.operator in _TEXT and not coerced:
                raise ValueError(f"{self.operator.value} needs a non-empty string")
        object.__setattr__(self, "value", coerced)
        return self


class SourcingRuleFields(BaseModel):
    """What a merchant writes; `SourcingRule` adds the stored identity."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(ge=0, le=1_000_000)
    strategy: str = Field(default=DEFAULT_STRATEGY, min_length=1, max_length=50)
    conditions: list[Condition] = Field(default_factory=list, max_length=50)
    is_active: bool = True
    allowed_node_types: list[NodeType] = Field(default_factory=list)  # empty: every type
    required_capabilities: list[Capability] = Field(default_factory=list)
    excluded_node_ids: list[NodeId] = Field(default_factory=list, max_length=MAX_EXCLUDED_NODES)
    max_distance_km: float | None = Field(default=None, gt=0, le=25_000)
    max_split_nodes: int = Field(default=DEFAULT_MAX_SPLIT_NODES, ge=1, le=MAX_SPLIT_NODES_LIMIT)
    cost_weight: float = Field(default=0.5, ge=0, le=1)
    distance_weight: float = Field(default=0.5, ge=0, le=1)
    # OPTIMAL_SPLIT: what one more package costs beyond its shipping (handling, customer annoyance).
    extra_package_penalty: Decimal = Field(default=Decimal("2.00"), ge=0, le=1000, decimal_places=2)

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, v: str) -> str:
        from oms.domain.strategies import registry

        if v not in registry.names():
            raise ValueError(f"unknown strategy {v!r}; known: {', '.join(registry.names())}")
        return v

    @model_validator(mode="after")
    def _fits_one_item(self) -> SourcingRuleFields:
        size = len(self.model_dump_json().encode())
        if size > MAX_RULE_BYTES:
            raise ValueError(f"the rule is {size} bytes; a rule holds at most {MAX_RULE_BYTES}")
        return self

    @property
    def allows_split(self) -> bool:
        """A rule that allows more than one node also allows a partial allocation plus backorder."""
        return self.max_split_nodes > 1


class SourcingRule(SourcingRuleFields):
    id: str | None = Field(default=None, max_length=64)
    created_at: str | None = None
    updated_at: str | None = None


R = TypeVar("R", bound=SourcingRuleFields)


def order_facts(order: Order) -> dict[str, Any]:
    """The order as the flat fields conditions talk about; absent facts are simply missing."""
    facts: dict[str, Any] = {
        "channel": order.channel.value,
        "fulfillment_type": order.fulfillment_type.value,
        "total_amount": order.total_amount,
        "currency": order.currency,
        "customer_email": order.customer_email,
        "has_sku": frozenset(line.sku for line in order.line_items),
        "line_count": len(order.line_items),
        "total_quantity": sum(line.quantity for line in order.line_items),
    }
    address = order.shipping_address
    if address is not None:
        facts["shipping_country"] = address.country
        if address.state:
            facts["shipping_state"] = address.state
    return facts


_COMPARE: Mapping[Operator, Callable[[Any, Any], bool]] = {
    Operator.EQUALS: lambda a, b: a == b,
    Operator.NOT_EQUALS: lambda a, b: a != b,
    Operator.GREATER_THAN: lambda a, b: a > b,
    Operator.LESS_THAN: lambda a, b: a < b,
    Operator.GREATER_THAN_OR_EQUAL: lambda a, b: a >= b,
    Operator.LESS_THAN_OR_EQUAL: lambda a, b: a <= b,
    Operator.IN: lambda a, b: a in b,
    Operator.NOT_IN: lambda a, b: a not in b,
    Operator.CONTAINS: lambda a, b: b in a,
    Operator.STARTS_WITH: lambda a, b: a.startswith(b),
}


def condition_matches(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """A missing fact makes the condition false (seed behaviour), even for NOT_EQUALS/NOT_IN."""
    if condition.field.value not in facts:
        return False
    actual = facts[condition.field.value]
    op, expected = condition.operator, condition.value
    if condition.field is ConditionField.HAS_SKU:
        # The order holds a set of SKUs: positive tests ask "some SKU", negative ones "no SKU".
        skus: frozenset[str] = actual
        if op is Operator.EQUALS:
            return expected in skus
        if op is Operator.NOT_EQUALS:
            return expected not in skus
        if op is Operator.IN:
            return not skus.isdisjoint(expected)
        if op is Operator.NOT_IN:
            return skus.isdisjoint(expected)
        return any(_COMPARE[op](sku, expected) for sku in skus)
    return _COMPARE[op](actual, expected)


def rule_matches(rule: SourcingRuleFields, facts: Mapping[str, Any]) -> bool:
    return all(condition_matches(c, facts) for c in rule.conditions)


def select_rule(rules: Iterable[R], order: Order) -> R | None:
    """First active rule by priority (then name, for a stable answer) whose conditions all match."""
    facts = order_facts(order)
    for rule in sorted((r for r in rules if r.is_active), key=lambda r: (r.priority, r.name)):
        if rule_matches(rule, facts):
            return rule
    return None
