"""The learning loop's storage (ADR 0023): outcome records beside their order, labelled outcomes
by day, and the model (patterns and node metrics) the advisor is shown."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from typing import Any

from pynamodb.exceptions import PutError

from oms.data import keys
from oms.data.base import store_error
from oms.data.codec import pack, unpack
from oms.data.records import LearningRecord
from oms.domain.learning.stats import LabelledOutcome

OUTCOME_PREFIX = "OUTCOME#"
MODEL_SK = "MODEL"
LABEL_DAYS_KEPT = 90


def learn_pk(tenant_id: str, day: str | None = None) -> str:
    return f"T#{tenant_id}#LEARN" + (f"#{day}" if day else "")


class LearningRepository:
    # ------------------------------------------------------------------ outcomes (predictions)
    def put_outcomes(self, tenant_id: str, order_id: str, outcomes: Sequence[dict[str, Any]]) -> None:
        """One item per node the decision used; a re-sourced order's outcomes replace its old ones
        node by node (the same key), so a retried step writes the same items again."""
        pk = keys.order_pk(tenant_id, order_id)
        try:
            with LearningRecord.batch_write() as batch:
                for outcome in outcomes:
                    batch.save(
                        LearningRecord(pk, f"{OUTCOME_PREFIX}{outcome['node_id']}", packed=pack(outcome))
                    )
        except PutError as exc:
            raise store_error(exc, "sourcing outcome") from exc

    def outcomes_of(self, tenant_id: str, order_id: str) -> list[dict[str, Any]]:
        records = LearningRecord.query(
            keys.order_pk(tenant_id, order_id), LearningRecord.sk.startswith(OUTCOME_PREFIX)
        )
        return [unpack(r.packed) for r in records if r.packed]

    # ------------------------------------------------------------------ labelled outcomes
    def put_labelled(self, tenant_id: str, labelled: Iterable[LabelledOutcome], expires: int) -> int:
        """Store labelled outcomes under the day they were sourced: the key is the outcome's own,
        so labelling an order again (a job run twice, a message delivered twice, a late return)
        overwrites its label instead of counting it twice."""
        count = 0
        try:
            with LearningRecord.batch_write() as batch:
                for o in labelled:
                    batch.save(
                        LearningRecord(
                            learn_pk(tenant_id, o.sourced_at[:10]),
                            f"{o.order_id}#{o.node_id}",
                            packed=pack(asdict(o)),
                            expires_at_epoch=expires,
                        )
                    )
                    count += 1
        except PutError as exc:
            raise store_error(exc, "labelled outcome") from exc
        return count

    def labelled_on(self, tenant_id: str, days: Iterable[str]) -> Iterator[LabelledOutcome]:
        """The labelled outcomes of orders sourced on some days (one query each, paged)."""
        for day in days:
            for record in LearningRecord.query(learn_pk(tenant_id, day)):
                yield LabelledOutcome(**unpack(record.packed))

    # ------------------------------------------------------------------ the model
    def save_model_part(self, tenant_id: str, part: str, doc: dict[str, Any]) -> None:
        """One part of what the advisor is shown ("metrics": node performance, written by
        update_node_performance; "patterns": written by discover_patterns). Separate items, so
        the two jobs never overwrite each other."""
        try:
            LearningRecord(learn_pk(tenant_id), f"{MODEL_SK}#{part}", packed=pack(doc)).save()
        except PutError as exc:
            raise store_error(exc, "learning model") from exc

    def model(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        """Every part of the tenant's model (one query), by part name; {} before the first run."""
        records = LearningRecord.query(learn_pk(tenant_id), LearningRecord.sk.startswith(f"{MODEL_SK}#"))
        return {r.sk.split("#", 1)[1]: unpack(r.packed) if r.packed else {} for r in records}
