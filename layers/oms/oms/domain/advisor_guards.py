"""What stands between the sourcing engine and a paid, remote advisor (ADR 0024): a circuit breaker,
a daily token budget per tenant, and a cache of answers. Pure and in-process; time is read on
`oms.domain.clock`, so tests move it instead of sleeping.

- `CircuitBreaker`: opens after `threshold` consecutive failures, refuses every call while open,
  lets exactly one probe through once `cooldown_s` has passed (half-open); the probe's success
  closes it, its failure opens it again for another cool-down.
- `TokenBudget`: how many tokens a tenant may still spend today, and spending them. The in-memory
  one serves tests and the simulation; a shared store (DynamoDB) implements the same protocol.
- `AnswerCache`: answers by key, bounded (least recently used out first) and expiring after
  `ttl_s`; `AdviceCache` holds the advisor's per (tenant, cluster, candidate set, metrics version,
  cache generation). The generation is the tenant's: `POST /admin/cache/clear?cache_type=ai`
  moves it on, so every container's entries stop matching (ADR 0033).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Generic, Literal, Protocol, TypeVar

from oms.domain import clock
from oms.domain.advisor import Advice, AdviceRequest

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Thread-safe. `allow()` before a call (False: do not call), then exactly one of
    `success()` / `failure()` for every call it allowed."""

    def __init__(self, threshold: int = 5, cooldown_s: float = 30.0) -> None:
        if threshold < 1 or cooldown_s < 0:
            raise ValueError("a breaker needs threshold >= 1 and cooldown_s >= 0")
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The state a call arriving now would meet ("half_open" once the cool-down is over)."""
        with self._lock:
            if self._state == "open" and clock.epoch() >= self._opened_at + self.cooldown_s:
                return "half_open"
            return self._state

    @property
    def failures(self) -> int:
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if clock.epoch() < self._opened_at + self.cooldown_s:
                    return False
                self._state = "half_open"
                self._probing = False
            if self._probing:  # half-open: one probe at a time, the others are refused
                return False
            self._probing = True
            return True

    def success(self) -> None:
        with self._lock:
            self._state, self._failures, self._probing = "closed", 0, False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.threshold:
                self._state, self._opened_at, self._probing = "open", clock.epoch(), False


class TokenBudget(Protocol):
    """A tenant's daily token allowance; `day` is the UTC date (YYYY-MM-DD)."""

    def remaining(self, tenant_id: str, day: str) -> int: ...

    def spend(self, tenant_id: str, day: str, tokens: int) -> None: ...


class InMemoryTokenBudget:
    """The same allowance for every tenant (or one per tenant in `limits`), counted in this
    process. Only today's counters are kept: spending on a new day forgets the others."""

    def __init__(self, daily_tokens: int, limits: dict[str, int] | None = None) -> None:
        self.daily_tokens = daily_tokens
        self.limits = dict(limits or {})
        self._spent: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def remaining(self, tenant_id: str, day: str) -> int:
        limit = self.limits.get(tenant_id, self.daily_tokens)
        with self._lock:
            return limit - self._spent.get((tenant_id, day), 0)

    def spend(self, tenant_id: str, day: str, tokens: int) -> None:
        if tokens <= 0:
            return
        with self._lock:
            for key in [k for k in self._spent if k[1] != day]:
                del self._spent[key]
            self._spent[(tenant_id, day)] = self._spent.get((tenant_id, day), 0) + tokens


def today() -> str:
    """The budget's day: the UTC date now."""
    return clock.utcnow().date().isoformat()


CacheKey = tuple[str, str, tuple[str, ...], str, int]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def cache_key(request: AdviceRequest, generation: int = 0) -> CacheKey:
    """(tenant, cluster, sorted candidate node ids, metrics version, the tenant's cache
    generation): the same question, asked again before the statistics behind it change (and
    before the tenant's AI cache is cleared), gets the same answer."""
    nodes: Iterable[str] = (c.node_id for c in request.candidates)
    return (
        request.tenant_id,
        request.order.cluster,
        tuple(sorted(set(nodes))),
        request.metrics_version,
        generation,
    )


class AnswerCache(Generic[K, V]):
    """Bounded, expiring, thread-safe."""

    def __init__(self, max_entries: int = 1000, ttl_s: float = 600.0) -> None:
        if max_entries < 1:
            raise ValueError("a cache holds at least one entry")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: K) -> V | None:
        now = clock.epoch()
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            value, expires = found
            if now >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        expires = clock.epoch() + self.ttl_s
        with self._lock:
            self._entries[key] = (value, expires)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class AdviceCache(AnswerCache[CacheKey, Advice]):
    """The sourcing advisor's answers."""
