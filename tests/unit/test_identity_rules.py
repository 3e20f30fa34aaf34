"""Pure rules of identity: the role ladder and INTEGRATION, API key format, login throttle policy."""

from __future__ import annotations

import hashlib

import pytest

from oms.domain import api_keys, throttle
from oms.domain.models import Principal, Role, admitted_roles


def principal(role: Role) -> Principal:
    return Principal(user_id="u1", email="a@example.com", tenant_id="t1", role=role)


# ------------------------------------------------------------------ roles
def test_integration_is_outside_the_human_ladder() -> None:
    machine = principal(Role.INTEGRATION)
    assert not any(machine.at_least(r) for r in Role)
    assert not principal(Role.PLATFORM_OWNER).at_least(Role.INTEGRATION)
    assert principal(Role.PLATFORM_OWNER).at_least(Role.USER)
    assert not principal(Role.USER).at_least(Role.SUPERADMIN)


def test_admitted_roles() -> None:
    assert admitted_roles(Role.USER) == (Role.PLATFORM_OWNER, Role.SUPERADMIN, Role.USER)
    assert admitted_roles(Role.SUPERADMIN, integration=True) == (
        Role.PLATFORM_OWNER,
        Role.SUPERADMIN,
        Role.INTEGRATION,
    )
    assert admitted_roles(Role.PLATFORM_OWNER) == (Role.PLATFORM_OWNER,)
    assert admitted_roles(Role.CUSTOMER) == (
        Role.PLATFORM_OWNER,
        Role.SUPERADMIN,
        Role.USER,
        Role.CUSTOMER,
    )
    with pytest.raises(ValueError):
        admitted_roles(Role.INTEGRATION)


def test_a_customer_is_a_person_below_user() -> None:
    customer = principal(Role.CUSTOMER)
    assert Role.CUSTOMER.is_human
    assert customer.at_least(Role.CUSTOMER)
    assert not customer.at_least(Role.USER)
    assert principal(Role.USER).at_least(Role.CUSTOMER)
    assert Role.CUSTOMER not in admitted_roles(Role.USER)
    assert Role.CUSTOMER not in admitted_roles(Role.USER, integration=True)


def test_the_actor_names_people_by_email_and_machines_by_key() -> None:
    assert principal(Role.USER).actor == "user:a@example.com"
    assert principal(Role.INTEGRATION).actor == "integration:u1"


# ------------------------------------------------------------------ API keys
def test_a_new_key_carries_its_id_and_256_random_bits() -> None:
    key_id, key = api_keys.new_key()
    assert api_keys.key_id_of(key) == key_id and len(key_id) == 16
    assert key.startswith(api_keys.shown_prefix(key_id) + "_")
    assert len(key) == len("cok_") + 16 + len("_") + 43  # 43 URL-safe base64 characters: 32 bytes
    assert api_keys.new_key()[1] != key


def test_a_key_is_stored_as_its_sha256_and_compared_whole() -> None:
    _, key = api_keys.new_key()
    stored = api_keys.digest(key)
    assert stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored
    assert api_keys.matches(key, stored)
    assert not api_keys.matches(key[:-1] + ("A" if key[-1] != "A" else "B"), stored)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cok_0123456789abcdef",
        "cok_0123456789ABCDEF_" + "a" * 43,  # the id is lower-case hex
        "xyz_0123456789abcdef_" + "a" * 43,
        "cok_0123456789abcdef_" + "a" * 42,
        "cok_0123456789abcdef_" + "a" * 43 + "\n",
        "cok_0123456789abcdef_" + "a" * 42 + "é",
        "cok_0123456789abcdef_" + "a" * 500,
    ],
)
def test_anything_else_is_not_a_key(text: str) -> None:
    assert api_keys.key_id_of(text) is None


# ------------------------------------------------------------------ login throttle
def test_locks_double_up_to_four_hours() -> None:
    minutes = [throttle.lock_seconds(n) // 60 for n in range(1, 8)]
    assert minutes == [15, 30, 60, 120, 240, 240, 240]


def test_windows_are_fixed_quarter_hours() -> None:
    assert throttle.window(0) == 0 and throttle.window(899.9) == 0 and throttle.window(900) == 1
    assert throttle.window_end(throttle.window(1000)) == 1800


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert throttle.wait_seconds(100.0, 0.2) == 100
    assert throttle.wait_seconds(100.0, 99.99) == 1
    assert throttle.wait_seconds(100.0, 150.0) == 1


def test_accounts_are_keyed_by_a_hash_of_the_normalised_email() -> None:
    ref = throttle.account_ref("Someone@Example.com ")
    assert ref == throttle.account_ref("someone@example.com") and "example" not in ref


def test_an_ipv6_address_counts_as_its_64() -> None:
    assert throttle.address_ref("2001:db8:1:2::1") == throttle.address_ref("2001:db8:1:2:ffff::9")
    assert throttle.address_ref("2001:db8:1:2::1") != throttle.address_ref("2001:db8:1:3::1")
    assert throttle.address_ref("203.0.113.9") != throttle.address_ref("203.0.113.10")
    assert throttle.address_ref(None) == throttle.address_ref("not an address")
