"""The inventory stream decoder: stock items only, before and after, numbers as DynamoDB sends them."""

from oms.data.stock_stream import stock_changes


def _image(available: int, on_hand: int = 10, reorder: int | None = 5) -> dict:
    image = {
        "pk": {"S": "T#t1#I#item-1"},
        "sk": {"S": "ITEM"},
        "tenant_id": {"S": "t1"},
        "item_id": {"S": "item-1"},
        "node_id": {"S": "node-a"},
        "sku": {"S": "SKU-1"},
        "on_hand": {"N": str(on_hand)},
        "reserved": {"N": str(on_hand - available)},
        "available": {"N": str(available)},
    }
    if reorder is not None:
        image["reorder_level"] = {"N": str(reorder)}
    return image


def _record(old: dict | None, new: dict | None, sk: str = "ITEM", seq: str = "1") -> dict:
    change: dict = {"Keys": {"pk": {"S": "T#t1#I#item-1"}, "sk": {"S": sk}}, "SequenceNumber": seq}
    if old:
        change["OldImage"] = old
    if new:
        change["NewImage"] = new
    return {"eventName": "MODIFY", "dynamodb": change}


def test_a_stock_item_change_carries_both_levels() -> None:
    [change] = stock_changes([_record(_image(6), _image(4), seq="42")])
    assert (change.tenant_id, change.item_id, change.node_id, change.sku) == (
        "t1",
        "item-1",
        "node-a",
        "SKU-1",
    )
    assert change.before is not None and change.after is not None
    assert (change.before.available, change.after.available, change.after.reorder_level) == (6, 4, 5)
    assert change.after.reserved == 6 and change.sequence == "42" and change.available_changed


def test_other_items_are_skipped_and_a_new_item_has_no_before() -> None:
    records = [_record(None, _image(3), sk="ADJ#2026#x"), _record(None, _image(3, reorder=None))]
    [change] = stock_changes(records)
    assert change.before is None and change.after is not None
    assert change.after.reorder_level == 0 and change.available_changed


def test_a_write_that_leaves_available_alone_is_not_a_channel_change() -> None:
    [change] = stock_changes([_record(_image(5, on_hand=10), _image(5, on_hand=12))])
    assert not change.available_changed
