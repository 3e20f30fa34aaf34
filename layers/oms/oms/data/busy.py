"""DynamoDB that is still busy after the SDK's retries is a transient condition, not a crash.

botocore (and pynamodb on top of it) retries a throttled or failed call a few times with backoff;
when DynamoDB keeps refusing (``ProvisionedThroughputExceededException``, ``ThrottlingException``,
a 5xx, a dropped connection), pynamodb raises ``GetError``, ``QueryError``... Left as they are,
those reach the fulfilment state machine as unknown errors, which it does not retry: a read that
was throttled four times in a row failed a customer's order for good (found by ``make chaos``).
As :class:`TransientStoreError` they are retried by the state machine and answered 503 by the API.
Writes that map their own errors (conditions, transactions) are unaffected: they raise domain
errors before this sees them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import PynamoDBException

from oms.domain.errors import TransientStoreError

BUSY_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


def is_busy(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in BUSY_CODES or isinstance(exc.cause, BotoCoreError)


def _translated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except PynamoDBException as exc:
            if is_busy(exc):
                raise TransientStoreError(
                    f"storage busy, retry ({exc.cause_response_code or 'no answer'})"
                ) from exc
            raise

    return call


def transient_when_busy(*classes: type) -> None:
    """Make every public method of these repositories raise TransientStoreError when DynamoDB
    stays busy (generators are left alone: their errors surface while iterating)."""
    for cls in classes:
        for name, member in list(vars(cls).items()):
            if name.startswith("_") or not inspect.isfunction(member) or inspect.isgeneratorfunction(member):
                continue
            setattr(cls, name, _translated(member))
