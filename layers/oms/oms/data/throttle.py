"""Login throttle counters in the Directory table (policy: oms.domain.throttle).

Reading the state before a login is one BatchGetItem (the account's lock and the address's counter
of this window); a failure is one UpdateItem per counter (ADD, so concurrent failures all count),
plus a conditional UpdateItem on the lock when the account reaches its limit. Every item carries
`expires_at_epoch` for the table's TTL, and readers ignore items past it (TTL deletes late).
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from oms.data import keys
from oms.data.records import ThrottleRecord
from oms.domain import throttle
from oms.domain.errors import TransientStoreError

# a window's counter outlives its window a little (a read at the boundary still finds it)
_COUNTER_KEPT_SECONDS = 3600


def _live(record: ThrottleRecord, now: float) -> bool:
    return record.expires_at_epoch is None or record.expires_at_epoch > now


class LoginThrottleRepository:
    def counters(self, account: str, address: str, now: float) -> throttle.Counters:
        lock_key = (keys.throttle_account_pk(account), keys.THROTTLE_LOCK_SK)
        address_key = (keys.throttle_address_pk(address), keys.throttle_window_sk(throttle.window(now)))
        found = {(r.pk, r.sk): r for r in ThrottleRecord.batch_get([lock_key, address_key]) if _live(r, now)}
        lock, counter = found.get(lock_key), found.get(address_key)
        return throttle.Counters(
            locked_until=float(lock.locked_until or 0) if lock else 0.0,
            strikes=int(lock.strikes or 0) if lock else 0,
            address_failures=int(counter.failures or 0) if counter else 0,
        )

    def add_failure(self, account: str, address: str, now: float) -> int:
        """Count one failure for the account and the address; returns the account's failures in
        this window (after this one)."""
        number = throttle.window(now)
        expires = throttle.window_end(number) + _COUNTER_KEPT_SECONDS
        account_failures = self._add(keys.throttle_account_pk(account), number, expires)
        self._add(keys.throttle_address_pk(address), number, expires)
        return account_failures

    def _add(self, pk: str, number: int, expires: int) -> int:
        record = ThrottleRecord(pk, keys.throttle_window_sk(number))
        try:
            record.update(
                actions=[ThrottleRecord.failures.add(1), ThrottleRecord.expires_at_epoch.set(expires)]
            )
        except UpdateError as exc:
            raise TransientStoreError("login counters are busy; retry") from exc
        return int(record.failures or 0)

    def lock(self, account: str, seen_strikes: int, now: float) -> None:
        """Lock the account for its next strike. Conditioned on the strikes read before, so two
        failures racing to lock it add one strike, not two."""
        strikes = seen_strikes + 1
        until = int(now) + throttle.lock_seconds(strikes)
        record = ThrottleRecord(keys.throttle_account_pk(account), keys.THROTTLE_LOCK_SK)
        unchanged = ThrottleRecord.strikes.does_not_exist() | (ThrottleRecord.strikes == seen_strikes)
        if seen_strikes == 0:
            # a lock item past its TTL may still be there: its strikes are forgotten
            unchanged = unchanged | (ThrottleRecord.expires_at_epoch <= int(now))
        try:
            record.update(
                actions=[
                    ThrottleRecord.strikes.set(strikes),
                    ThrottleRecord.locked_until.set(until),
                    ThrottleRecord.expires_at_epoch.set(until + throttle.STRIKES_REMEMBERED_SECONDS),
                ],
                condition=unchanged,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return  # another failure locked it first
            raise TransientStoreError("login counters are busy; retry") from exc
