"""Fulfilment nodes and their per-day order counters (one partition per tenant)."""

from __future__ import annotations

import json

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from oms.data import keys
from oms.data.base import connection, failed_keys, raise_for_transaction, raw_partition, store_error
from oms.data.records import NodeCapacityRecord, NodeRecord
from oms.domain.errors import Conflict
from oms.domain.network import Node


class NodeRepository:
    def insert(self, node: Node) -> None:
        pk = keys.nodes_pk(node.tenant_id)
        try:
            with TransactWrite(connection=connection()) as tx:
                tx.save(
                    NodeRecord(pk, keys.node_code_sk(node.code), node_id=node.id),
                    condition=NodeRecord.pk.does_not_exist(),
                )
                tx.save(
                    NodeRecord(
                        pk,
                        keys.node_sk(node.id),
                        node_id=node.id,
                        version=1,
                        doc=node.model_dump(mode="json"),
                    ),
                    condition=NodeRecord.pk.does_not_exist(),
                )
        except TransactWriteError as exc:
            if any(k.startswith("CODE#") for k in failed_keys(exc, tx)):
                raise Conflict(
                    f"a node with code {node.code} already exists",
                    code="duplicate_node_code",
                    details={"code": node.code},
                ) from exc
            raise_for_transaction(exc, "create node", tx)

    def all(self, tenant_id: str, day: str | None = None) -> list[Node]:
        """Every node of the tenant. With `day`, each node carries that day's order count: the
        counters share the nodes' partition, so nodes and counters come back from one query
        (sourcing loads its candidates this way)."""
        if day is None:
            records = NodeRecord.query(keys.nodes_pk(tenant_id), NodeRecord.sk.startswith("N#"))
            return [Node.model_validate(r.doc) for r in records]
        raw = raw_partition(NodeRecord, keys.nodes_pk(tenant_id))
        counts: dict[str, int] = {}
        nodes: list[Node] = []
        today = f"CAP#{day}#"
        for item in raw:
            sk = item["sk"]["S"]
            if sk.startswith("N#"):
                nodes.append(Node.model_validate(json.loads(item["doc"]["S"])))
            elif sk.startswith(today):
                counts[sk[len(today) :]] = int(item.get("orders", {}).get("N", "0"))
        return [
            n.model_copy(update={"current_daily_orders": counts.get(n.id, 0), "capacity_date": day})
            for n in nodes
        ]

    def orders_on(self, tenant_id: str, node_id: str, day: str) -> int:
        try:
            record = NodeCapacityRecord.get(
                keys.nodes_pk(tenant_id), keys.node_capacity_sk(day, node_id), consistent_read=True
            )
        except DoesNotExist:
            return 0
        return int(record.orders or 0)

    def delete_counters_before(self, tenant_id: str, day: str) -> int:
        """The daily reset: drop the order counters of days before `day` (today's start at zero
        by key, so this keeps the partition, which sourcing reads whole, small)."""
        stale = NodeCapacityRecord.query(
            keys.nodes_pk(tenant_id),
            NodeCapacityRecord.sk.between("CAP#", f"CAP#{day}"),
        )
        deleted = 0
        with NodeCapacityRecord.batch_write() as batch:
            for record in stale:
                if record.sk < f"CAP#{day}":
                    batch.delete(record)
                    deleted += 1
        return deleted

    def get_with_version(self, tenant_id: str, node_id: str) -> tuple[Node, int] | None:
        try:
            record = NodeRecord.get(keys.nodes_pk(tenant_id), keys.node_sk(node_id), consistent_read=True)
        except DoesNotExist:
            return None
        return Node.model_validate(record.doc), int(record.version or 1)

    def replace(self, node: Node, expected_version: int) -> None:
        try:
            NodeRecord(
                keys.nodes_pk(node.tenant_id),
                keys.node_sk(node.id),
                node_id=node.id,
                version=expected_version + 1,
                doc=node.model_dump(mode="json"),
            ).save(condition=NodeRecord.version == expected_version)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("the node changed meanwhile", code="concurrent_update") from exc
            raise store_error(exc, "node") from exc
