"""Per-status workflow actions from ActionsQueue (ADR 0035): `{"tenant_id", "order_id", "seq",
"status_code", "action_id", "type", "config"}`, one per action of a status an order entered (the
outbox publisher sends them). Each takes effect once (`oms.services.actions`). Partial batch
responses: only a failed message is retried (backoff: the queue's visibility timeout), and after
maxReceiveCount it goes to the dead-letter queue."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

from oms.adapters.sqs_batch import partial_batch
from oms.runtime import init

init()

from oms.domain.workflow_actions import ActionMessage  # noqa: E402
from oms.services import actions  # noqa: E402

logger = Logger(service="cirrus-actions")


def _record_handler(record: SqsRecordModel) -> str:
    return actions.handle(ActionMessage.model_validate_json(str(record.body)))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch(event, context, _record_handler)
