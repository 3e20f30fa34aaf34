"""Stock alert records (ADR 0039), in the inventory table beside the stock items they watch; the
INVENTORY_MODELS tuple in records.py lists them.

- pk=T#<tenant>#SA#<item id> sk=CURRENT: the item's alert state (`doc`, an ItemAlert), kept between
  alerts, written under a condition on `version` (the stream consumer and the scan race on it).
  While its alert is OPEN it is in the group T#<tenant>#ALERTS#OPEN of the by_group index
  (gsi2sk <kind>#<node>#<sku>#<item>); otherwise it is in no group.
- pk=T#<tenant>#SA#<item id> sk=H#<resolved at>#<alert id>: one resolved alert as it was closed,
  in the group T#<tenant>#ALERTS#RESOLVED (gsi2sk <kind>#<resolved at>#<alert id>).
- pk=SYS#STOCK_ALERTS sk=SCAN: where the hourly scan stopped (a tenant and its listing cursor)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


class StockAlertsByGroup(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_group"
        projection = KeysOnlyProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class StockAlertRecord(Model):
    class Meta:
        table_name = "cirrus-inventory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_group = StockAlertsByGroup()
