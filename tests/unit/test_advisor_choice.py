"""Which advisor AI strategies get: Claude when a key is configured, else the built-in model; one
per process, so its breaker, cache and budget accumulate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oms import config
from oms.adapters.claude_advisor import ClaudeAdvisor
from oms.domain.learning.builtin import BuiltinAdvisor
from oms.services import learning


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_PARAM", "ANTHROPIC_BASE_URL", "CLAUDE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    config.settings.cache_clear()
    learning.reset()
    yield monkeypatch
    config.settings.cache_clear()
    learning.reset()


def test_without_a_key_the_builtin_advisor_serves(fresh):
    assert isinstance(learning.advisor(), BuiltinAdvisor)


def test_with_a_key_claude_serves_with_the_configured_model_and_endpoint(fresh):
    fresh.setenv("ANTHROPIC_API_KEY", "sk-test")
    fresh.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    fresh.setenv("CLAUDE_MODEL", "claude-haiku-4-5")
    chosen = learning.advisor()
    assert isinstance(chosen, ClaudeAdvisor) and chosen.model == "claude-haiku-4-5"
    assert learning.advisor() is chosen  # built once per process


def test_a_key_in_ssm_is_enough_to_choose_claude(fresh):
    fresh.setenv("ANTHROPIC_API_KEY_PARAM", "/cirrus/dev/anthropic-key")
    assert isinstance(learning.advisor(), ClaudeAdvisor)  # the key itself is read on the first call
