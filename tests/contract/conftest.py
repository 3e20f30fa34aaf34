"""Fixtures of the contract tests: template.yaml and the state machines, read offline.

The contract tests never import application code and never open a socket: they read files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for `import cfn_contract` in any import mode

from cfn_contract import (
    FUNCTION_TYPES,
    ROOT,
    STATE_MACHINE_TYPES,
    TEMPLATE_PATH,
    effective_function_properties,
    load_template,
)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    res = template.get("Resources") or {}
    assert res, "template.yaml declares no Resources"
    return res


@pytest.fixture(scope="session")
def functions(template: dict[str, Any], resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Logical id -> effective properties of every Lambda function in the template."""
    fns = {
        name: effective_function_properties(template, res)
        for name, res in resources.items()
        if res.get("Type") in FUNCTION_TYPES
    }
    assert fns, "template.yaml declares no functions"
    return fns


@pytest.fixture(scope="session")
def state_machines(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every state machine in the template."""
    return {
        name: res.get("Properties") or {}
        for name, res in resources.items()
        if res.get("Type") in STATE_MACHINE_TYPES
    }
