"""Domain errors. Each carries a machine-readable code and the HTTP status the API maps it to.

Workers (Step Functions tasks) raise them too; their class names are what the state machine's
Retry/Catch match on, so renaming one is an interface change.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class MalformedRequest(DomainError):
    status, code = 400, "malformed_request"


class ValidationFailed(DomainError):
    status, code = 422, "validation_failed"


class Unauthenticated(DomainError):
    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


def require_version(what: str, current: int, expected: int) -> None:
    """Optimistic concurrency for a change made over what the client read: 409 `version_conflict`
    (with the current version) if `what` moved since, never a silent overwrite."""
    if current != expected:
        raise Conflict(
            f"{what} is at version {current}, not {expected}; read it again",
            code="version_conflict",
            details={"current_version": current},
        )


class IllegalTransition(Conflict):
    code = "illegal_transition"


class RateLimited(DomainError):
    """Too many attempts: the answer carries `Retry-After` (whole seconds)."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, details={"retry_after": self.retry_after}, code=code)


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class IdempotencyKeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class StockConflict(Conflict):
    """Stock moved between planning and reserving; the caller should plan again."""

    code = "stock_conflict"


class EventNotYetApplicable(Conflict):
    """A callback arrived before the one it follows (e.g. PACKING before PICKING is applied);
    the state machine retries it with backoff before giving up."""

    code = "event_not_yet_applicable"


class OrderNotActionable(Conflict):
    """The order is no longer in a state this step applies to (cancelled meanwhile, already done)."""

    code = "order_not_actionable"


class TransientStoreError(DomainError):
    """A retryable storage failure (throttling, a transaction conflict)."""

    status, code = 503, "temporarily_unavailable"


class ServiceUnavailable(DomainError):
    """Something the request needs is not available now (a job function, an AI provider)."""

    status, code = 503, "service_unavailable"


class AiUnavailable(ServiceUnavailable):
    """A feature that needs the Claude API cannot reach it (no key configured, a timeout, an
    error): 503 with a message written for the client (the API keeps it, see PUBLIC_5XX_CODES)."""

    code = "ai_unavailable"
