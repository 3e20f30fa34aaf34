"""Sourcing rules: validation (what the API turns into 422s), the ten operators, rule selection."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from oms.demo import RULES
from oms.domain.orders import build_order, order_id_for
from oms.domain.rules import (
    Condition,
    ConditionField,
    Operator,
    SourcingRule,
    SourcingRuleFields,
    condition_matches,
    order_facts,
    select_rule,
)
from tests.unit.factories import NOW, PRINCIPAL, catalog_for, order_request


def make_order(**kw):
    request = order_request(**kw)
    return build_order(
        request,
        order_id=order_id_for("t1", None, None, "WEB"),
        principal=PRINCIPAL,
        now=NOW,
        catalog_prices=catalog_for(request),
        idempotency_key=None,
    )


ORDER = make_order()  # WEB, SHIP_TO_HOME, NY/US, SKU-A x2 @29.99 + SKU-B x1 @10.00 = 69.98
FACTS = order_facts(ORDER)


def cond(field: str, operator: str, value: object) -> Condition:
    return Condition.model_validate({"field": field, "operator": operator, "value": value})


def matches(field: str, operator: str, value: object) -> bool:
    return condition_matches(cond(field, operator, value), FACTS)


# ------------------------------------------------------------------ facts
def test_order_facts_are_flat_and_typed():
    assert FACTS["channel"] == "WEB"
    assert FACTS["total_amount"] == Decimal("69.98")
    assert FACTS["has_sku"] == frozenset({"SKU-A", "SKU-B"})
    assert FACTS["line_count"] == 2
    assert FACTS["total_quantity"] == 3
    assert FACTS["shipping_country"] == "US" and FACTS["shipping_state"] == "NY"


# ------------------------------------------------------------------ operators (worked examples)
@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("channel", "EQUALS", "WEB", True),
        ("channel", "EQUALS", "POS", False),
        ("currency", "NOT_EQUALS", "EUR", True),
        ("currency", "NOT_EQUALS", "USD", False),
        ("total_amount", "GREATER_THAN", "69.97", True),
        ("total_amount", "GREATER_THAN", "69.98", False),
        ("total_amount", "LESS_THAN", 70, True),
        ("total_amount", "LESS_THAN", "69.98", False),
        ("total_amount", "GREATER_THAN_OR_EQUAL", "69.98", True),
        ("total_amount", "GREATER_THAN_OR_EQUAL", 69.99, False),
        ("line_count", "LESS_THAN_OR_EQUAL", 2, True),
        ("total_quantity", "LESS_THAN_OR_EQUAL", 2, False),
        ("shipping_state", "IN", ["CA", "NY"], True),
        ("shipping_state", "IN", ["CA", "WA"], False),
        ("fulfillment_type", "NOT_IN", ["STORE_PICKUP", "CURBSIDE_PICKUP"], True),
        ("fulfillment_type", "NOT_IN", ["SHIP_TO_HOME"], False),
        ("customer_email", "CONTAINS", "@example.", True),
        ("customer_email", "CONTAINS", "@acme.", False),
        ("customer_email", "STARTS_WITH", "alice", True),
        ("customer_email", "STARTS_WITH", "bob", False),
        ("has_sku", "EQUALS", "SKU-B", True),
        ("has_sku", "EQUALS", "SKU-Z", False),
        ("has_sku", "NOT_EQUALS", "SKU-Z", True),
        ("has_sku", "NOT_EQUALS", "SKU-A", False),
        ("has_sku", "IN", ["SKU-Z", "SKU-A"], True),
        ("has_sku", "NOT_IN", ["SKU-Z", "SKU-A"], False),
        ("has_sku", "NOT_IN", ["SKU-Z"], True),
        ("has_sku", "STARTS_WITH", "SKU-", True),
        ("has_sku", "CONTAINS", "-Q", False),
    ],
)
def test_operator(field, operator, value, expected):
    assert matches(field, operator, value) is expected


def test_every_operator_has_a_worked_example():
    covered = {"EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "GREATER_THAN_OR_EQUAL"}
    covered |= {"LESS_THAN_OR_EQUAL", "IN", "NOT_IN", "CONTAINS", "STARTS_WITH"}
    assert covered == {o.value for o in Operator}


def test_a_missing_field_makes_any_condition_false():
    pickup = make_order(fulfillment_type="STORE_PICKUP", pickup_node_id="n-1", shipping_address=None)
    facts = order_facts(pickup)
    assert "shipping_state" not in facts
    for op, value in (("EQUALS", "NY"), ("NOT_EQUALS", "NY"), ("NOT_IN", ["NY"]), ("STARTS_WITH", "N")):
        assert condition_matches(cond("shipping_state", op, value), facts) is False


def test_codes_and_emails_are_normalised_like_the_order():
    assert matches("customer_email", "EQUALS", "ALICE@example.com")
    assert matches("shipping_country", "EQUALS", "us")
    assert matches("currency", "IN", ["usd", "eur"])


def test_amounts_compare_as_decimals_not_floats():
    assert cond("total_amount", "EQUALS", 0.1).value == Decimal("0.1")
    assert matches("total_amount", "EQUALS", "69.980")


# ------------------------------------------------------------------ validation -> 422
@pytest.mark.parametrize(
    "payload",
    [
        {"field": "colour", "operator": "EQUALS", "value": "red"},  # unknown field
        {"field": "channel", "operator": "LIKE", "value": "WEB"},  # unknown operator
        {"field": "channel", "operator": "EQUALS", "value": "web"},  # not a channel
        {"field": "fulfillment_type", "operator": "IN", "value": ["SHIP_TO_HOME", "TELEPORT"]},
        {"field": "total_amount", "operator": "GREATER_THAN", "value": "lots"},
        {"field": "total_amount", "operator": "GREATER_THAN", "value": True},
        {"field": "total_amount", "operator": "GREATER_THAN", "value": "NaN"},
        {"field": "total_amount", "operator": "GREATER_THAN", "value": [1]},
        {"field": "line_count", "operator": "EQUALS", "value": "2"},
        {"field": "line_count", "operator": "EQUALS", "value": 2.5},
        {"field": "currency", "operator": "EQUALS", "value": 840},
        {"field": "currency", "operator": "GREATER_THAN", "value": "USD"},  # ordering on text
        {"field": "total_amount", "operator": "CONTAINS", "value": "9"},  # text op on a number
        {"field": "channel", "operator": "STARTS_WITH", "value": "W"},  # text op on a closed set
        {"field": "shipping_state", "operator": "IN", "value": "CA"},  # IN needs a list
        {"field": "shipping_state", "operator": "IN", "value": []},
        {"field": "customer_email", "operator": "CONTAINS", "value": ""},
        {"field": "channel", "operator": "EQUALS", "value": "WEB", "extra": 1},  # unknown key
        {"field": "channel", "operator": "EQUALS"},  # value missing
    ],
)
def test_invalid_conditions_are_rejected(payload):
    with pytest.raises(ValidationError):
        Condition.model_validate(payload)


@pytest.mark.parametrize(
    "patch",
    [
        {"strategy": "TELEPATHY"},
        {"priority": -1},
        {"max_split_nodes": 0},
        {"max_split_nodes": 11},
        {"cost_weight": 1.5},
        {"allowed_node_types": ["SPACESHIP"]},
        {"required_capabilities": ["can_fly"]},
        {"max_distance_km": 0},
        {"surprise": True},
        {"name": ""},
    ],
)
def test_invalid_rules_are_rejected(patch):
    with pytest.raises(ValidationError):
        SourcingRuleFields.model_validate({"name": "r", "priority": 1, **patch})


def test_rule_defaults_and_storage_round_trip():
    rule = SourcingRuleFields(name="r", priority=5)
    assert rule.strategy == "DISTANCE_OPTIMAL" and rule.max_split_nodes == 3
    assert (rule.cost_weight, rule.distance_weight) == (0.5, 0.5)
    assert rule.allows_split
    assert not SourcingRuleFields(name="r", priority=5, max_split_nodes=1).allows_split
    stored = SourcingRule(
        id="r1", name="big", priority=1, conditions=[cond("shipping_state", "IN", ["CA"])]
    ).model_dump(mode="json")
    assert stored["conditions"][0]["value"] == ["CA"]
    assert SourcingRule.model_validate(stored).conditions[0].value == ("CA",)


def test_demo_rules_are_valid():
    rules = [SourcingRule.model_validate({"id": str(i), **r}) for i, r in enumerate(RULES)]
    assert next(r.conditions[0].field for r in rules if r.conditions) is ConditionField.FULFILLMENT_TYPE


# ------------------------------------------------------------------ selection
def rule(name: str, priority: int, *conditions: Condition, active: bool = True) -> SourcingRuleFields:
    return SourcingRuleFields(name=name, priority=priority, conditions=list(conditions), is_active=active)


def test_first_matching_active_rule_by_priority_wins():
    rules = [
        rule("catch-all", 100),
        rule("web", 20, cond("channel", "EQUALS", "WEB")),
        rule("ny web", 10, cond("channel", "EQUALS", "WEB"), cond("shipping_state", "EQUALS", "CA")),
        rule("inactive", 1, active=False),
    ]
    assert select_rule(rules, ORDER).name == "web"  # "ny web" fails its second condition


def test_no_conditions_is_a_catch_all_and_no_match_is_none():
    assert select_rule([rule("all", 50)], ORDER).name == "all"
    assert select_rule([rule("pos", 1, cond("channel", "EQUALS", "POS"))], ORDER) is None
    assert select_rule([], ORDER) is None


def test_demo_rules_pick_the_expected_strategy():
    rules = [SourcingRule.model_validate(r) for r in RULES]
    assert select_rule(rules, ORDER).strategy == "DISTANCE_OPTIMAL"
    big = make_order(line_items=[{"sku": "SKU-A", "quantity": 10, "unit_price": "30"}])
    assert select_rule(rules, big).strategy == "COST_OPTIMAL"
    market = make_order(channel="MARKETPLACE")
    assert select_rule(rules, market).strategy == "LEAST_COST_SPLIT"
    pickup = make_order(fulfillment_type="CURBSIDE_PICKUP", pickup_node_id="n-1", shipping_address=None)
    assert select_rule(rules, pickup).strategy == "INVENTORY_RESERVATION"
    same_day = make_order(
        fulfillment_type="SAME_DAY_DELIVERY",
        shipping_address={
            "address1": "1 A St",
            "city": "LA",
            "state": "CA",
            "latitude": 34.0,
            "longitude": -118.2,
        },
    )
    assert select_rule(rules, same_day).strategy == "STORE_NEAREST"
