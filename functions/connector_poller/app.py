"""Scheduled: poll every active Amazon connector for new and changed orders."""

from typing import Any

from aws_lambda_powertools import Logger

from oms.runtime import init

init()

from oms.services import amazon_poller, tasklog  # noqa: E402

logger = Logger(service="cirrus-connectors")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with tasklog.task("job.poll_amazon", None) as run:
        result = amazon_poller.poll_all()
        run.details = result
    logger.info("amazon poll done", extra={"result": result})
    return result
