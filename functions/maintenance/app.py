"""Scheduled maintenance: reservation expiry + reconciliation, and recovery of lost intakes."""

from typing import Any

from aws_lambda_powertools import Logger

from oms.runtime import init

init()

from oms.config import settings  # noqa: E402
from oms.services import maintenance  # noqa: E402

logger = Logger(service="cirrus-maintenance")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = (event or {}).get("job")
    cfg = settings()
    if job == "reservations":
        result: dict[str, Any] = maintenance.sweep_stock(cfg.reservation_ttl_minutes)
    elif job == "recover_orders":
        result = maintenance.recover_orders(cfg.stuck_order_minutes)
    else:
        raise ValueError(f"unknown job {job!r}")
    logger.info("maintenance done", extra={"job": job, "result": result})
    return result
