"""Operations: dead-letter queues (depth, oldest, samples, replay) for the platform owner, and
learning jobs run on demand for a tenant."""

from __future__ import annotations

import json
from typing import Any

from oms.adapters import jobs, queues
from oms.config import settings
from oms.domain.errors import NotFound, ServiceUnavailable
from oms.domain.models import Principal
from oms.services import learning, tasklog

SAMPLE = 5


def _queues() -> dict[str, tuple[str, str]]:
    """name -> (dead-letter queue URL, source queue URL), from DEAD_LETTER_QUEUES."""
    return dict(settings().dead_letter_queues)


def list_dlqs() -> list[dict[str, Any]]:
    out = []
    for name, (dlq_url, source_url) in sorted(_queues().items()):
        samples = queues.peek(dlq_url, SAMPLE)
        sent = [int(m.get("Attributes", {}).get("SentTimestamp", 0)) for m in samples]
        out.append(
            {
                "queue": name,
                "source_queue": source_url.rsplit("/", 1)[-1],
                "depth": queues.depth(dlq_url),
                "oldest_sample_sent_at_ms": min(sent) if sent else None,
                "samples": [
                    {
                        "message_id": m["MessageId"],
                        "receive_count": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                        "body_excerpt": _excerpt(m.get("Body", "")),
                    }
                    for m in samples
                ],
            }
        )
    return out


def _excerpt(body: str) -> str:
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict) and "body" in parsed:  # a queued webhook: not the payload itself
            parsed = {k: v for k, v in parsed.items() if k != "body"}
        return json.dumps(parsed)[:300]
    except ValueError:
        return body[:300]


def replay(name: str, limit: int) -> dict[str, Any]:
    """Move a dead-letter queue's messages back to the queue they came from (after a fix)."""
    found = _queues().get(name)
    if found is None:
        raise NotFound(
            f"no dead-letter queue {name!r}; known: {', '.join(sorted(_queues()))}", code="dlq_not_found"
        )
    dlq_url, source_url = found
    with tasklog.task("ops.dlq_replay", None, name) as run:
        before = queues.depth(dlq_url)
        moved = queues.move(dlq_url, source_url, limit)
        run.details = {"moved": moved}
    return {"queue": name, "moved": moved, "depth_before": before, "depth_after": queues.depth(dlq_url)}


def run_job(principal: Principal, job: str) -> dict[str, Any]:
    """Run a learning job now for the caller's tenant (the label job drains the shared queue of
    finished deliveries, so every tenant's are labelled; the figures are the caller's)."""
    if job not in learning.JOBS:
        raise NotFound(f"no job {job!r}; jobs: {', '.join(learning.JOBS)}", code="job_not_found")
    try:
        result = jobs.run_learning_job(job, principal.tenant_id)
    except jobs.JobFailed as exc:
        raise ServiceUnavailable(str(exc), code="job_failed") from exc
    return {"job": job, "tenant_id": principal.tenant_id, "result": result}
