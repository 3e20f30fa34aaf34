"""The proof that it learns, small: a seeded world through the real engine, labels and jobs
(`make simulate` plays the large one and prints the table)."""

from __future__ import annotations

from infra.simulation.world import World, run


def test_ai_adaptive_beats_distance_optimal_in_a_small_world():
    result = run(World(seed=5, orders_per_day=250, phase1_days=10, phase2_days=10))
    assert len(result.phase1) >= 2500 and len(result.phase2) >= 2500
    # the control arm keeps about a fifth of phase 2 on DISTANCE_OPTIMAL
    control = [o for o in result.phase2 if o.arm == "A"]
    assert 0.15 < len(control) / len(result.phase2) < 0.25
    assert {o.strategy for o in control} == {"DISTANCE_OPTIMAL"}
    assert result.ai_mean > result.control_mean and result.lift > 0.02
    # the learning jobs saw it too: patterns justify pending proposals, all for AI rules
    assert result.proposals and all(p["rule"]["strategy"] == "AI_ADAPTIVE" for p in result.proposals)


def test_a_world_replays_exactly():
    first, second = (run(World(seed=11, orders_per_day=60, phase1_days=3, phase2_days=3)) for _ in range(2))
    assert [(o.order_id, o.node_id, o.score) for o in first.outcomes] == [
        (o.order_id, o.node_id, o.score) for o in second.outcomes
    ]
