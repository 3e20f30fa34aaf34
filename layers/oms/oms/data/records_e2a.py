"""pynamodb records of the SLA radar's and Invoice Guard's tables (issue 11; the E²A seed):
RadarTable (policies, tracked external orders, the deadline index, exceptions; ADR 0031) and
BillingTable (tariffs, the billing ledger, invoices and adjustments; ADR 0032). Bound to their
tables with the rest in `oms.data.records.bind_tables`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


# ---------------------------------------------------------------- RadarTable (issue 11)
class RadarByGsi1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class RadarRecord(Model):
    """The radar's documents in the radar table (ADR 0031), each a versioned JSON `doc`:
    - pk=T#<tenant>#SLA, sk=P#<policy id>: an SLA policy; sk=DEFAULT: which policy is the
      tenant's default (every change of the default goes through it, in one transaction);
      sk=SWEEP: how far the sweep has read the deadline index (`doc.through`, a minute);
    - pk=T#<tenant>#X#<external order id>, sk=TRACK: a tracked external order (milestones,
      facts, counts, its deadlines); once shipped gsi1pk=T#<tenant>#DONE, gsi1sk=<at>#<id>
      (Invoice Guard bills completed orders by that range); `event_ids` the ids
      ("<source>:<event id>") of the events applied to it, added in the same conditional update
      (idempotency, ADR 0031);
    - pk=T#<tenant>#EV#<source>#<event id>, sk=EVENT: an ingested event of the first radar
      version (no longer written; they expire)."""

    class Meta:
        table_name = "cirrus-radar"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
    event_ids = UnicodeSetAttribute(null=True)
    gsi1 = RadarByGsi1()


class ExceptionRecord(Model):
    """pk=T#<tenant>#EXC, sk=<exception id>: one SLA exception (its id is a uuid5 of tenant, order
    and milestone, so the conditional put that creates it is the "exactly one" guard). The fields
    the list filters on sit beside the document; gsi1pk=T#<tenant>#EXC, gsi1sk=<created_at>#<id>
    lists them by creation time."""

    class Meta:
        table_name = "cirrus-radar"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    severity = UnicodeAttribute(null=True)
    label = UnicodeAttribute(null=True)
    order_ref = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = RadarByGsi1()


class DeadlineBucketRecord(Model):
    """pk=T#<tenant>#DL#<UTC day>, sk=<HH:MM>#<writer>[#<n>]: the deadline index. `refs` holds the
    deadlines falling in that minute (one string each, oms.domain.sla_deadlines) that one writer
    (a stream batch, an event, a sweep) registered, added with ADD; the sweep queries the minutes
    between its watermark and now.
    Expires a few days after its minute."""

    class Meta:
        table_name = "cirrus-radar"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    refs = UnicodeSetAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class BillingRecord(Model):
    """Invoice Guard's items in the billing table (ADR 0032; layout in data/billing.py): tariffs
    and invoices (`doc`, `version`), adjustments (`doc`, `version`) and the billing ledger
    (`packed`: one stream batch's billable facts of one tenant and day)."""

    class Meta:
        table_name = "cirrus-billing"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    packed = BinaryAttribute(null=True, legacy_encoding=False)
    expires_at_epoch = NumberAttribute(null=True)
