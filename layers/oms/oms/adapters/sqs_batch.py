"""One SQS batch for a Lambda consumer, with partial batch responses (Powertools): each record goes
to `record_handler`; a record that raises is reported failed (with its traceback in the log) and
only it is retried, then dead-lettered after the queue's maxReceiveCount.

A processor per call: it holds the batch's records and outcomes, and the local cloud runs a few
invocations of one function at once in one process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel


def partial_batch(
    event: dict[str, Any], context: Any, record_handler: Callable[[SqsRecordModel], str]
) -> dict[str, Any]:
    processor = BatchProcessor(
        event_type=EventType.SQS,
        model=SqsRecordModel,
        raise_on_entire_batch_failure=False,
        logger=logging.getLogger("cirrus.batch"),  # a failed record, with its traceback
    )
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
