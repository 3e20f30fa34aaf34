"""Branding, template overrides, preferences, suppressions and the email log (records_email.py)."""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from oms.data.base import decode_cursor, encode_cursor, log_expiry, store_error
from oms.data.records import LogRecord
from oms.data.records_email import EmailConfigRecord, EmailLogRecord
from oms.domain.clock import epoch

BRANDING_SK = "BRANDING"
LOG_DAYS = 365
FEEDBACK_DAYS = 90


def branding_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#BRANDING"


def templates_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#EMAILTPL"


def prefs_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#EMAILPREFS"


def suppress_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SUPPRESS"


def log_pk(tenant_id: str, order_id: str) -> str:
    return f"T#{tenant_id}#EMAILS#{order_id}"


def feedback_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#EMAILFEEDBACK"


def _is_condition(exc: PutError | UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class EmailRepository:
    # ------------------------------------------------------------ settings documents
    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            return dict(EmailConfigRecord.get(pk, sk, consistent_read=True).doc or {})
        except DoesNotExist:
            return None

    def _put(self, pk: str, sk: str, doc: dict[str, Any], what: str) -> None:
        try:
            EmailConfigRecord(pk, sk, doc=doc).save()
        except PutError as exc:
            raise store_error(exc, what) from exc

    def get_branding(self, tenant_id: str) -> dict[str, Any] | None:
        return self._get(branding_pk(tenant_id), BRANDING_SK)

    def put_branding(self, tenant_id: str, doc: dict[str, Any]) -> None:
        self._put(branding_pk(tenant_id), BRANDING_SK, doc, "branding")

    def put_branding_if_absent(self, tenant_id: str, doc: dict[str, Any]) -> bool:
        try:
            EmailConfigRecord(branding_pk(tenant_id), BRANDING_SK, doc=doc).save(
                condition=EmailConfigRecord.pk.does_not_exist()
            )
            return True
        except PutError as exc:
            if _is_condition(exc):
                return False
            raise store_error(exc, "branding") from exc

    def get_template(self, tenant_id: str, name: str) -> dict[str, Any] | None:
        return self._get(templates_pk(tenant_id), name)

    def put_template(self, tenant_id: str, name: str, doc: dict[str, Any]) -> None:
        self._put(templates_pk(tenant_id), name, doc, "template")

    def delete_template(self, tenant_id: str, name: str) -> bool:
        try:
            EmailConfigRecord(templates_pk(tenant_id), name).delete(condition=EmailConfigRecord.pk.exists())
            return True
        except DeleteError as exc:
            if _is_condition(exc):
                return False
            raise store_error(exc, "template") from exc

    def overridden_templates(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        return {r.sk: dict(r.doc or {}) for r in EmailConfigRecord.query(templates_pk(tenant_id))}

    def get_preferences(self, tenant_id: str, email: str) -> dict[str, Any] | None:
        return self._get(prefs_pk(tenant_id), email)

    def put_preferences(self, tenant_id: str, email: str, doc: dict[str, Any]) -> None:
        self._put(prefs_pk(tenant_id), email, doc, "preferences")

    # ------------------------------------------------------------ suppressions
    def get_suppression(self, tenant_id: str, email: str) -> dict[str, Any] | None:
        return self._get(suppress_pk(tenant_id), email)

    def put_suppression(self, tenant_id: str, email: str, doc: dict[str, Any]) -> None:
        self._put(suppress_pk(tenant_id), email, doc, "suppression")

    def delete_suppression(self, tenant_id: str, email: str) -> bool:
        try:
            EmailConfigRecord(suppress_pk(tenant_id), email).delete(condition=EmailConfigRecord.pk.exists())
            return True
        except DeleteError as exc:
            if _is_condition(exc):
                return False
            raise store_error(exc, "suppression") from exc

    def page_suppressions(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        pk = suppress_pk(tenant_id)
        result = EmailConfigRecord.query(
            pk, limit=limit, page_size=limit, last_evaluated_key=decode_cursor(cursor, pk, "pk")
        )
        items = [{"email": r.sk, **dict(r.doc or {})} for r in result]
        return items, encode_cursor(result.last_evaluated_key)

    # ------------------------------------------------------------ the email log (and its claims)
    def claim(
        self, tenant_id: str, order_id: str, digest: str, doc: dict[str, Any], lease_seconds: float
    ) -> str | None:
        """Claim one email for sending: a new entry (state SENDING), or a SENDING entry whose
        claim is older than the lease (its sender died). The claim token, or None when the entry
        is settled already or another sender holds a live claim (see `entry`)."""
        token = uuid.uuid4().hex
        now = epoch()
        record = EmailLogRecord(
            log_pk(tenant_id, order_id),
            f"M#{digest}",
            state="SENDING",
            claim=token,
            claimed_at=now,
            doc=doc,
            expires_at_epoch=log_expiry(LOG_DAYS),
        )
        condition = EmailLogRecord.pk.does_not_exist() | (
            (EmailLogRecord.state == "SENDING") & (EmailLogRecord.claimed_at < now - lease_seconds)
        )
        try:
            record.save(condition=condition)
            return token
        except PutError as exc:
            if _is_condition(exc):
                return None
            raise store_error(exc, "email log") from exc

    def entry(self, tenant_id: str, order_id: str, digest: str) -> EmailLogRecord | None:
        try:
            return EmailLogRecord.get(log_pk(tenant_id, order_id), f"M#{digest}", consistent_read=True)
        except DoesNotExist:
            return None

    def settle(
        self, tenant_id: str, order_id: str, digest: str, token: str, state: str, doc: dict[str, Any]
    ) -> None:
        """The claimed entry's outcome (SENT, SUPPRESSED, OPTED_OUT, FAILED), under its claim."""
        record = EmailLogRecord(log_pk(tenant_id, order_id), f"M#{digest}")
        try:
            record.update(
                actions=[
                    EmailLogRecord.state.set(state),
                    EmailLogRecord.doc.set(doc),
                    EmailLogRecord.claim.remove(),
                ],
                condition=EmailLogRecord.claim == token,
            )
        except UpdateError as exc:
            if not _is_condition(exc):
                raise store_error(exc, "email log") from exc

    def release(self, tenant_id: str, order_id: str, digest: str, token: str) -> None:
        """Give a claim back (the send failed and will be retried)."""
        try:
            EmailLogRecord(log_pk(tenant_id, order_id), f"M#{digest}").delete(
                condition=EmailLogRecord.claim == token
            )
        except DeleteError as exc:
            if not _is_condition(exc):
                raise store_error(exc, "email log") from exc

    def mark(self, tenant_id: str, order_id: str, digest: str, state: str, event: dict[str, Any]) -> bool:
        """Feedback on a sent email (DELIVERED, BOUNCED, COMPLAINED): its state and the event
        appended to its `feedback`; only an entry that exists."""
        record = EmailLogRecord(log_pk(tenant_id, order_id), f"M#{digest}")
        try:
            current = EmailLogRecord.get(record.pk, record.sk, consistent_read=True)
        except DoesNotExist:
            return False
        doc = dict(current.doc or {})
        doc["feedback"] = [*(doc.get("feedback") or []), event][-10:]
        doc["status"] = state
        try:
            record.update(
                actions=[EmailLogRecord.state.set(state), EmailLogRecord.doc.set(doc)],
                condition=EmailLogRecord.pk.exists(),
            )
        except UpdateError as exc:
            if _is_condition(exc):
                return False
            raise store_error(exc, "email log") from exc
        return True

    def order_log(self, tenant_id: str, order_id: str) -> list[dict[str, Any]]:
        entries = [
            {**dict(r.doc or {}), "status": r.state if r.state != "SENDING" else "SENDING"}
            for r in EmailLogRecord.query(log_pk(tenant_id, order_id))
        ]
        return sorted(entries, key=lambda e: str(e.get("at") or ""))

    # ------------------------------------------------------------ feedback events
    def append_feedback(self, tenant_id: str, key: str, doc: dict[str, Any]) -> None:
        """One feedback event, under a key made from the event itself (a redelivery rewrites it)."""
        LogRecord(feedback_pk(tenant_id), key, doc=doc, expires_at_epoch=log_expiry(FEEDBACK_DAYS)).save()
