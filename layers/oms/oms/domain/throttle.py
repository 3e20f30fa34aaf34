"""How failed logins are throttled (pure policy; the counters live in the Directory table).

* Per account (the email, known or not, so an unknown address behaves exactly like a real one):
  the 5th failure within a 15-minute window locks the account for 15 minutes; each further
  lock within a day of the last one doubles (15, 30, 60, 120 min, then 4 h at most). While locked,
  every attempt is refused with 429 and `Retry-After`, the right password too, and is not counted.
* Per source address (API Gateway's `requestContext.identity.sourceIp`, never X-Forwarded-For;
  an IPv6 address counts as its /64): 20 failures within a 15-minute window refuse further
  attempts from it until the window ends.
* Every attempt first takes a slot in both counters with a conditional ADD (failures < limit), so
  parallel guesses cannot all slip past a check made before any of them failed; a successful
  login gives back only the slot it took. Nothing is ever reset: an attacker cannot clear the
  address counter by logging in with an account of their own.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math

WINDOW_SECONDS = 15 * 60
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
FIRST_LOCK_SECONDS = 15 * 60
MAX_LOCK_SECONDS = 4 * 60 * 60
STRIKES_REMEMBERED_SECONDS = 24 * 60 * 60


def window(now: float) -> int:
    """The number of the fixed window `now` falls in."""
    return int(now // WINDOW_SECONDS)


def window_end(number: int) -> int:
    return (number + 1) * WINDOW_SECONDS


def lock_seconds(strikes: int) -> int:
    """How long the `strikes`-th lock (1-based) lasts."""
    return int(min(FIRST_LOCK_SECONDS * 2 ** max(strikes - 1, 0), MAX_LOCK_SECONDS))


def account_ref(email: str) -> str:
    """The account's throttle key: a hash, so the table holds no addresses of unknown people."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def address_ref(source_ip: str | None) -> str:
    """The source address's throttle key (an IPv6 address by its /64, which one host controls)."""
    text = (source_ip or "").strip()
    try:
        address = ipaddress.ip_address(text)
        if address.version == 6:
            text = str(ipaddress.ip_network(f"{address}/64", strict=False))
        else:
            text = str(address)
    except ValueError:
        text = "unknown"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def wait_seconds(until: float, now: float) -> int:
    """Whole seconds from `now` to `until` (at least 1): what Retry-After says."""
    return max(1, math.ceil(until - now))
