"""Sending email with Amazon SES (API v2, `SendEmail`), ADR 0036.

The sender is `"<shop's sender name>" <SES_SENDER_ADDRESS>` (the verified identity), Reply-To the
shop's support address; the configuration set publishes bounces, complaints and deliveries to
SNS → EmailFeedbackQueue, and the message tags (tenant, order, log key) tell the feedback
consumer whose email it was. A throttled or unavailable SES is retryable (TransientStoreError);
an address SES refuses outright is not (EmailRejected)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.clock import utcnow
from oms.domain.errors import TransientStoreError

log = logging.getLogger("oms.adapters")
_REJECTED = {
    "MessageRejected",
    "BadRequestException",
    "AccountSuspendedException",
    "MailFromDomainNotVerifiedException",
}


class EmailRejected(Exception):
    """SES will not send this message (an invalid or unverified address): retrying cannot help."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    sender_name: str
    reply_to: str | None
    subject: str
    html: str
    text: str
    tags: dict[str, str]
    unsubscribe_url: str | None = None


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sesv2", region_name=settings().region)


def reset() -> None:
    _client.cache_clear()


def sender_address() -> str:
    return settings().ses_sender_address


def from_header(sender_name: str) -> str:
    """`Name <address>` (quoted where the name needs it; RFC 2047 when it is not ASCII)."""
    name = sender_name.replace('"', "").replace("\r", " ").replace("\n", " ").strip()[:80]
    return formataddr((name, sender_address()))


def _tag(value: str) -> str:
    """SES tag values: letters, digits, `_`, `-`, `.`, `@` only (256 characters)."""
    return "".join(c if c.isalnum() or c in "_-.@" else "_" for c in value)[:256] or "_"


def mime(mail: OutgoingEmail) -> bytes:
    """The message as MIME: text and HTML alternatives, Reply-To, Date (the app's clock) and
    List-Unsubscribe when there is a link. Sent as SESv2 `Raw` content, so what a mailbox (and
    moto, locally) keeps is the whole message, not only one of its parts."""
    message = EmailMessage(policy=SMTP)
    message["From"] = from_header(mail.sender_name)
    message["To"] = mail.to
    message["Subject"] = mail.subject
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Date"] = format_datetime(utcnow())
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message.as_bytes()


def send(mail: OutgoingEmail) -> str:
    """Send one email; its SES message id."""
    request: dict[str, Any] = {
        "FromEmailAddress": from_header(mail.sender_name),
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {"Raw": {"Data": mime(mail)}},
        "EmailTags": [{"Name": _tag(k), "Value": _tag(v)} for k, v in mail.tags.items()],
    }
    if settings().ses_configuration_set:
        request["ConfigurationSetName"] = settings().ses_configuration_set
    try:
        response = _client().send_email(**request)
    except ClientError as exc:
        code = (exc.response.get("Error") or {}).get("Code", "")
        log.warning("SES refused an email (%s): %s", code, exc)
        if code in _REJECTED:
            raise EmailRejected(code) from exc
        raise TransientStoreError(f"email service unavailable ({code}); retry") from exc
    except BotoCoreError as exc:
        log.warning("SES unreachable: %s", exc)
        raise TransientStoreError("email service unreachable; retry") from exc
    return str(response["MessageId"])
