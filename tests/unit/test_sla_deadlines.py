"""The SLA radar's deadline math (pure): plans, multipliers, verdicts, the index's entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from oms.domain import clock
from oms.domain.clock import iso
from oms.domain.exceptions import Milestone, Severity, exception_id
from oms.domain.sla_deadlines import (
    DueRef,
    NextStep,
    chain,
    due_refs,
    escalation_ref,
    following,
    judge,
    minutes_between,
    next_step,
    own_milestones,
    plan_for,
    reached_at,
)
from oms.domain.sla_policy import DEMO_POLICY, SlaPolicy, SlaPolicyFields

WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 3, 8, 23, 59, tzinfo=UTC)
M = Milestone


def policy(**changes: object) -> SlaPolicy:
    fields = SlaPolicyFields.model_validate({**DEMO_POLICY, **changes})
    return SlaPolicy(**fields.model_dump(), id="p1", version=1, created_at="x", updated_at="x")


@pytest.fixture
def frozen() -> clock.ManualClock:
    manual = clock.ManualClock(WEDNESDAY)
    with clock.use_clock(manual):
        yield manual


def test_windows_from_the_clock_start(frozen: clock.ManualClock) -> None:
    plan = plan_for("o1", policy(), {"fulfillment_type": "SHIP_TO_HOME"}, clock.now_iso())
    assert plan.factor == 1.0
    assert plan.deadline(M.PICK_COMPLETED) == WEDNESDAY + timedelta(minutes=120)
    assert plan.deadline(M.PACK_COMPLETED) == WEDNESDAY + timedelta(minutes=240)
    assert plan.deadline(M.SHIPPED) == WEDNESDAY + timedelta(minutes=1440)
    assert plan.deadline(M.DELIVERED) == WEDNESDAY + timedelta(hours=96)


@pytest.mark.parametrize(
    ("start", "facts", "factor"),
    [
        (SUNDAY, {}, 1.5),  # weekend, UTC
        (WEDNESDAY, {"fulfillment_type": "SAME_DAY_DELIVERY"}, 0.5),
        (WEDNESDAY, {"tag": frozenset({"vip", "gift"})}, 0.75),
        (SUNDAY, {"tag": frozenset({"vip"}), "fulfillment_type": "SAME_DAY_DELIVERY"}, 0.5625),
        (WEDNESDAY, {"tag": frozenset({"gift"})}, 1.0),
    ],
)
def test_every_matching_multiplier_applies(start: datetime, facts: dict, factor: float) -> None:
    plan = plan_for("o1", policy(), facts, iso(start))
    assert plan.factor == factor
    assert plan.windows[M.PICK_COMPLETED] == -(-120 * factor // 1)  # rounded up to whole minutes


def test_pickup_orders_have_no_carrier_deadlines() -> None:
    plan = plan_for("o1", policy(), {"fulfillment_type": "STORE_PICKUP"}, iso(WEDNESDAY))
    assert set(plan.windows) == {M.PICK_COMPLETED, M.PACK_COMPLETED}


def test_verdicts(frozen: clock.ManualClock) -> None:
    plan = plan_for("o1", policy(), {}, iso(WEDNESDAY))

    def at(**step: float) -> datetime:
        return WEDNESDAY + timedelta(**step)

    assert judge(plan, M.PICK_COMPLETED, None, at(minutes=60)).state == "open"
    risk = judge(plan, M.PICK_COMPLETED, None, at(minutes=100))
    assert (risk.state, risk.elapsed_pct, risk.severity) == ("at_risk", 83.33, None)
    breached = judge(plan, M.PICK_COMPLETED, None, at(minutes=120))
    assert (breached.state, breached.severity) == ("breached", Severity.MEDIUM)
    assert judge(plan, M.PICK_COMPLETED, None, at(minutes=180)).severity == Severity.CRITICAL
    assert judge(plan, M.SHIPPED, None, at(minutes=1500)).severity == Severity.HIGH
    met = judge(plan, M.PICK_COMPLETED, iso(at(minutes=120)), at(minutes=500))
    assert (met.state, met.late_minutes) == ("met", 0)
    late = judge(plan, M.PICK_COMPLETED, iso(at(minutes=134, seconds=10)), at(minutes=500))
    assert (late.state, late.late_minutes, late.severity) == ("late", 15, Severity.MEDIUM)


def test_a_later_milestone_implies_the_earlier_ones() -> None:
    milestones = {"order_paid": "2026-03-04T09:00:00.000Z", "shipped": "2026-03-04T12:00:00.000Z",
                  "pick_completed": "2026-03-04T10:00:00.000Z"}  # fmt: skip
    assert reached_at(milestones, M.PICK_COMPLETED) == "2026-03-04T10:00:00.000Z"
    assert reached_at(milestones, M.PACK_COMPLETED) == "2026-03-04T12:00:00.000Z"
    assert reached_at(milestones, M.DELIVERED) is None


def test_own_milestones_from_the_status_history() -> None:
    header = {
        "past": [{"seq": 1, "status": "PENDING", "at": "t1"}, {"seq": 2, "status": "SOURCING", "at": "t2"}],
        "events": [
            {"seq": 5, "to_status": "PACKING", "at": "t5"},
            {"seq": 4, "to_status": "PICKING", "at": "t4"},
            {"seq": 6, "to_status": "SHIPPED", "at": "t6"},
        ],
    }  # fmt: skip
    assert own_milestones(header) == {
        "order_paid": "t2", "pick_started": "t4", "pick_completed": "t5", "shipped": "t6",
    }  # fmt: skip


def test_index_entries_round_trip_and_fall_in_their_minute() -> None:
    plan = plan_for("ext:SO-1", policy(), {"tag": frozenset({"vip"})}, "2026-03-04T09:00:30.000Z")
    refs = due_refs(plan)
    assert [r.milestone for r in refs] == [M.PICK_COMPLETED, M.PACK_COMPLETED, M.SHIPPED, M.DELIVERED]
    assert refs[0].due_at == "2026-03-04T10:30:30.000Z" and refs[0].bucket == ("2026-03-04", "10:30")
    assert DueRef.decode(refs[0].encode()) == refs[0]
    assert DueRef.decode(refs[0].encode()).plan().deadline(M.PICK_COMPLETED) == plan.deadline(
        M.PICK_COMPLETED
    )
    critical = escalation_ref(plan, M.PICK_COMPLETED)
    assert critical.kind == "C" and critical.due_at == "2026-03-04T11:15:30.000Z"  # 150 % of 90 min


def test_minutes_between_split_by_day() -> None:
    since, until = datetime(2026, 3, 4, 23, 58, tzinfo=UTC), datetime(2026, 3, 5, 0, 2, tzinfo=UTC)
    assert minutes_between(since, until) == [
        ("2026-03-04", "23:58", "23:59"),
        ("2026-03-05", "00:00", "00:02"),
    ]


def test_exception_ids_are_deterministic() -> None:
    assert exception_id("t", "o1", M.SHIPPED) == exception_id("t", "o1", "shipped")
    assert exception_id("t", "o1", M.SHIPPED) != exception_id("t2", "o1", M.SHIPPED)


@pytest.mark.parametrize(
    "multiplier",
    [
        {"when": {"field": "weekend", "operator": "GREATER_THAN", "value": True}, "factor": 2},
        {"when": {"field": "weekend", "operator": "EQUALS", "value": "yes"}, "factor": 2},
        {"when": {"field": "channel", "operator": "EQUALS", "value": "FAX"}, "factor": 2},
        {"when": {"field": "tag", "operator": "CONTAINS", "value": "v"}, "factor": 2},
        {"when": {"field": "tag", "operator": "EQUALS", "value": "vip"}, "factor": 0},
    ],
)
def test_bad_multipliers_are_refused(multiplier: dict) -> None:
    with pytest.raises(ValidationError):
        SlaPolicyFields.model_validate({**DEMO_POLICY, "multipliers": [multiplier]})


# ---------------------------------------------------------------- the chain of deadlines (ADR 0031)
PAID = "2026-03-04T09:00:00.000Z"


def at_minute(minutes: float) -> datetime:
    return WEDNESDAY + timedelta(minutes=minutes)


def test_only_the_next_deadline_is_registered_when_the_clock_starts() -> None:
    plan = plan_for("o1", policy(), {}, PAID)
    step = next_step(plan, {"order_paid": PAID}, at_minute(1))
    assert step.judge_now == [] and step.register is not None
    assert (step.register.kind, step.register.milestone, step.register.due_at) == (
        "D", M.PICK_COMPLETED, iso(at_minute(120))
    )  # fmt: skip
    # picked already when the clock starts (a slow stream): that one is judged, pack is next
    early = next_step(plan, {"order_paid": PAID, "pick_completed": iso(at_minute(5))}, at_minute(6))
    assert early.judge_now == [M.PICK_COMPLETED] and early.register.milestone == M.PACK_COMPLETED


def test_the_sweep_skips_reached_milestones_and_judges_past_deadlines_at_once() -> None:
    plan = plan_for("o1", policy(), {}, PAID)
    shipped = {"order_paid": PAID, "shipped": iso(at_minute(90))}  # implies pick and pack
    step = next_step(plan, shipped, at_minute(120), after=M.PICK_COMPLETED)
    assert step.judge_now == [M.PACK_COMPLETED, M.SHIPPED] and step.register.milestone == M.DELIVERED
    # an outage: the sweep runs at 250 min; pack's deadline (240) passed unreached: judged now
    late = next_step(plan, {"order_paid": PAID}, at_minute(250), after=M.PICK_COMPLETED)
    assert late.judge_now == [M.PACK_COMPLETED] and late.register.milestone == M.SHIPPED
    delivered = {**shipped, "delivered": iso(at_minute(2000))}
    assert next_step(plan, delivered, at_minute(1440), after=M.SHIPPED) == NextStep([M.DELIVERED], None)
    pickup = plan_for("o2", policy(), {"fulfillment_type": "STORE_PICKUP"}, PAID)
    assert next_step(pickup, {"order_paid": PAID}, at_minute(240), after=M.PACK_COMPLETED).register is None


def test_the_chain_follows_the_deadlines_not_the_milestone_order() -> None:
    odd = policy(pick_minutes=120, pack_minutes=90)  # a contradiction the lint flags; still handled
    plan = plan_for("o1", odd, {}, PAID)
    assert chain(plan) == [M.PACK_COMPLETED, M.PICK_COMPLETED, M.SHIPPED, M.DELIVERED]
    first = next_step(plan, {"order_paid": PAID}, at_minute(1)).register
    assert first is not None and first.milestone == M.PACK_COMPLETED
    assert [r.milestone for r in following(first)] == [M.PICK_COMPLETED, M.SHIPPED, M.DELIVERED]


def test_entries_carry_the_plan_and_old_entries_still_decode() -> None:
    plan = plan_for("ext:SO-1", policy(), {"fulfillment_type": "STORE_PICKUP"}, PAID)
    ref = due_refs(plan)[0]
    assert ref.encode().endswith("|p1|120/240//") and ref.chained
    back = DueRef.decode(ref.encode())
    assert back == ref and back.plan().windows == plan.windows
    assert not escalation_ref(plan, M.PICK_COMPLETED).chained  # escalations end there
    old = "D|2026-03-04T11:00:00.000Z|o9|pick_completed|2026-03-04T09:00:00.000Z|120|1|80|150|p1"
    legacy = DueRef.decode(old)  # written before the chain: its writer registered every deadline
    assert legacy.windows == "" and not legacy.chained and following(legacy) == []
    assert legacy.plan().windows == {M.PICK_COMPLETED: 120} and legacy.encode() == old
