"""Reading template.yaml offline: a CloudFormation-aware YAML loader and small helpers.

Shared by the contract tests (imported as `cfn_contract`; tests/contract/conftest.py puts this
folder on sys.path whatever pytest's import mode).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")


class CfnLoader(yaml.SafeLoader):
    """PyYAML loader that turns CloudFormation short forms into their long forms.

    ``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``,
    ``!Condition C`` -> ``{"Condition": "C"}``, any other ``!Name v`` -> ``{"Fn::Name": v}``.
    """


def _construct_short_form(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _construct_short_form)


def load_template(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=CfnLoader)
    assert isinstance(data, dict), "template.yaml is not a mapping"
    return data


def effective_function_properties(template: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """A function's properties with SAM's Globals.Function applied (shallow: enough for contracts)."""
    props = dict(resource.get("Properties") or {})
    if resource.get("Type") == "AWS::Serverless::Function":
        for key, value in ((template.get("Globals") or {}).get("Function") or {}).items():
            props.setdefault(key, value)
    return props


def referenced_ids(node: Any) -> set[str]:
    """Logical ids referenced anywhere below node (Ref, GetAtt, ${X} / ${X.Attr} in Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                parts = value.split(".", 1) if isinstance(value, str) else value
                if parts and isinstance(parts[0], str):
                    found.add(parts[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found.update(m.split(".", 1)[0] for m in PLACEHOLDER.findall(text) if "::" not in m)
                if isinstance(value, list) and len(value) > 1:
                    found.update(referenced_ids(value[1]))
            else:
                found.update(referenced_ids(value))
    elif isinstance(node, list):
        for item in node:
            found.update(referenced_ids(item))
    return found
