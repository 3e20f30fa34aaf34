"""pynamodb records of the DirectoryTable: tenants, users and their pointers and one-time tokens
(ADR 0034), API keys, login throttles and the tenants' workflow versions (ADR 0035). Bound to the
table with the rest in `oms.data.records.bind_tables`; the AI budget and cache records, which
share the table, stay in records.py."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model


# ---------------------------------------------------------------- DirectoryTable
class TenantRecord(Model):
    """pk=TENANTS, sk=<tenant id>: one query lists tenants for platform-wide jobs. `admins` counts
    the tenant's active SUPERADMINs (changed in the transaction that changes a user: ADR 0034)."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    slug = UnicodeAttribute(null=True)
    admin_email = UnicodeAttribute(null=True)
    admins = NumberAttribute(null=True)


class UsersByTenant(GlobalSecondaryIndex[Any]):
    """A tenant's users by email (gsi1pk=T#<tenant>#USERS), without their password hashes."""

    class Meta:
        index_name = "users_by_tenant"
        projection = IncludeProjection(
            ["user_id", "tenant_id", "email", "name", "role", "active", "created_at", "invited"]
        )

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class PointerRecord(Model):
    """A unique name pointing at its owner, written with it: pk=SLUG#<slug> (a tenant's slug, so
    slugs are unique by conditional write) and pk=USERID#<id> (a user id to the email that keys
    the user), sk=PTR."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    target = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)


class OneTimeTokenRecord(Model):
    """pk=OTT#<sha256 of the token>, sk=OTT: an invitation or password reset, used once
    (`used_at`), removed by the table's TTL after it expires."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)
    used_at = UnicodeAttribute(null=True)


class UserRecord(Model):
    """pk=USER#<email>, sk=USER: emails are unique across the platform (login is by email)."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    active = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    # bumped on every change of role or state: tokens carry it (`ver`) and die when it moves on
    token_version = NumberAttribute(null=True)
    invited = UnicodeAttribute(null=True)  # "true" until the invitation sets a password
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    by_tenant = UsersByTenant()


class ApiKeyRecord(Model):
    """An API key, twice: the lookup item (pk=APIKEY#<id>, sk=APIKEY, with the digest) and the
    tenant's list entry (pk=T#<tenant>#APIKEYS, sk=K#<id>, without it), written together. A revoked
    key is kept 90 days for the record (table TTL)."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    key_id = UnicodeAttribute(null=True)
    tenant_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    digest = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)
    last4 = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class ThrottleRecord(Model):
    """A login throttle counter (pk=THROTTLE#acct#<hash> or THROTTLE#ip#<hash>): sk=W#<window>
    counts failures in one 15-minute window, sk=LOCK holds an account's lock. Every item expires
    (table TTL on expires_at_epoch; readers also ignore an item past it, as TTL deletes late)."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    failures = NumberAttribute(null=True)
    strikes = NumberAttribute(null=True)
    locked_until = NumberAttribute(null=True)
    expires_at_epoch = NumberAttribute(null=True)


class WorkflowRecord(Model):
    """pk=T#<tenant>#WORKFLOW, sk=V#<version, 10 digits>: one immutable version of the tenant's
    workflow (ADR 0035), put once (conditional); the highest version is the current one."""

    class Meta:
        table_name = "cirrus-directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    version = NumberAttribute()
    doc = JSONAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
