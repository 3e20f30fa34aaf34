"""Proposals through the API: made by the discover_patterns job (one open per cluster, a quiet time
after a rejection), approved, rejected, applied (a rule inserted inactive, an experiment created
PAUSED) and rolled back, leaving the rules exactly as before; illegal moves are 409 with the actions
allowed; every step names who took it; another tenant sees nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from oms.domain.clock import epoch, now_iso, use_clock, utcnow
from oms.domain.learning.stats import LabelledOutcome, Pattern
from oms.services import proposals as proposal_service
from oms.services.context import repos

pytestmark = pytest.mark.usefixtures("stack")

ADMIN_ACTOR = "user:admin@example.com"


def pattern(cluster: str, ai_mean: float = 0.9, baseline_mean: float = 0.7, samples: int = 80) -> Pattern:
    ranking = [{"node_id": "node-1", "mean_score": ai_mean, "samples": samples}]
    return Pattern(cluster, samples, ranking, 20, ai_mean, samples - 20, baseline_mean)


def propose(cluster: str) -> dict[str, Any]:
    """A PENDING proposal for a cluster (through the job's function); its view."""
    assert proposal_service.propose_from_patterns("demo", [pattern(cluster)]) == 1
    found = [
        p
        for p in proposal_service.list_proposals(_demo_admin(), None, None)
        if p["cluster"] == cluster and p["status"] == "PENDING"
    ]
    assert len(found) == 1
    return found[0]


def _demo_admin() -> Any:
    from oms.domain.models import Principal, Role

    return Principal(user_id="u", email="admin@example.com", tenant_id="demo", role=Role.SUPERADMIN)


def test_the_job_proposes_once_per_cluster_and_keeps_quiet_after_a_rejection(admin):
    cluster = "MOBILE|US-S|100-250|SHIP_TO_HOME"
    weak = pattern("MOBILE|US-S|250-500|SHIP_TO_HOME", ai_mean=0.71, baseline_mean=0.7)
    assert proposal_service.propose_from_patterns("demo", [pattern(cluster), weak]) == 1
    assert (
        proposal_service.propose_from_patterns("demo", [pattern(cluster), weak]) == 0
    )  # one open per cluster
    listed = admin.get("/architect/proposals?status=PENDING&kind=sourcing_rule").body["items"]
    mine = [p for p in listed if p["cluster"] == cluster]
    assert len(mine) == 1
    p = mine[0]
    assert p["source"] == "discover_patterns" and p["evidence"]["ai_lift_pct"] == 28.57
    assert p["summary"].startswith(f"In {cluster}, AI sourcing scored 0.900")
    assert p["payload"]["strategy"] == "AI_ADAPTIVE" and p["payload"]["is_active"] is False
    assert {"field": "shipping_state", "operator": "IN"}.items() <= p["payload"]["conditions"][3].items()
    assert p["history"] == [{"action": "proposed", "by": "job:discover_patterns", "at": p["created_at"],
                             "reason": None, "note": None}]  # fmt: skip

    reject = admin.post(f"/architect/proposals/{p['id']}/reject", {"reason": "not in peak season"})
    assert reject.status == 200 and reject.body["status"] == "REJECTED"
    assert reject.body["history"][-1]["reason"] == "not in peak season"
    assert proposal_service.propose_from_patterns("demo", [pattern(cluster)]) == 0  # quiet for 30 days
    later = utcnow() + timedelta(days=31)
    with use_clock(lambda: later):
        assert proposal_service.propose_from_patterns("demo", [pattern(cluster)]) == 1
    ids = {x["id"] for x in admin.get("/architect/proposals").body["items"] if x["cluster"] == cluster}
    assert len(ids) == 2


def test_the_nightly_job_through_the_stack_proposes_from_labelled_outcomes(admin):
    cluster = "WEB|US-S|500+|SAME_DAY_DELIVERY"
    rows = [
        LabelledOutcome(f"job-{strategy}-{i}", "node-1", cluster, strategy, now_iso(), score)
        for strategy, score, n in (("AI_ADAPTIVE", 0.9, 20), ("DISTANCE_OPTIMAL", 0.7, 40))
        for i in range(n)
    ]
    repos.learning.put_labelled("demo", rows, int(epoch()) + 86_400)
    first = admin.post("/ops/jobs/discover_patterns/run", {})
    assert first.status == 200, first
    assert first.body["result"]["proposed"] >= 1
    made = [p for p in admin.get("/architect/proposals").body["items"] if p["cluster"] == cluster]
    assert len(made) == 1 and made[0]["status"] == "PENDING" and made[0]["evidence"]["ai_samples"] == 20
    again = admin.post("/ops/jobs/discover_patterns/run", {})
    assert again.body["result"]["proposed"] == 0
    assert [p["id"] for p in admin.get("/architect/proposals").body["items"] if p["cluster"] == cluster] == [
        made[0]["id"]
    ]


def test_approve_apply_rollback_leaves_the_rules_exactly_as_before(admin, user, other_tenant):
    rules_before = admin.get("/sourcing-rules").body
    p = propose("WEB|US-MW|0-50|SHIP_TO_HOME")

    assert user.post(f"/architect/proposals/{p['id']}/approve", {}).status == 403
    assert other_tenant.post(f"/architect/proposals/{p['id']}/approve", {}).status == 404
    assert other_tenant.get(f"/architect/proposals/{p['id']}").status == 404
    assert p["id"] not in {x["id"] for x in other_tenant.get("/architect/proposals").body["items"]}

    approved = admin.post(f"/architect/proposals/{p['id']}/approve", {})
    assert approved.status == 200 and approved.body["status"] == "APPROVED"
    assert admin.get("/sourcing-rules").body == rules_before  # approval applies nothing

    applied = admin.post(f"/architect/proposals/{p['id']}/apply", {})
    assert applied.status == 200, applied
    body = applied.body
    assert body["status"] == "APPLIED" and body["applied"]["kind"] == "sourcing_rule"
    assert body["applied"]["version"] == 1
    rule = admin.get(f"/sourcing-rules/{body['applied']['id']}").body
    assert rule["is_active"] is False and rule["strategy"] == "AI_ADAPTIVE" and rule["version"] == 1
    assert rule["conditions"] == p["payload"]["conditions"]
    assert len(admin.get("/sourcing-rules").body["items"]) == len(rules_before["items"]) + 1
    again = admin.post(f"/architect/proposals/{p['id']}/apply", {})
    assert again.status == 409 and again.body["error"]["details"]["allowed_actions"] == ["rollback"]

    rolled = admin.post(f"/architect/proposals/{p['id']}/rollback", {"reason": "trying it later"})
    assert rolled.status == 200, rolled
    assert rolled.body["status"] == "ROLLED_BACK"
    assert admin.get("/sourcing-rules").body == rules_before
    assert admin.get(f"/sourcing-rules/{body['applied']['id']}").status == 404
    history = admin.get(f"/architect/proposals/{p['id']}").body["history"]
    assert [(h["action"], h["by"]) for h in history] == [
        ("proposed", "job:discover_patterns"),
        ("approved", ADMIN_ACTOR),
        ("applied", ADMIN_ACTOR),
        ("rolled_back", ADMIN_ACTOR),
    ]
    assert history[-1]["reason"] == "trying it later"
    final = admin.post(f"/architect/proposals/{p['id']}/rollback", {})
    assert final.status == 409 and final.body["error"]["details"] == {
        "status": "ROLLED_BACK",
        "allowed_actions": [],
    }


def test_rollback_refuses_to_delete_a_rule_changed_since_it_was_applied(admin):
    p = propose("POS|US-W|50-100|SHIP_TO_HOME")
    admin.post(f"/architect/proposals/{p['id']}/approve", {})
    rule_id = admin.post(f"/architect/proposals/{p['id']}/apply", {}).body["applied"]["id"]
    assert (
        admin.post(f"/sourcing-rules/{rule_id}/toggle", {}).body["is_active"] is True
    )  # someone switched it on

    refused = admin.post(f"/architect/proposals/{p['id']}/rollback", {})
    assert refused.status == 409 and refused.body["error"]["code"] == "changed_since_applied"
    assert refused.body["error"]["details"] == {
        "kind": "sourcing_rule", "id": rule_id, "applied_version": 1, "current_version": 2,
    }  # fmt: skip
    assert admin.get(f"/sourcing-rules/{rule_id}").body["is_active"] is True  # not deleted behind their back
    assert admin.get(f"/architect/proposals/{p['id']}").body["status"] == "APPLIED"

    # once the person deletes the rule themselves, the rollback records that it is undone
    assert admin.delete(f"/sourcing-rules/{rule_id}").status == 204
    done = admin.post(f"/architect/proposals/{p['id']}/rollback", {})
    assert done.status == 200 and done.body["status"] == "ROLLED_BACK"
    assert done.body["history"][-1]["note"] == "the rule was already deleted"


def test_an_experiment_proposal_is_applied_paused_and_rolled_back(admin):
    made = proposal_service.create(
        "demo",
        kind="experiment",
        summary="Try AI_HYBRID against DISTANCE_OPTIMAL on web orders",
        payload={"name": "hybrid on web", "strategy_a": "DISTANCE_OPTIMAL", "strategy_b": "AI_HYBRID",
                 "traffic_split_pct": 20,
                 "filter_conditions": [{"field": "channel", "operator": "EQUALS", "value": "WEB"}]},
        source="chat",
        by=ADMIN_ACTOR,
    )  # fmt: skip
    assert admin.get("/architect/proposals?kind=experiment").body["items"][0]["id"] == made.id
    admin.post(f"/architect/proposals/{made.id}/approve", {})
    applied = admin.post(f"/architect/proposals/{made.id}/apply", {}).body
    exp_id = applied["applied"]["id"]
    assert applied["applied"]["kind"] == "experiment"
    experiment = admin.get(f"/architect/experiments/{exp_id}").body
    assert experiment["status"] == "PAUSED" and experiment["strategy_b"] == "AI_HYBRID"
    assert experiment["created_by"] == ADMIN_ACTOR and experiment["traffic_split_pct"] == 20

    rolled = admin.post(f"/architect/proposals/{made.id}/rollback", {})
    assert rolled.status == 200 and rolled.body["status"] == "ROLLED_BACK"
    assert admin.get(f"/architect/experiments/{exp_id}").status == 404

    # an experiment that ran after it was applied is kept: its results are the record
    again = proposal_service.create(
        "demo", kind="experiment", summary="again", payload=made.payload, source="chat", by=ADMIN_ACTOR
    )
    admin.post(f"/architect/proposals/{again.id}/approve", {})
    second = admin.post(f"/architect/proposals/{again.id}/apply", {}).body["applied"]["id"]
    assert admin.post(f"/architect/experiments/{second}/resume", {}).body["status"] == "ACTIVE"
    refused = admin.post(f"/architect/proposals/{again.id}/rollback", {})
    assert refused.status == 409 and refused.body["error"]["code"] == "changed_since_applied"
    assert admin.get(f"/architect/experiments/{second}").body["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("steps", "action", "status", "allowed"),
    [
        ([], "apply", "PENDING", ["approve", "reject"]),
        ([], "rollback", "PENDING", ["approve", "reject"]),
        (["approve"], "approve", "APPROVED", ["apply", "reject"]),
        (["approve"], "rollback", "APPROVED", ["apply", "reject"]),
        (["reject"], "approve", "REJECTED", []),
        (["reject"], "apply", "REJECTED", []),
    ],
)
def test_illegal_moves_are_409_with_the_allowed_actions(admin, steps, action, status, allowed):
    p = proposal_service.create(
        "demo", kind="sourcing_rule", summary="s", source="chat", by=ADMIN_ACTOR,
        payload={"name": "x", "priority": 7, "strategy": "COST_OPTIMAL"},
    )  # fmt: skip
    for step in steps:
        body = {"reason": "no"} if step == "reject" else {}
        assert admin.post(f"/architect/proposals/{p.id}/{step}", body).status == 200
    reply = admin.post(f"/architect/proposals/{p.id}/{action}", {})
    assert reply.status == 409 and reply.body["error"]["code"] == "illegal_transition"
    assert reply.body["error"]["details"] == {"status": status, "allowed_actions": allowed}
    assert admin.get(f"/architect/proposals/{p.id}").body["status"] == status


def test_reject_needs_a_reason_and_an_approved_proposal_can_still_be_rejected(admin):
    p = proposal_service.create(
        "demo", kind="sourcing_rule", summary="s", source="chat", by=ADMIN_ACTOR,
        payload={"name": "x", "priority": 7},
    )  # fmt: skip
    missing = admin.post(f"/architect/proposals/{p.id}/reject", {})
    assert missing.status == 422 and missing.body["error"]["details"][0]["loc"] == ["body", "reason"]
    assert admin.post(f"/architect/proposals/{p.id}/reject", {"reason": ""}).status == 422
    admin.post(f"/architect/proposals/{p.id}/approve", {})
    rejected = admin.post(f"/architect/proposals/{p.id}/reject", {"reason": "changed my mind"})
    assert rejected.status == 200 and rejected.body["status"] == "REJECTED"
    assert [h["action"] for h in rejected.body["history"]] == ["proposed", "approved", "rejected"]
    assert admin.get("/architect/proposals/no-such-proposal").body["error"]["code"] == "proposal_not_found"
    assert admin.get("/architect/proposals?status=SOMETHING").status == 422
