"""Secrets at rest (webhook signing secrets, connector credentials): envelope encryption under a
KMS key, bound to the tenant (ADR 0018).

Sealing asks KMS for a fresh 256-bit data key (GenerateDataKey, encryption context
{"tenant_id": <tenant>}), encrypts each value with AES-256-GCM under it (random 96-bit nonce, the
tenant as associated data) and stores the data key only as KMS wrapped it. A sealed value is one
string: `kms1:<wrapped key>.<nonce>.<ciphertext+tag>` (URL-safe base64). Opening asks KMS to unwrap
the data key with the same context: a value copied into another tenant's record does not open.
Unwrapped data keys are kept in memory for a few minutes (bounded), so a hot record costs one KMS
call per container, not one per read.

A value without the prefix was stored before encryption at rest: it opens as itself, and the next
write of its record seals it (`seal_fields`).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from oms.config import settings
from oms.domain.errors import TransientStoreError

PREFIX = "kms1:"
_NONCE_BYTES = 12
_KEY_CACHE_SECONDS = 300.0
_KEY_CACHE_SIZE = 256
_REFUSED = {"InvalidCiphertextException", "IncorrectKeyException", "AccessDeniedException"}


class SecretUnreadable(Exception):
    """A sealed value that does not open: another tenant's, tampered with, or its key refused."""


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("kms", region_name=settings().region)


_lock = threading.Lock()
_keys: OrderedDict[tuple[str, bytes], tuple[bytes, float]] = OrderedDict()


def reset() -> None:
    _client.cache_clear()
    with _lock:
        _keys.clear()


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _context(tenant_id: str) -> dict[str, str]:
    return {"tenant_id": tenant_id}


def _aad(tenant_id: str) -> bytes:
    return f"cirrus-secret|{tenant_id}".encode()


def _key_id() -> str:
    key_id = settings().secrets_key_id
    if not key_id:
        raise RuntimeError("SECRETS_KEY_ID is not set: the template gives every function that needs it")
    return key_id


def _remember(tenant_id: str, wrapped: bytes, key: bytes) -> None:
    with _lock:
        _keys[(tenant_id, wrapped)] = (key, time.monotonic() + _KEY_CACHE_SECONDS)
        _keys.move_to_end((tenant_id, wrapped))
        while len(_keys) > _KEY_CACHE_SIZE:
            _keys.popitem(last=False)


def _recall(tenant_id: str, wrapped: bytes) -> bytes | None:
    with _lock:
        found = _keys.get((tenant_id, wrapped))
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]


def _kms_error(exc: Exception, what: str) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
    if code in _REFUSED:
        return SecretUnreadable(f"KMS refused to {what} ({code})")
    return TransientStoreError(f"could not {what} with KMS: {code or type(exc).__name__}")


def _new_data_key(tenant_id: str) -> tuple[bytes, bytes]:
    try:
        answer = _client().generate_data_key(
            KeyId=_key_id(), KeySpec="AES_256", EncryptionContext=_context(tenant_id)
        )
    except (ClientError, BotoCoreError) as exc:
        raise _kms_error(exc, "make a data key") from exc
    return bytes(answer["Plaintext"]), bytes(answer["CiphertextBlob"])


def _data_key(tenant_id: str, wrapped: bytes) -> bytes:
    key = _recall(tenant_id, wrapped)
    if key is not None:
        return key
    try:
        # the wrapped key names its KMS key; IAM lets these functions use only SecretsKey
        answer = _client().decrypt(CiphertextBlob=wrapped, EncryptionContext=_context(tenant_id))
    except (ClientError, BotoCoreError) as exc:
        raise _kms_error(exc, "unwrap a data key") from exc
    key = bytes(answer["Plaintext"])
    _remember(tenant_id, wrapped, key)
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_many(tenant_id: str, values: Mapping[str, str]) -> dict[str, str]:
    """Seal every value under one new data key (one KMS call however many values)."""
    if not values:
        return {}
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # off the cold start

    key, wrapped = _new_data_key(tenant_id)
    aes = AESGCM(key)
    sealed = {}
    for name, value in values.items():
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = aes.encrypt(nonce, value.encode("utf-8"), _aad(tenant_id))
        sealed[name] = PREFIX + ".".join(_b64(part) for part in (wrapped, nonce, ciphertext))
    _remember(tenant_id, wrapped, key)
    return sealed


def seal(tenant_id: str, value: str) -> str:
    return seal_many(tenant_id, {"value": value})["value"]


def open_secret(tenant_id: str, value: str) -> str:
    """The plaintext of a sealed value (a value stored before sealing is returned as it is)."""
    if not is_sealed(value):
        return value
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        wrapped, nonce, ciphertext = (_unb64(part) for part in value[len(PREFIX) :].split("."))
    except ValueError as exc:
        raise SecretUnreadable("a sealed value is malformed") from exc
    key = _data_key(tenant_id, wrapped)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _aad(tenant_id)).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise SecretUnreadable("a sealed value does not open for this tenant") from exc


def seal_fields(tenant_id: str, values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """A copy of `values` whose `fields` hold no plaintext: plaintext ones are sealed (together,
    one KMS call); sealed, empty and absent ones are left as they are. No KMS call when there is
    nothing to seal."""
    plain = {
        f: values[f]
        for f in fields
        if isinstance(values.get(f), str) and values[f] and not is_sealed(values[f])
    }
    return {**values, **seal_many(tenant_id, plain)}
