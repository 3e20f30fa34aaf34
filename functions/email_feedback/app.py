"""SES feedback from EmailFeedbackQueue (ADR 0036): the configuration set's bounce, complaint,
delivery and reject events, through SNS. Each is recorded for its tenant, the order's email log
updated, and a hard-bounced or complaining address suppressed (`oms.services.emails.
record_feedback`). Partial batch responses: only a failed message is retried, then dead-lettered."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel

from oms.adapters.sqs_batch import partial_batch
from oms.runtime import init

init()

from oms.services import emails  # noqa: E402

logger = Logger(service="cirrus-email-feedback")


def _record_handler(record: SqsRecordModel) -> str:
    body = json.loads(str(record.body))
    if not isinstance(body, dict):
        return "ignored"
    return emails.record_feedback(body)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return partial_batch(event, context, _record_handler)
