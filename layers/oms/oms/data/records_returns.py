"""Records of returns (issue 13, ADR 0038); the tuples in records.py list them.

- ReturnRecord, in the orders table under the order's partition (pk=T#<tenant>#O#<order id>,
  sk=RETURN#<nnnn>): a return of the order. Reading an order's returns is one query, and every
  change of a return is written in one transaction with the order header (conditioned on both
  versions), so the checks across an order's returns (never more than delivered, never more
  than paid) hold under concurrency. The listings use the orders table's existing indexes with
  partitions of their own (sparse: only returns carry them): by_tenant gsi1pk=T#<tenant>#RMA
  (every return, by creation), by_status gsi2pk=T#<tenant>#RMA#S#<status>, by_customer
  gsi5pk=T#<tenant>#RMAC#<user id> (a CUSTOMER's own).
- ReturnPolicyRecord, in the directory table (a tenant's settings): pk=T#<tenant>#RETURNPOLICY,
  sk=POLICY.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model


# The orders table's indexes (records.py declares them for orders; these are the same indexes)
class _ByTenant(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_tenant"
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _ByStatus(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_status"
        projection = KeysOnlyProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _ByCustomer(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "by_customer"
        projection = KeysOnlyProjection()

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class ReturnRecord(Model):
    class Meta:
        table_name = "cirrus-orders"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    by_tenant = _ByTenant()
    by_status = _ByStatus()
    by_customer = _ByCustomer()


class ReturnPolicyRecord(Model):
    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
