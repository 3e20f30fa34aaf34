"""The deterministic policy lint (oms.domain.policy_lint): an SLA policy's windows, thresholds and
multipliers; a billing tariff's prices, credit limit and SLA credits."""

from __future__ import annotations

from typing import Any

from oms.demo import DEMO_TARIFF
from oms.domain.policy_lint import lint, valid
from oms.domain.sla_policy import DEMO_POLICY

# The demo data's policy and tariff are the good examples: what `make run` seeds lints clean.
GOOD_SLA: dict[str, Any] = dict(DEMO_POLICY)
GOOD_TARIFF: dict[str, Any] = dict(DEMO_TARIFF)


def codes(issues: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {i["code"]: (i["path"], i["severity"]) for i in issues}


def test_a_sound_policy_and_tariff_have_no_issues():
    assert lint("sla", GOOD_SLA) == []
    assert lint("billing", GOOD_TARIFF) == []


def test_contradictory_windows_and_thresholds_that_never_fire():
    policy = {**GOOD_SLA, "pick_minutes": 300, "ship_minutes": 200, "delivery_hours": 3, "warning_pct": 100,
              "critical_pct": 100}  # fmt: skip
    found = codes(lint("sla", policy))
    assert found["pack_before_pick"] == ("pack_minutes", "error")
    assert found["ship_before_pack"] == ("ship_minutes", "error")
    assert found["delivery_before_ship"] == ("delivery_hours", "error")
    assert found["warning_never_fires"] == ("warning_pct", "error")
    assert found["critical_never_above_breach"] == ("critical_pct", "error")
    assert not valid(lint("sla", policy))


def test_multipliers_that_do_nothing_never_match_or_repeat():
    policy = {
        **GOOD_SLA,
        "multipliers": [
            {"when": {"field": "channel", "operator": "EQUALS", "value": "WEB"}, "factor": 0},
            {"when": {"field": "channel", "operator": "EQUALS", "value": "WEB"}, "factor": 1},
            {"when": {"field": "fulfillment_type", "operator": "EQUALS", "value": "TELEPORT"}, "factor": 2},
            {"when": {"field": "weekend", "operator": "EQUALS", "value": "yes"}, "factor": 2},
            {"when": {"field": "line_count", "operator": "LESS_THAN", "value": 1}, "factor": 2},
            {"when": {"field": "colour", "operator": "EQUALS", "value": "red"}, "factor": 2},
            {"when": {"field": "tag", "operator": "IN", "value": []}, "factor": 2},
        ],
    }
    issues = lint("sla", policy)
    by_path = {(i["path"], i["code"]) for i in issues}
    assert ("multipliers[0].factor", "factor_not_positive") in by_path
    assert ("multipliers[1].factor", "factor_no_effect") in by_path
    assert ("multipliers[1]", "duplicate_multiplier") in by_path
    assert ("multipliers[2].when.value", "never_matches") in by_path
    assert ("multipliers[3].when", "never_matches") in by_path
    assert ("multipliers[4].when.value", "never_matches") in by_path
    assert ("multipliers[5].when.field", "unknown_field") in by_path
    assert ("multipliers[6].when.value", "never_matches") in by_path


def test_schema_problems_are_issues_not_errors_of_the_request():
    found = codes(lint("sla", {"pick_minutes": "fast", "pack_minutes": 1.5, "multipliers": "none"}))
    assert found["invalid_field"][1] == "error" and found["missing_field"][1] == "error"
    assert "multipliers" in {i["path"] for i in lint("sla", {"multipliers": "none"})}


def test_tariff_contradictions():
    tariff = {
        **GOOD_TARIFF,
        "per_unit": "-0.10",
        "auto_credit_limit": "-1",
        "currency": "usd",
        "sla_credits": [
            {"milestone": "shipped", "share_of_order_fee": "1.5"},
            {"milestone": "teleported", "share_of_order_fee": "0.2"},
            {"milestone": "shipped", "share_of_order_fee": "0"},
        ],
    }
    issues = lint("billing", tariff)
    by_path = {(i["path"], i["code"]) for i in issues}
    assert ("per_unit", "negative_price") in by_path
    assert ("auto_credit_limit", "negative_credit_limit") in by_path
    assert ("currency", "invalid_field") in by_path
    assert ("sla_credits[0].share_of_order_fee", "credit_above_fee") in by_path
    assert ("sla_credits[1].milestone", "unknown_milestone") in by_path
    assert ("sla_credits[2]", "duplicate_credit") in by_path
    assert ("sla_credits[2].share_of_order_fee", "credit_no_effect") in by_path
    assert not valid(issues)


def test_what_the_api_would_refuse_is_an_error_too() -> None:
    """The lint validates with the models the API parses: a field they refuse is reported even
    where the hand-written checks have nothing to say, and a path is reported once."""
    from oms.domain.policy_lint import lint, valid

    policy = {
        "name": "Night shift",
        "pick_minutes": 60,
        "pack_minutes": 120,
        "ship_minutes": 600,
        "delivery_hours": 48,
        "warning_pct": 80,
        "critical_pct": 150,
        "multipliers": [],
        "colour": "blue",  # not a field of a policy
    }
    issues = lint("sla", policy)
    assert [(i["code"], i["path"]) for i in issues] == [("schema", "colour")]
    assert not valid(issues)
    assert lint("sla", {k: v for k, v in policy.items() if k != "colour"}) == []
