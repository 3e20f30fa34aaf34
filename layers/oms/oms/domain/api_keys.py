"""API keys: machine principals (role INTEGRATION) for warehouse, carrier and ingest callbacks.

A key reads `cok_<id>_<secret>`: `id` is 16 hex digits (the lookup key, so verifying a key is one
GetItem), `secret` is 256 random bits (URL-safe base64). Only the SHA-256 of the whole key is
stored: a key has full entropy, so a fast hash is enough (no salt, no scrypt; a stolen table gives
nothing to brute-force). The key itself is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from pydantic import Field

from oms.domain.models import Strict

PREFIX = "cok"
KEY_RE = re.compile(r"^cok_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$")
KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
MAX_KEY_LENGTH = 64
MAX_KEYS_PER_TENANT = 50  # active keys; revoked ones do not count


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. 'WMS east'")


def new_key() -> tuple[str, str]:
    """(key id, the key)."""
    key_id = secrets.token_hex(8)
    return key_id, f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"


def key_id_of(key: str) -> str | None:
    """The id embedded in a well-formed key; None for anything else (no lookup is made for it)."""
    if len(key) > MAX_KEY_LENGTH:
        return None
    match = KEY_RE.match(key)
    return match.group(1) if match else None


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def matches(key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(key).encode("ascii"), stored_digest.encode("ascii"))


def shown_prefix(key_id: str) -> str:
    """What lists show instead of the key: enough to recognise it, nothing to use."""
    return f"{PREFIX}_{key_id}"
