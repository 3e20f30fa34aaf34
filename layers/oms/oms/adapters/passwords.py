"""Password hashing with scrypt (stdlib): memory-hard, salted, parameters stored with the hash."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p), dklen=32
        )
        return hmac.compare_digest(digest, base64.b64decode(digest_b64))
    except (ValueError, TypeError):
        return False


@functools.cache
def dummy_hash() -> str:
    """Compared against when the email is unknown, so a login miss costs the same time as a bad
    password. Made on first use: one scrypt (about 40 ms) off every function's cold start."""
    return hash_password("not-a-real-password")
