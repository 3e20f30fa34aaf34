"""Login throttle counters in the Directory table (policy: oms.domain.throttle).

An attempt reads the account's lock (one GetItem), then takes a slot in the account's and the
address's counters of this window, each a conditional ADD (`failures < limit`), so concurrent
attempts cannot overshoot the limit. A success gives its slots back (ADD -1); the failure that
fills the account's window locks it (a conditional write on the strikes read before). Every item
carries `expires_at_epoch` for the table's TTL, and readers ignore items past it (TTL deletes late).
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, UpdateError

from oms.data import keys
from oms.data.records import ThrottleRecord
from oms.domain import throttle
from oms.domain.errors import TransientStoreError

# a window's counter outlives its window a little (a slot given back at the boundary finds it)
_COUNTER_KEPT_SECONDS = 3600


class LoginThrottleRepository:
    def lock_state(self, account: str, now: float) -> tuple[float, int]:
        """(locked until, strikes so far) of the account; (0, 0) when it has none on record."""
        try:
            record = ThrottleRecord.get(keys.throttle_account_pk(account), keys.THROTTLE_LOCK_SK)
        except DoesNotExist:
            return 0.0, 0
        if record.expires_at_epoch is not None and record.expires_at_epoch <= now:
            return 0.0, 0
        return float(record.locked_until or 0), int(record.strikes or 0)

    def take_account_slot(self, account: str, window: int) -> int | None:
        """The account's count in `window` with this attempt; None when the window is full."""
        return self._take(keys.throttle_account_pk(account), window, throttle.ACCOUNT_FAILURES)

    def take_address_slot(self, address: str, window: int) -> int | None:
        return self._take(keys.throttle_address_pk(address), window, throttle.ADDRESS_FAILURES)

    def give_back_account_slot(self, account: str, window: int) -> None:
        """A successful (or refused) attempt returns the slot it took, never going below zero."""
        self._give_back(keys.throttle_account_pk(account), window)

    def give_back_address_slot(self, address: str, window: int) -> None:
        self._give_back(keys.throttle_address_pk(address), window)

    def _give_back(self, pk: str, window: int) -> None:
        record = ThrottleRecord(pk, keys.throttle_window_sk(window))
        try:
            record.update(actions=[ThrottleRecord.failures.add(-1)], condition=ThrottleRecord.failures > 0)
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise TransientStoreError("login counters are busy; retry") from exc

    def _take(self, pk: str, window: int, limit: int) -> int | None:
        record = ThrottleRecord(pk, keys.throttle_window_sk(window))
        try:
            record.update(
                actions=[
                    ThrottleRecord.failures.add(1),
                    ThrottleRecord.expires_at_epoch.set(throttle.window_end(window) + _COUNTER_KEPT_SECONDS),
                ],
                condition=ThrottleRecord.failures.does_not_exist() | (ThrottleRecord.failures < limit),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
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
