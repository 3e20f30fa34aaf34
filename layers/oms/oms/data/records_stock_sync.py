"""Records of the channel stock sync (ADR 0040), in the integrations table beside the connectors;
INTEGRATION_MODELS in records.py lists them.

- pk=T#<tenant>#SSDIRTY#<connector id>, sk=<location gid>#<sku>: a figure waiting for its push
  (the coalescing marker; put if absent, deleted by the push before it reads; TTL).
- pk=T#<tenant>#SSSKU#<connector id>, sk=<sku>: the SKU's Shopify inventory item (doc), or that
  Shopify has none (doc.unknown, expiring a day later so it is looked up again).
- pk=T#<tenant>#SSSTATE, sk=<connector id>: the connector's GraphQL cost bucket, its last push and
  its last reconciliation (doc)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class StockSyncRecord(Model):
    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
