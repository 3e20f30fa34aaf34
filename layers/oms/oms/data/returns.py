"""Returns and the tenant's return policy (records_returns.py tells the key layout)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, GetError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import connection, decode_cursor, encode_cursor, raise_for_transaction, store_error
from oms.data.orders import order_record
from oms.data.records import OrderRecord
from oms.data.records_returns import ReturnPolicyRecord, ReturnRecord
from oms.domain.errors import Conflict
from oms.domain.models import Order
from oms.domain.return_requests import ReturnPolicy
from oms.domain.returns import Return

RETURN_PREFIX = "RETURN#"
POLICY_SK = "POLICY"


def return_id_for(order_id: str, number: int) -> str:
    """A return's id names its order and its place among the order's returns, so reading one
    by id is one strongly consistent get (no index)."""
    return f"{order_id}-R{number}"


def parse_return_id(return_id: str) -> tuple[str, int] | None:
    order_id, sep, number = return_id.rpartition("-R")
    if not sep or not order_id or not number.isdigit() or len(number) > 4:
        return None
    return order_id, int(number)


def return_sk(number: int) -> str:
    return f"{RETURN_PREFIX}{number:04d}"


def _tenant_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#RMA"


def _status_partition(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#RMA#S#{status}"


def _customer_partition(tenant_id: str, user_id: str) -> str:
    return f"T#{tenant_id}#RMAC#{user_id}"


def _policy_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#RETURNPOLICY"


def return_record(ret: Return) -> ReturnRecord:
    parsed = parse_return_id(ret.id)
    if parsed is None:
        raise ValueError(f"not a return id: {ret.id}")
    created = f"{ret.created_at}#{ret.id}"
    return ReturnRecord(
        keys.order_pk(ret.tenant_id, ret.order_id),
        return_sk(parsed[1]),
        doc=ret.model_dump(mode="json", exclude_none=True),
        version=ret.version,
        status=ret.status.value,
        gsi1pk=_tenant_partition(ret.tenant_id),
        gsi1sk=created,
        gsi2pk=_status_partition(ret.tenant_id, ret.status.value),
        gsi2sk=created,
        gsi5pk=_customer_partition(ret.tenant_id, ret.customer_user_id) if ret.customer_user_id else None,
        gsi5sk=created if ret.customer_user_id else None,
    )


def _from(record: ReturnRecord) -> Return:
    return Return.model_validate({**(record.doc or {}), "version": int(record.version or 1)})


class ReturnRepository:
    def of_order(self, tenant_id: str, order_id: str) -> list[Return]:
        """The order's returns, oldest first (one strongly consistent query)."""
        records = ReturnRecord.query(
            keys.order_pk(tenant_id, order_id),
            ReturnRecord.sk.startswith(RETURN_PREFIX),
            consistent_read=True,
        )
        return [_from(r) for r in records]

    def get(self, tenant_id: str, return_id: str) -> Return | None:
        parsed = parse_return_id(return_id)
        if parsed is None:
            return None
        try:
            record = ReturnRecord.get(
                keys.order_pk(tenant_id, parsed[0]), return_sk(parsed[1]), consistent_read=True
            )
        except DoesNotExist:
            return None
        except GetError as exc:
            raise store_error(exc, "return") from exc
        return _from(record)

    def write(self, ret: Return, expected: int | None, order: Order, expected_order: int) -> None:
        """The return (new: `expected` None) and the order's new header, in one transaction
        conditioned on both versions (409 concurrent_update when either moved)."""
        condition = ReturnRecord.pk.does_not_exist() if expected is None else ReturnRecord.version == expected
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(return_record(ret), condition=condition)
                tx.save(order_record(order), condition=OrderRecord.version == expected_order)
        except TransactWriteError as exc:
            raise_for_transaction(exc, "return", tx)

    def save(self, ret: Return, expected: int) -> None:
        """The return alone (no order change), if its version is still `expected`."""
        try:
            return_record(ret).save(condition=ReturnRecord.version == expected)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the return changed meanwhile", code="concurrent_update") from exc
            raise store_error(exc, "return") from exc

    @staticmethod
    def record_with_condition(ret: Return, expected: int) -> tuple[ReturnRecord, Any]:
        """The return's record and the condition to save it under (for a stock transaction)."""
        return return_record(ret), ReturnRecord.version == expected

    def page(
        self,
        tenant_id: str,
        *,
        status: str | None,
        customer_user_id: str | None,
        created_from: str | None,
        created_to: str | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Return], str | None]:
        """One page of the tenant's returns, newest first, from the most selective partition."""
        index: Any
        if customer_user_id:
            index, attr, sk_attr = ReturnRecord.by_customer, "gsi5pk", ReturnRecord.gsi5sk
            partition = _customer_partition(tenant_id, customer_user_id)
        elif status:
            index, attr, sk_attr = ReturnRecord.by_status, "gsi2pk", ReturnRecord.gsi2sk
            partition = _status_partition(tenant_id, status)
        else:
            index, attr, sk_attr = ReturnRecord.by_tenant, "gsi1pk", ReturnRecord.gsi1sk
            partition = _tenant_partition(tenant_id)
        condition: Any = None
        if created_from and created_to:
            condition = sk_attr.between(created_from, created_to + "\uffff")
        elif created_from:
            condition = sk_attr >= created_from
        elif created_to:
            condition = sk_attr <= created_to + "\uffff"
        result = index.query(
            partition,
            range_key_condition=condition,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, partition, attr),
            page_size=limit,
        )
        wanted = [(r.pk, r.sk) for r in result]
        found = {(r.pk, r.sk): _from(r) for r in ReturnRecord.batch_get(wanted)} if wanted else {}
        items = [found[k] for k in wanted if k in found]
        return items, encode_cursor(result.last_evaluated_key)

    # ------------------------------------------------------------------ the policy
    def policy(self, tenant_id: str) -> ReturnPolicy | None:
        try:
            record = ReturnPolicyRecord.get(_policy_pk(tenant_id), POLICY_SK, consistent_read=True)
        except DoesNotExist:
            return None
        except GetError as exc:
            raise store_error(exc, "return policy") from exc
        return ReturnPolicy.model_validate(record.doc or {})

    def put_policy(self, tenant_id: str, policy: ReturnPolicy) -> None:
        try:
            ReturnPolicyRecord(_policy_pk(tenant_id), POLICY_SK, doc=policy.model_dump(mode="json")).save()
        except PutError as exc:
            raise store_error(exc, "return policy") from exc
