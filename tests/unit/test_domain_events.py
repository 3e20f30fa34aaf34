"""Domain events derived from order-header changes, and headers read back from stream images."""

import base64

from oms.data.codec import pack_header
from oms.data.stream import header_from_image, order_number_from_image
from oms.domain.events import EVENT_TYPES, event_id_for, events_from_change

NUMBER = "ORD-20261121-ABC"


def image(events, status="SOURCED"):
    return {"id": "o1", "tenant_id": "t1", "status": status, "version": len(events), "events": events}


CREATED = {
    "seq": 1,
    "type": "order.created",
    "at": "2026-11-21T10:00:00.000Z",
    "actor": "user:a",
    "to_status": "PENDING",
}
CONFIRMED = {
    "seq": 2,
    "type": "order.confirmed",
    "at": "2026-11-21T10:00:01.000Z",
    "actor": "system:fulfilment",
    "from_status": "PENDING",
    "to_status": "CONFIRMED",
}
EXPIRED = {
    "seq": 3,
    "type": "order.reservation_expired",
    "at": "2026-11-21T11:00:00.000Z",
    "actor": "system:maintenance",
    "data": {"quantity": 2},
}
PACKED = {
    "seq": 4,
    "type": "fulfilment.ready_to_ship",
    "at": "2026-11-21T12:00:00.000Z",
    "actor": "wms",
    "from_status": "PACKING",
    "to_status": "READY_TO_SHIP",
}


def test_an_insert_yields_the_created_event_with_a_stable_id():
    [event] = events_from_change(None, image([CREATED], status="PENDING"), NUMBER)
    assert event.type == "order.created" and event.sequence == 1
    assert event.order_number == "ORD-20261121-ABC" and event.tenant_id == "t1"
    assert event.event_id == event_id_for("t1", "o1", 1)


def test_a_modify_yields_only_the_new_entries():
    old, new = image([CREATED]), image([CREATED, CONFIRMED], status="CONFIRMED")
    events = events_from_change(old, new, NUMBER)
    assert [(e.type, e.from_status, e.to_status) for e in events] == [
        ("order.confirmed", "PENDING", "CONFIRMED")
    ]
    assert events_from_change(old, new, NUMBER)[0].event_id == events[0].event_id  # redelivery: same id


def test_changes_without_a_status_are_order_updated_and_statuses_have_their_names():
    events = events_from_change(
        image([CREATED, CONFIRMED]), image([CREATED, CONFIRMED, EXPIRED, PACKED]), NUMBER
    )
    assert [e.type for e in events] == ["order.updated", "order.packed"]
    assert events[0].change == "order.reservation_expired" and events[0].data == {"quantity": 2}
    assert set(e.type for e in events) <= set(EVENT_TYPES)


def test_removals_and_unchanged_images_yield_nothing():
    assert events_from_change(image([CREATED]), None, NUMBER) == []
    assert events_from_change(image([CREATED]), image([CREATED]), NUMBER) == []


def test_a_stream_image_gives_back_the_packed_header_and_the_order_number():
    header = image([CREATED, CONFIRMED], status="CONFIRMED")
    packed = pack_header(header)
    stream_image = {
        "pk": {"S": "T#t1#O#o1"},
        "sk": {"S": "ORDER"},
        "packed": {"B": base64.b64encode(packed).decode()},  # how Lambda delivers binary
        "gsi4pk": {"S": f"T#t1#N#{NUMBER}"},
    }
    assert header_from_image(stream_image) == header
    assert order_number_from_image(stream_image) == NUMBER
    assert header_from_image(None) is None
    assert len(packed) < len(str(header))  # compressed
