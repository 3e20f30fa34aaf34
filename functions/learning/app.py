"""The learning loop's scheduled jobs (ADR 0023): label_outcomes (hourly), update_node_performance
(every 4 h), discover_patterns (nightly) and evaluate_experiments (daily), and the analytics
counters' reconcile_analytics (nightly, ADR 0029), the SLA radar's sla_sweep (every minute,
ADR 0031); also run on demand by
`POST /ops/jobs/{name}/run` for one tenant. Each run is logged in the task log."""

from typing import Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from oms.runtime import init

init()

from oms.services import learning_jobs  # noqa: E402

logger = Logger(service="cirrus-learning")


class LearningJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job: Literal[
        "label_outcomes",
        "update_node_performance",
        "discover_patterns",
        "evaluate_experiments",
        "reconcile_analytics",
        "sla_sweep",
    ]
    tenant_id: str | None = Field(default=None, min_length=1, max_length=64)
    days: int | None = Field(default=None, ge=1, le=400)  # reconcile_analytics: a rebuild goes further back


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = LearningJob.model_validate(event or {})
    result = learning_jobs.run(job.job, job.tenant_id, job.days)
    logger.info("learning job done", extra={"job": job.job, "result": result})
    return result
