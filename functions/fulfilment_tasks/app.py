"""Task steps of the fulfilment state machine. The input names the task; errors propagate so
the state machine's Retry/Catch act on their class names (StockConflict, OrderNotActionable...)."""

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from oms.runtime import init

init()

from oms.config import settings  # noqa: E402
from oms.services import fulfilment  # noqa: E402

logger = Logger(service="cirrus-fulfilment")


class TaskInput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    task: str
    tenant_id: str
    order_id: str
    plan: dict[str, Any] | None = None
    event: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    task = TaskInput.model_validate(event)
    logger.append_keys(task=task.task, order_id=task.order_id, tenant_id=task.tenant_id)
    if task.task == "confirm":
        return fulfilment.confirm(task.tenant_id, task.order_id)
    if task.task == "source":
        return fulfilment.source(task.tenant_id, task.order_id)
    if task.task == "reserve":
        return fulfilment.reserve(
            task.tenant_id, task.order_id, task.plan or {}, settings().reservation_ttl_minutes
        )
    if task.task == "apply_event":
        return fulfilment.apply_event(task.tenant_id, task.order_id, task.event or {})
    if task.task == "reject_event":
        return fulfilment.reject_event(task.tenant_id, task.order_id, task.event or {}, task.error or {})
    if task.task == "fail":
        return fulfilment.fail(task.tenant_id, task.order_id, task.error or {})
    raise ValueError(f"unknown task {task.task!r}")
