"""What a chaos run must leave behind, checked from what the run collected (pure functions).

``chaos_scenario.py`` gathers the orders (through the API), the stock records (from the local
cloud's DynamoDB endpoint), the webhook deliveries a loopback receiver got, and the dead-letter
queues with the chaos ledger; these functions judge them. Each returns its figures and a list of
problems (empty when the run is sound).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Where an order may rest when nothing is in flight: done, or waiting for stock.
EXPECTED_STATES = frozenset({"DELIVERED", "PICKED_UP", "BACKORDERED", "CANCELLED", "FAILED"})
#: Why an order may end FAILED in a chaos run: stock kept moving while it was planned (a domain
#: outcome), or a step kept failing through every retry of the state machine because of the
#: injected faults. Anything else (an unhandled error's class name) is a bug.
EXPECTED_FAILURES = frozenset(
    {"StockConflict", "InsufficientStock", "Lambda.ServiceException", "TransientStoreError"}
)
#: Faults that account for one delivery of a message that did not consume it.
INJECTED = ("lambda_before", "lambda_after", "sqs_redeliver")
MAX_RECEIVE_COUNT = 5  # the template's redrive policies


@dataclass
class Outcome:
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- orders
def check_orders(
    orders: Mapping[str, Mapping[str, Any]],
    trails: Mapping[str, list[dict[str, Any]]],
    stored: Iterable[str] = (),
) -> Outcome:
    """Every order rests in an expected state; a FAILED one says why, and the reason is a domain
    outcome or an injected fault; no change was applied twice; the ``stored`` orders are exactly
    the ones sent (client retries made no second order)."""
    out = Outcome()
    extra = sorted(set(stored) - set(orders))
    if extra:
        out.problems.append(f"{len(extra)} orders nobody created on purpose (a retried create?): {extra[:5]}")
    states = Counter(str(o["status"]) for o in orders.values())
    out.figures["states"] = dict(sorted(states.items()))
    failed_reasons: Counter[str] = Counter()
    for order_id, order in sorted(orders.items()):
        status = str(order["status"])
        if status not in EXPECTED_STATES:
            last = [_entry(e) for e in trails.get(order_id, [])[-4:]]
            out.problems.append(f"order {order_id} stuck in {status}; its trail ends {last}")
        if status == "FAILED":
            history = order.get("status_history") or []
            reason = history[-1].get("reason") if history else None
            if not reason:
                out.problems.append(f"order {order_id} is FAILED without a reason")
            elif reason not in EXPECTED_FAILURES:
                out.problems.append(
                    f"order {order_id} FAILED because of {reason}, not a fault the run injects"
                )
            failed_reasons[str(reason)] += 1
        out.problems.extend(_applied_twice(order_id, trails.get(order_id, [])))
    if failed_reasons:
        out.figures["failed_reasons"] = dict(failed_reasons)
    return out


def _entry(entry: Mapping[str, Any]) -> str:
    event_id = (entry.get("data") or {}).get("event_id")
    return f"{entry.get('seq')}:{entry.get('type')}" + (f"({event_id})" if event_id else "")


def _applied_twice(order_id: str, trail: list[dict[str, Any]]) -> list[str]:
    """A callback (by its event id) applied twice, or one status change written twice in a row."""
    problems = []
    applied: Counter[str] = Counter()
    for entry in trail:
        kind = str(entry.get("type", ""))
        event_id = (entry.get("data") or {}).get("event_id")
        if kind.startswith("fulfilment.") and kind != "fulfilment.rejected" and event_id:
            applied[str(event_id)] += 1
    problems += [f"order {order_id}: callback {e} applied {n} times" for e, n in applied.items() if n > 1]
    for before, after in itertools.pairwise(trail):
        same = all(before.get(k) == after.get(k) for k in ("type", "from_status", "to_status", "data"))
        if same and before.get("to_status") is not None:
            problems.append(
                f"order {order_id}: change {after.get('type')} (seq {after.get('seq')}) written twice"
            )
    return problems


# ---------------------------------------------------------------------- stock
def check_stock(
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    reservations: Iterable[Mapping[str, Any]],
    adjustments: Iterable[Mapping[str, Any]],
    orders: Mapping[str, Mapping[str, Any]],
) -> Outcome:
    """Per stock item: available = on_hand - reserved; reserved = its ACTIVE reservations; on_hand
    fell by exactly what was shipped. Per order: its ACTIVE reservations are its RESERVED
    allocations, its COMMITTED ones its SHIPPED allocations; a finished order holds nothing. No
    CORRECTION was needed (the reconciliation job repairs drift; it must have found none)."""
    out = Outcome()
    active: defaultdict[str, int] = defaultdict(int)
    committed: defaultdict[str, int] = defaultdict(int)
    by_order: defaultdict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: {"ACTIVE": {}, "COMMITTED": {}}
    )
    for r in reservations:
        state, held_item, qty, holder = (
            str(r["state"]),
            str(r["item_id"]),
            int(r["quantity"]),
            str(r["order_id"]),
        )
        if state == "ACTIVE":
            active[held_item] += qty
        if state == "COMMITTED":
            committed[held_item] += qty
        if state in ("ACTIVE", "COMMITTED"):
            by_order[holder][state][held_item] = by_order[holder][state].get(held_item, 0) + qty
    sold_without_reservation: defaultdict[str, int] = defaultdict(int)
    corrections = 0
    for a in adjustments:
        if a.get("reason") == "CORRECTION":
            corrections += 1
            out.problems.append(
                f"reserved drift repaired on {a.get('item_id')}: {a.get('reserved_before')} -> "
                f"{a.get('reserved_after')} ({a.get('created_at')})"
            )
        elif a.get("reason") == "SOLD":
            sold_without_reservation[str(a["item_id"])] -= int(a.get("delta_on_hand", 0))
        else:
            out.problems.append(f"unexpected stock movement during the run: {a}")
    committed_before = {i: int(s.get("committed", 0)) for i, s in before.items()}
    for item_id, item in sorted(after.items()):
        on_hand, reserved, available = int(item["on_hand"]), int(item["reserved"]), int(item["available"])
        if available != on_hand - reserved:
            out.problems.append(
                f"{item_id}: available {available} != on_hand {on_hand} - reserved {reserved}"
            )
        if reserved != active[item_id]:
            out.problems.append(
                f"{item_id}: reserved {reserved} but ACTIVE reservations hold {active[item_id]}"
            )
        if item_id in before:
            shipped = (
                committed[item_id] - committed_before.get(item_id, 0) + sold_without_reservation[item_id]
            )
            fell = int(before[item_id]["on_hand"]) - on_hand
            if fell != shipped:
                out.problems.append(f"{item_id}: on_hand fell by {fell} but {shipped} were shipped")
        else:
            out.problems.append(f"{item_id}: a stock item appeared during the run")
    for order_id, order in sorted(orders.items()):
        allocations = order.get("allocations") or []
        want = {"ACTIVE": _qty(allocations, "RESERVED"), "COMMITTED": _qty(allocations, "SHIPPED")}
        have = by_order.get(order_id, {"ACTIVE": {}, "COMMITTED": {}})
        for state, allocation_state in (("ACTIVE", "RESERVED"), ("COMMITTED", "SHIPPED")):
            if have[state] != want[state]:
                out.problems.append(
                    f"order {order_id} ({order['status']}): {state} reservations {have[state]} but "
                    f"{allocation_state} allocations {want[state]}"
                )
        if order["status"] in ("DELIVERED", "PICKED_UP", "CANCELLED", "FAILED") and have["ACTIVE"]:
            out.problems.append(f"order {order_id} is {order['status']} but still holds {have['ACTIVE']}")
    out.figures.update(
        items=len(after),
        reserved=sum(int(i["reserved"]) for i in after.values()),
        active_reservations=sum(active.values()),
        shipped_units=sum(committed.values()) - sum(committed_before.values()),
        corrections=corrections,
        balanced=not out.problems,
    )
    return out


def _qty(allocations: Iterable[Mapping[str, Any]], state: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for a in allocations:
        if a.get("state") == state:
            totals[str(a["item_id"])] = totals.get(str(a["item_id"]), 0) + int(a["quantity"])
    return totals


# ---------------------------------------------------------------------- events
def check_events(
    received: Iterable[Mapping[str, Any]],
    trails: Mapping[str, list[dict[str, Any]]],
    dead_event_ids: Iterable[str] = (),
) -> Outcome:
    """The subscriber got one event id per change (an id may come twice: receivers deduplicate on
    it), the same content under one id, every change of every order (unless its message is in a
    dead-letter queue, explained there), and nothing that was not a change."""
    out = Outcome()
    ids_per_change: defaultdict[tuple[str, int], set[str]] = defaultdict(set)
    bodies: defaultdict[str, set[str]] = defaultdict(set)
    copies: Counter[str] = Counter()
    others = 0
    for delivery in received:
        body = delivery["body"]
        data = body["data"]
        if not data.get("order_id"):  # an event of no order (stock alerts, ADR 0039): not a change
            others += 1
            continue
        change = (str(data["order_id"]), int(data["sequence"]))
        ids_per_change[change].add(str(body["id"]))
        bodies[str(body["id"])].add(json.dumps(body, sort_keys=True))
        copies[str(body["id"])] += 1
    for (order_id, seq), ids in sorted(ids_per_change.items()):
        if len(ids) > 1:
            out.problems.append(
                f"order {order_id} change {seq} announced under {len(ids)} event ids: {sorted(ids)}"
            )
    out.problems += [
        f"event {e} delivered with {len(b)} different bodies" for e, b in bodies.items() if len(b) > 1
    ]
    dead = set(dead_event_ids)
    announced = {change for change in ids_per_change}
    missing = 0
    for order_id, trail in sorted(trails.items()):
        seqs = {int(e["seq"]) for e in trail}
        for seq in sorted(seqs):
            if (order_id, seq) not in announced:
                missing += 1
                if not any(_event_of(e, order_id, seq) for e in dead):
                    out.problems.append(f"order {order_id} change {seq} was never announced")
        extra = {s for (o, s) in announced if o == order_id} - seqs
        if extra:
            out.problems.append(f"order {order_id}: events for changes {sorted(extra)} not in its trail")
    out.figures.update(
        events=len(copies),
        deliveries=sum(copies.values()),
        same_id_redelivered=sum(n - 1 for n in copies.values() if n > 1),
        changes_with_two_ids=sum(1 for ids in ids_per_change.values() if len(ids) > 1),
        not_announced=missing,
        other_events=others,
    )
    return out


def _event_of(dead: str, order_id: str, seq: int) -> bool:
    """``dead`` is "<order id>:<seq>" of a domain event found in a dead-letter queue."""
    return dead == f"{order_id}:{seq}"


# ---------------------------------------------------------------------- dead letters
def check_dead_letters(dead_letters: Mapping[str, list[dict[str, Any]]]) -> tuple[Outcome, list[str]]:
    """Every dead-lettered message is explained by the chaos ledger: each of its deliveries failed
    because of an injected fault (or of throttles injected into the invocation). Returns the
    outcome and the "<order id>:<seq>" of the domain events among them."""
    out = Outcome()
    dead_events: list[str] = []
    counts: dict[str, int] = {}
    for queue, messages in sorted(dead_letters.items()):
        counts[queue] = len(messages)
        for message in messages:
            ledger = [str(x) for x in message.get("ledger") or []]
            explained = [x for x in ledger if x in INJECTED or "throttles=" in x]
            stream = "DDBStreamBatchInfo" in str(message.get("body", ""))
            enough = len(ledger) >= 1 if stream else len(ledger) >= MAX_RECEIVE_COUNT
            if not enough or len(explained) != len(ledger):
                out.problems.append(
                    f"{queue}: message {message['message_id']} unexplained (deliveries recorded: {ledger}); "
                    f"body {str(message.get('body'))[:300]}"
                )
            event = _domain_event(message.get("body"))
            if event is not None:
                dead_events.append(event)
    out.figures.update(by_queue={k: v for k, v in counts.items() if v}, total=sum(counts.values()))
    return out, dead_events


def _domain_event(body: Any) -> str | None:
    try:
        data = json.loads(str(body))
        return f"{data['order_id']}:{int(data['sequence'])}"
    except (ValueError, KeyError, TypeError):
        return None
