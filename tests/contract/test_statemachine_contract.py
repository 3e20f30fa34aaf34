"""Contracts of statemachines/*.asl.json (neither cfn-lint nor sam validate reads them).

* each file parses with moto's ASL parser (the engine the local cloud and the tests execute),
  after its ${Placeholders} are filled with plausible values derived from the template;
* every transition target exists, every state is reachable (Parallel/Map branches included);
* every Task has Retry and Catch, and `States.ALL` comes last and alone;
* JSONPath only (moto cannot run JSONata);
* the placeholders of each file and its DefinitionSubstitutions match one to one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfn_contract import FUNCTION_TYPES, PLACEHOLDER, ROOT, STATE_MACHINE_TYPES, load_template

REGION, ACCOUNT = "us-east-1", "123456789012"
ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))
TERMINAL_TYPES = {"Choice", "Succeed", "Fail"}

# ----------------------------------------------------------------------------- placeholders


def _fake_ref(resources: dict[str, Any], parameters: dict[str, Any], name: str) -> str:
    """What `!Ref name` would plausibly resolve to after deployment."""
    if name in parameters:
        return str(parameters[name].get("Default", f"{name}-value"))
    kind = (resources.get(name) or {}).get("Type", "")
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    if kind in STATE_MACHINE_TYPES:
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
    return name  # functions, tables, buses, buckets: their name


def _fake_getatt(resources: dict[str, Any], name: str, attr: str) -> str:
    kind = (resources.get(name) or {}).get("Type", "")
    if attr == "Arn":
        if kind in FUNCTION_TYPES:
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if kind == "AWS::SQS::Queue":
            return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        if kind in STATE_MACHINE_TYPES:
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::Events::EventBus":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"
        service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{name}"
    if attr == "QueueUrl":
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    return name  # QueueName, Name, ...


def fake_value(template: dict[str, Any], value: Any) -> str:
    """A plausible deployed value for a DefinitionSubstitutions entry."""
    resources, parameters = template.get("Resources") or {}, template.get("Parameters") or {}
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, dict) and "Ref" in value:
        return pseudo.get(value["Ref"]) or _fake_ref(resources, parameters, value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        name, attr = value["Fn::GetAtt"]
        return _fake_getatt(resources, name, attr)
    if isinstance(value, dict) and "Fn::Sub" in value:
        text, local = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in local:
                return fake_value(template, local[key])
            if key in pseudo:
                return pseudo[key]
            if "." in key:
                return _fake_getatt(resources, *key.split(".", 1))
            return _fake_ref(resources, parameters, key)

        return PLACEHOLDER.sub(sub, text)
    raise AssertionError(f"cannot fake a value for {value!r}: extend fake_value()")


def definition_files(template: dict[str, Any]) -> dict[Path, tuple[str, dict[str, Any]]]:
    """ASL file -> (state machine logical id, its DefinitionSubstitutions)."""
    out = {}
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") in STATE_MACHINE_TYPES:
            props = res.get("Properties") or {}
            uri = props.get("DefinitionUri") or props.get("DefinitionS3Location")
            if isinstance(uri, str):
                out[(ROOT / uri).resolve()] = (name, props.get("DefinitionSubstitutions") or {})
    return out


def substituted(template: dict[str, Any], text: str, substitutions: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(
        lambda m: (
            fake_value(template, substitutions[m.group(1)]) if m.group(1) in substitutions else m.group(0)
        ),
        text,
    )


# ----------------------------------------------------------------------------- graph rules


def scopes(definition: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """The top-level machine and every Parallel branch / Map processor inside it, recursively."""
    yield where, definition
    for name, state in (definition.get("States") or {}).items():
        for i, branch in enumerate(state.get("Branches") or []):
            yield from scopes(branch, f"{where}{name}.Branches[{i}]/")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from scopes(state[key], f"{where}{name}.{key}/")


def transitions(state: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, target) of every transition out of a state."""
    out = []
    if "Next" in state:
        out.append(("Next", state["Next"]))
    if "Default" in state:
        out.append(("Default", state["Default"]))
    for i, rule in enumerate(state.get("Choices") or []):
        if "Next" in rule:
            out.append((f"Choices[{i}].Next", rule["Next"]))
    for i, catcher in enumerate(state.get("Catch") or []):
        if "Next" in catcher:
            out.append((f"Catch[{i}].Next", catcher["Next"]))
    return out


def graph_problems(definition: dict[str, Any]) -> list[str]:
    problems = []
    for where, scope in scopes(definition):
        states = scope.get("States") or {}
        start = scope.get("StartAt")
        if start not in states:
            problems.append(f"{where or '(top)'}: StartAt {start!r} is not a state")
            continue
        for name, state in states.items():
            for label, target in transitions(state):
                if target not in states:
                    problems.append(f"{where}{name}: {label} -> {target!r}, no such state")
            kind = state.get("Type")
            if kind not in TERMINAL_TYPES and ("Next" in state) == bool(state.get("End")):
                problems.append(f"{where}{name}: a {kind} state needs exactly one of Next and End")
            if kind == "Choice" and not state.get("Choices"):
                problems.append(f"{where}{name}: Choice without Choices")
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current in seen or current not in states:
                continue
            seen.add(current)
            todo.extend(target for _, target in transitions(states[current]))
        problems.extend(f"{where}{name}: unreachable from {start}" for name in states if name not in seen)
    return problems


def _all_states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, scope in scopes(definition):
        for name, state in (scope.get("States") or {}).items():
            yield f"{where}{name}", state


def error_handling_problems(definition: dict[str, Any]) -> list[str]:
    problems = []
    for name, state in _all_states(definition):
        if state.get("Type") == "Task":
            for key in ("Retry", "Catch"):
                if not state.get(key):
                    problems.append(f"{name}: Task without {key}")
        for key in ("Retry", "Catch"):
            rules = state.get(key) or []
            for i, rule in enumerate(rules):
                errors = rule.get("ErrorEquals") or []
                if "States.ALL" in errors and (len(errors) > 1 or i != len(rules) - 1):
                    problems.append(f"{name}: {key}[{i}]: States.ALL must be alone and last")
    return problems


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def query_language_problems(definition: dict[str, Any]) -> list[str]:
    problems = []
    if definition.get("QueryLanguage", "JSONPath") != "JSONPath":
        problems.append(f"(top): QueryLanguage {definition['QueryLanguage']} (moto runs JSONPath only)")
    for name, state in _all_states(definition):
        if state.get("QueryLanguage", "JSONPath") != "JSONPath":
            problems.append(f"{name}: QueryLanguage {state['QueryLanguage']} (moto runs JSONPath only)")
        if any(s.strip().startswith("{%") for s in _strings(state)):
            problems.append(f"{name}: JSONata expression {{% ... %}} (moto runs JSONPath only)")
    return problems


# ----------------------------------------------------------------------------- on the real files


@pytest.fixture(scope="module")
def wiring(template: dict[str, Any]) -> dict[Path, tuple[str, dict[str, Any]]]:
    return definition_files(template)


def test_state_machine_files_and_template_agree(
    wiring: dict[Path, tuple[str, dict[str, Any]]], state_machines: dict[str, Any]
) -> None:
    assert ASL_FILES, "no statemachines/*.asl.json"
    inline = [n for n, p in state_machines.items() if "Definition" in p or "DefinitionString" in p]
    assert not inline, f"keep definitions in statemachines/*.asl.json, not inline: {inline}"
    missing = [str(p.relative_to(ROOT)) for p in wiring if not p.is_file()]
    assert not missing, f"DefinitionUri points at missing files: {missing}"
    orphans = [p.name for p in ASL_FILES if p.resolve() not in wiring]
    assert not orphans, f"ASL files no state machine in template.yaml uses: {orphans}"


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_placeholders_match_definition_substitutions(
    path: Path, wiring: dict[Path, tuple[str, dict[str, Any]]]
) -> None:
    machine, substitutions = wiring[path.resolve()]
    used = set(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))
    assert sorted(used - substitutions.keys()) == [], (
        f"{path.name}: placeholders {machine} does not substitute"
    )
    assert sorted(substitutions.keys() - used) == [], (
        f"{machine}: DefinitionSubstitutions {path.name} never uses"
    )


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_definition_parses_with_moto(
    path: Path, template: dict[str, Any], wiring: dict[Path, tuple[str, dict[str, Any]]]
) -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    text = substituted(template, path.read_text(encoding="utf-8"), wiring[path.resolve()][1])
    assert not PLACEHOLDER.search(text), f"unsubstituted placeholder left in {path.name}"
    json.loads(text)  # valid JSON once substituted
    AmazonStateLanguageParser.parse(text)


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_every_target_exists_and_every_state_is_reachable(path: Path) -> None:
    assert graph_problems(_definition(path)) == []


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_every_task_retries_and_catches(path: Path) -> None:
    assert error_handling_problems(_definition(path)) == []


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_jsonpath_only(path: Path) -> None:
    assert query_language_problems(_definition(path)) == []


def _definition(path: Path) -> dict[str, Any]:
    # Placeholders may stand where JSON wants a number ("Seconds": ${Wait}); quote them to read the graph.
    return json.loads(re.sub(r"(?<![\"\w])\$\{([^}]+)\}", r'"${\1}"', path.read_text(encoding="utf-8")))


# ----------------------------------------------------------------------------- the rules catch faults

BAD_MACHINE = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Gone"},
        "B": {"Type": "Pass", "End": True},
        "P": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}],
            "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Custom"]}],
            "QueryLanguage": "JSONata",
            "End": True,
        },
        "C": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}],
            "Default": "Nope",
        },
    },
}


def test_rules_catch_a_bad_machine() -> None:
    assert sorted(graph_problems(BAD_MACHINE)) == [
        "A: Next -> 'Gone', no such state",
        "B: unreachable from A",
        "C: Default -> 'Nope', no such state",
        "C: unreachable from A",
        "P.Branches[0]/X: Next -> 'Y', no such state",
        "P: unreachable from A",
    ]
    assert error_handling_problems(BAD_MACHINE) == [
        "A: Task without Retry",
        "A: Task without Catch",
        "P: Retry[0]: States.ALL must be alone and last",
    ]
    assert query_language_problems(BAD_MACHINE) == ["P: QueryLanguage JSONata (moto runs JSONPath only)"]


def test_fake_values_follow_the_resource_type() -> None:
    template = load_template(
        "Parameters: {WaitSeconds: {Type: Number, Default: 30}}\n"
        "Resources:\n"
        "  Fn: {Type: AWS::Serverless::Function}\n"
        "  Q: {Type: AWS::SQS::Queue}\n"
        "  T: {Type: AWS::DynamoDB::Table}\n"
    )
    assert (
        fake_value(template, {"Fn::GetAtt": ["Fn", "Arn"]})
        == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:Fn"
    )
    assert fake_value(template, {"Ref": "Q"}) == f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/Q"
    assert fake_value(template, {"Ref": "T"}) == "T"
    assert fake_value(template, {"Ref": "WaitSeconds"}) == "30"
    assert fake_value(template, {"Fn::Sub": "${T}-x-${AWS::Region}"}) == f"T-x-{REGION}"
    text = '{"Seconds": ${W}, "Q": "${Q}"}'
    assert (
        json.loads(substituted(template, text, {"W": {"Ref": "WaitSeconds"}, "Q": {"Ref": "Q"}}))["Seconds"]
        == 30
    )
