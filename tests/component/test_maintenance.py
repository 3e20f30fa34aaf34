"""Scheduled maintenance: reservation expiry, reconciliation of drift, recovery of lost intakes."""

from datetime import timedelta

import pytest

from oms.data import keys
from oms.data.records import ReservationRecord, StockRecord
from oms.domain.clock import iso, utcnow
from tests.component.helpers import order_body, wait_for_status

pytestmark = pytest.mark.usefixtures("stack")


def run_job(invoke, job):
    return invoke("MaintenanceFunction", {"job": job})


@pytest.mark.date_sensitive  # a reservation's expiry against now
def test_expired_reservation_releases_stock_and_backorders_the_order(admin, invoke):
    order = admin.post("/orders", order_body(line_items=[{"sku": "SKU-GIZMO-2", "quantity": 3}])).body
    sourced = wait_for_status(admin, order["id"], {"SOURCED"})
    item_id = sourced["allocations"][0]["item_id"]
    reserved_before = admin.get(f"/inventory/{item_id}").body["reserved"]
    record = ReservationRecord.get(keys.item_pk("demo", item_id), keys.reservation_sk(order["id"]))
    past = iso(utcnow() - timedelta(minutes=1))
    record.update(
        actions=[
            ReservationRecord.expires_at.set(past),
        ]
    )
    result = run_job(invoke, "reservations")
    assert result["expiry"]["expired"] >= 1
    assert admin.get(f"/inventory/{item_id}").body["reserved"] == reserved_before - 3
    assert admin.get(f"/orders/{order['id']}").body["status"] == "BACKORDERED"
    # a second run finds nothing more to do for it, and cancelling now releases nothing twice
    run_job(invoke, "reservations")
    admin.post(f"/orders/{order['id']}/cancel", {})
    assert admin.get(f"/inventory/{item_id}").body["reserved"] == reserved_before - 3


def test_reconcile_repairs_reserved_drift_and_logs_it(admin, invoke, demo_nodes):
    item = admin.post(
        "/inventory", {"node_id": demo_nodes["DC-WEST"], "sku": "SKU-DRIFT", "on_hand": 20}
    ).body
    StockRecord(keys.item_pk("demo", item["id"]), keys.ITEM_SK).update(
        actions=[StockRecord.reserved.add(5), StockRecord.available.add(-5)]
    )
    assert admin.get(f"/inventory/{item['id']}").body["reserved"] == 5
    result = run_job(invoke, "reservations")
    assert result["reconcile"]["drift_repaired"] >= 1
    repaired = admin.get(f"/inventory/{item['id']}").body
    assert repaired["reserved"] == 0 and repaired["available"] == 20
    assert repaired["adjustments"][0]["reason"] == "CORRECTION"
    assert repaired["adjustments"][0]["reserved_before"] == 5


@pytest.mark.date_sensitive  # "stuck" is created_at older than now - STUCK_ORDER_MINUTES
def test_recovery_restarts_an_order_whose_intake_never_started(admin, invoke, monkeypatch):
    from oms.adapters import workflow
    from oms.services import orders as order_service

    def broken(*args, **kwargs):
        raise RuntimeError("Step Functions unreachable")

    monkeypatch.setattr(order_service.workflow, "start", broken)
    order = admin.post("/orders", order_body()).body
    assert order["status"] == "PENDING"
    monkeypatch.undo()
    monkeypatch.setenv("STUCK_ORDER_MINUTES", "0")
    from oms.runtime import reinit

    reinit()
    assert workflow.start is not broken
    result = run_job(invoke, "recover_orders")
    assert result["restarted"] >= 1
    wait_for_status(admin, order["id"], {"SOURCED"})
