"""Process start-up for every Lambda entry point: bind tables to the configured names once."""

from __future__ import annotations

import logging

from oms import config
from oms.data import records

_state = {"initialised": False}


def init() -> None:
    if _state["initialised"]:
        return
    logging.getLogger().setLevel(logging.INFO)
    records.bind_tables(config.settings())
    _state["initialised"] = True


def reinit() -> None:
    """Re-read configuration (tests and the local cloud change the environment)."""
    from oms.adapters import function_urls, jobs, queues, secrets_box, tokens, workflow

    config.settings.cache_clear()
    tokens.reset_signing_key()
    workflow.reset()
    jobs.reset()
    queues.reset()
    function_urls.reset()
    secrets_box.reset()
    _state["initialised"] = False
    init()
    # caches of another configuration
    from oms.services import ai_cache, analyst, experiments, learning, search_index, workflows

    learning.reset()
    analyst.reset()
    ai_cache.forget()
    experiments.forget_cache()
    search_index.forget()
    workflows.forget_cached()  # tenant workflows (ADR 0035)
