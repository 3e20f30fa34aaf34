"""Records of branding and customer email (issue 12, ADR 0036); the tuples in records.py list them.

- EmailConfigRecord, in the directory table (a tenant's settings, like its users and keys):
  pk=T#<tenant>#BRANDING sk=BRANDING (the branding), pk=T#<tenant>#EMAILTPL sk=<template name>
  (a template override), pk=T#<tenant>#EMAILPREFS sk=<address> (a customer's opt-out) and
  pk=T#<tenant>#SUPPRESS sk=<address> (an address that bounced hard or complained).
- EmailLogRecord, in the integrations table (outbound deliveries, like webhooks'):
  pk=T#<tenant>#EMAILS#<order id> sk=M#<dedup digest>: one email of an order; the conditional
  put of it is the claim that makes a redelivered action send once. Kept a year (table TTL).
Feedback events (bounces, complaints, deliveries) go to the existing LogRecord
(pk=T#<tenant>#EMAILFEEDBACK)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class EmailConfigRecord(Model):
    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = JSONAttribute(null=True)
    version = NumberAttribute(null=True)


class EmailLogRecord(Model):
    class Meta:
        table_name = "cirrus-integrations"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    claim = UnicodeAttribute(null=True)  # who holds a SENDING claim (a random token)
    claimed_at = NumberAttribute(null=True)  # epoch seconds of that claim
    doc = JSONAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
