"""Invariants of template.yaml that cfn-lint does not know about (house rules and wiring).

Each rule is a plain function returning a list of problems, so that the rule itself is tested on
a small bad template as well as run on the real one (a rule that finds nothing today still runs).
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfn_contract import FUNCTION_TYPES, effective_function_properties, load_template, referenced_ids
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = "python3.12"

# ----------------------------------------------------------------------------- rules


def runtime_problems(template: dict[str, Any]) -> list[str]:
    problems = []
    for name, res in (template.get("Resources") or {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") in FUNCTION_TYPES:
            eff = effective_function_properties(template, res)
            if eff.get("PackageType") != "Image" and eff.get("Runtime") != RUNTIME:
                problems.append(f"{name}: Runtime is {eff.get('Runtime')!r}, expected {RUNTIME}")
        elif res.get("Type") in ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"):
            if RUNTIME not in (props.get("CompatibleRuntimes") or []):
                problems.append(f"{name}: CompatibleRuntimes lacks {RUNTIME}")
            build = (res.get("Metadata") or {}).get("BuildMethod")
            if build and build.startswith("python") and build != RUNTIME:
                problems.append(f"{name}: Metadata.BuildMethod is {build}, expected {RUNTIME}")
    return problems


def _defines(body: list[ast.stmt], attr: str) -> bool:
    """True if a module body binds `attr` at top level (def, class, assignment, import)."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == attr:
            return True
        if isinstance(node, ast.Assign):
            for target in node.targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(t, ast.Name) and t.id == attr for t in elts):
                    return True
        if (
            isinstance(node, ast.AnnAssign | ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == attr
            and (not isinstance(node, ast.AnnAssign) or node.value is not None)
        ):
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name.split(".")[0]) == attr for alias in node.names
        ):
            return True
        if isinstance(node, ast.If | ast.Try):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody] + [h.body for h in node.handlers]
            if any(_defines(block, attr) for block in blocks):
                return True
    return False


def handler_problems(template: dict[str, Any], root: Path) -> list[str]:
    problems = []
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") not in FUNCTION_TYPES:
            continue
        props = effective_function_properties(template, res)
        if props.get("PackageType") == "Image" or props.get("InlineCode") or "Code" in props:
            continue  # not a zip from a local folder
        code_uri, handler = props.get("CodeUri"), props.get("Handler")
        if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
            problems.append(f"{name}: CodeUri {code_uri!r} is not a local folder")
            continue
        folder = root / code_uri
        if not folder.is_dir():
            problems.append(f"{name}: CodeUri folder {code_uri} does not exist")
            continue
        if not isinstance(handler, str) or "." not in handler:
            problems.append(f"{name}: Handler {handler!r} is not 'module.attribute'")
            continue
        module, attr = handler.rsplit(".", 1)
        rel = Path(*module.split("."))
        source = next((p for p in (folder / f"{rel}.py", folder / rel / "__init__.py") if p.is_file()), None)
        if source is None:
            problems.append(f"{name}: Handler {handler}: no {code_uri.rstrip('/')}/{rel}.py")
            continue
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        except SyntaxError as exc:
            problems.append(f"{name}: {source.relative_to(root)} does not parse: {exc}")
            continue
        if not _defines(tree.body, attr):
            problems.append(f"{name}: Handler {handler}: {source.relative_to(root)} defines no '{attr}'")
    return problems


def _log_group_targets(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res.get("Properties") or {}
        for name, res in (template.get("Resources") or {}).items()
        if res.get("Type") == "AWS::Logs::LogGroup"
    }


def log_group_problems(template: dict[str, Any]) -> list[str]:
    """Every function has its own AWS::Logs::LogGroup (/aws/lambda/<function>) with a retention."""
    groups = _log_group_targets(template)
    problems = []
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") not in FUNCTION_TYPES:
            continue
        props = res.get("Properties") or {}
        explicit = props.get("FunctionName")
        matches = [
            g
            for g, gp in groups.items()
            if name in referenced_ids(gp.get("LogGroupName"))
            or (isinstance(explicit, str) and gp.get("LogGroupName") == f"/aws/lambda/{explicit}")
        ]
        if not matches:
            problems.append(f"{name}: no AWS::Logs::LogGroup named /aws/lambda/${{{name}}}")
        for g in matches:
            if groups[g].get("RetentionInDays") in (None, ""):
                problems.append(f"{name}: log group {g} has no RetentionInDays")
    for name, res in (template.get("Resources") or {}).items():
        if res.get("Type") not in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            continue
        for dest in ((res.get("Properties") or {}).get("Logging") or {}).get("Destinations") or []:
            for ref in referenced_ids(dest):
                if ref in groups and groups[ref].get("RetentionInDays") in (None, ""):
                    problems.append(f"{name}: log group {ref} has no RetentionInDays")
    return problems


# Keys under which a queue is used as somebody's dead-letter queue / failure destination.
DLQ_KEYS = {"deadLetterTargetArn", "DeadLetterQueue", "DeadLetterConfig", "OnFailure"}


def _dlq_ids(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found |= referenced_ids(value) if key in DLQ_KEYS else _dlq_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _dlq_ids(item)
    return found


def queue_problems(template: dict[str, Any]) -> list[str]:
    """Every queue that is not itself a dead-letter queue redrives to one."""
    res_all = template.get("Resources") or {}
    queues = {n: r.get("Properties") or {} for n, r in res_all.items() if r.get("Type") == "AWS::SQS::Queue"}
    dlqs = _dlq_ids(res_all) & set(queues)
    dlqs |= {n for n, p in queues.items() if "RedriveAllowPolicy" in p}
    problems = []
    for name, props in queues.items():
        if name in dlqs:
            continue
        redrive = props.get("RedrivePolicy")
        if not isinstance(redrive, dict):
            problems.append(f"{name}: queue has no RedrivePolicy (and nothing uses it as a DLQ)")
            continue
        targets = referenced_ids(redrive.get("deadLetterTargetArn"))
        if not targets and not isinstance(redrive.get("deadLetterTargetArn"), str):
            problems.append(f"{name}: RedrivePolicy has no deadLetterTargetArn")
        for t in targets:
            if t not in queues:
                problems.append(f"{name}: RedrivePolicy targets {t}, which is not an AWS::SQS::Queue")
        if not redrive.get("maxReceiveCount"):
            problems.append(f"{name}: RedrivePolicy has no maxReceiveCount")
    return problems


def sqs_event_sources(template: dict[str, Any]) -> tuple[int, list[tuple[str, dict[str, Any]]]]:
    """(number of functions scanned, [(where, properties)] of every SQS event source)."""
    res_all = template.get("Resources") or {}
    queues = {n for n, r in res_all.items() if r.get("Type") == "AWS::SQS::Queue"}
    scanned, sources = 0, []
    for name, res in res_all.items():
        props = res.get("Properties") or {}
        if res.get("Type") in FUNCTION_TYPES:
            scanned += 1
            for event, spec in (props.get("Events") or {}).items():
                if (spec or {}).get("Type") == "SQS":
                    sources.append((f"{name}.Events.{event}", spec.get("Properties") or {}))
        elif res.get("Type") == "AWS::Lambda::EventSourceMapping":
            arn = props.get("EventSourceArn")
            if referenced_ids(arn) & queues or (isinstance(arn, str) and ":sqs:" in arn):
                sources.append((name, props))
    return scanned, sources


def batch_failure_problems(template: dict[str, Any]) -> list[str]:
    _, sources = sqs_event_sources(template)
    return [
        f"{where}: SQS event source without FunctionResponseTypes: [ReportBatchItemFailures]"
        for where, props in sources
        if "ReportBatchItemFailures" not in (props.get("FunctionResponseTypes") or [])
    ]


INTRINSIC_ARITY = {  # name -> allowed list lengths
    "Fn::Split": {2},
    "Fn::Select": {2},
    "Fn::Join": {2},
    "Fn::If": {3},
    "Fn::Equals": {2},
    "Fn::Not": {1},
    "Fn::And": set(range(2, 11)),
    "Fn::Or": set(range(2, 11)),
    "Fn::GetAtt": {2},
    "Fn::FindInMap": {3, 4},
    "Fn::Cidr": {3},
}


def intrinsic_problems(node: Any, path: str = "") -> list[str]:
    """Intrinsic functions have the shape CloudFormation accepts, everywhere in the template.

    cfn-lint checks this on plain resources but not inside SAM policy templates, whose
    parameters it passes through unchecked (a 3-argument Fn::Split there fails only at deploy).
    """
    problems = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else key
            if key in INTRINSIC_ARITY:
                if not isinstance(value, list) or len(value) not in INTRINSIC_ARITY[key]:
                    n = len(value) if isinstance(value, list) else type(value).__name__
                    allowed = sorted(INTRINSIC_ARITY[key])
                    problems.append(f"{here}: {key} takes {allowed} arguments, got {n}")
            elif key == "Fn::Sub":
                ok = isinstance(value, str) or (
                    isinstance(value, list)
                    and len(value) == 2
                    and isinstance(value[0], str)
                    and isinstance(value[1], dict)
                )
                if not ok:
                    problems.append(f"{here}: Fn::Sub takes a string or [string, {{variables}}]")
            elif key == "Ref" and not isinstance(value, str):
                problems.append(f"{here}: Ref takes a logical id string")
            problems.extend(intrinsic_problems(value, here))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            problems.extend(intrinsic_problems(item, f"{path}[{i}]"))
    return problems


def _requirements(lines: list[str]) -> dict[str, Requirement]:
    reqs: dict[str, Requirement] = {}
    for raw in lines:
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        req = Requirement(line)
        reqs[canonicalize_name(req.name)] = req
    return reqs


def requirement_problems(pyproject_deps: list[str], layer_lines: list[str]) -> list[str]:
    ours, layer = _requirements(pyproject_deps), _requirements(layer_lines)
    problems = [
        f"{n}: in pyproject dependencies, missing from the layer" for n in sorted(ours.keys() - layer)
    ]
    problems += [
        f"{n}: in the layer, missing from pyproject dependencies" for n in sorted(layer.keys() - ours)
    ]
    for name in sorted(ours.keys() & layer.keys()):
        a, b = ours[name], layer[name]
        if (a.specifier, sorted(a.extras), str(a.marker or "")) != (
            b.specifier,
            sorted(b.extras),
            str(b.marker or ""),
        ):
            problems.append(f"{name}: pyproject has '{a}', layers/oms/requirements.txt has '{b}'")
    return problems


# ----------------------------------------------------------------------------- on template.yaml


def test_runtime_is_python312(template: dict[str, Any]) -> None:
    assert runtime_problems(template) == []


def test_every_handler_exists(template: dict[str, Any], functions: dict[str, Any], repo_root: Path) -> None:
    assert handler_problems(template, repo_root) == []


def test_every_function_has_a_log_group_with_retention(template: dict[str, Any]) -> None:
    assert log_group_problems(template) == []


def test_every_queue_has_a_dead_letter_queue(template: dict[str, Any]) -> None:
    assert queue_problems(template) == []


def test_every_queue_gives_a_message_the_same_number_of_tries(template: dict[str, Any]) -> None:
    """One redrive count for every queue: the chaos run's dead-letter check explains a parked
    message by that many failed deliveries (infra.local.chaos_checks.MAX_RECEIVE_COUNT)."""
    from infra.local.chaos_checks import MAX_RECEIVE_COUNT

    counts = {
        name: int(res["Properties"]["RedrivePolicy"]["maxReceiveCount"])
        for name, res in (template.get("Resources") or {}).items()
        if res.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" in (res.get("Properties") or {})
    }
    assert counts and all(n == MAX_RECEIVE_COUNT for n in counts.values()), counts


def test_sqs_event_sources_report_batch_item_failures(
    template: dict[str, Any], functions: dict[str, Any]
) -> None:
    scanned, sources = sqs_event_sources(template)
    assert scanned == len(functions) > 0, "the scan must have visited every function"
    print(f"scanned {scanned} functions, {len(sources)} SQS event source(s): {[w for w, _ in sources]}")
    assert batch_failure_problems(template) == []


def test_intrinsic_functions_are_well_formed(template: dict[str, Any]) -> None:
    assert intrinsic_problems(template) == []


def test_layer_requirements_match_pyproject(repo_root: Path) -> None:
    deps = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    req_file = repo_root / "layers" / "oms" / "requirements.txt"
    assert req_file.is_file(), (
        "layers/oms/requirements.txt is missing: sam build would ship a layer without deps"
    )
    assert requirement_problems(deps, req_file.read_text(encoding="utf-8").splitlines()) == []


def test_samconfig_environments(repo_root: Path, template: dict[str, Any]) -> None:
    config = tomllib.loads((repo_root / "samconfig.toml").read_text(encoding="utf-8"))
    params = template.get("Parameters") or {}
    for env, stage in (("default", "dev"), ("dev", "dev"), ("prod", "prod")):
        glob = config[env]["global"]["parameters"]
        deploy = config[env]["deploy"]["parameters"]
        build = config[env]["build"]["parameters"]
        assert glob["stack_name"] == f"cirrus-oms-{stage}"
        assert glob["region"] == "us-east-1"
        assert build["cached"] is True and build["parallel"] is True
        assert set(deploy["capabilities"].split()) == {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"}
        assert deploy["resolve_s3"] is True
        assert deploy["confirm_changeset"] is (stage == "prod")
        overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"].split())
        assert overrides["Stage"] == stage
        assert overrides["JwtSecretParameterName"] == f"/cirrus/{stage}/jwt-secret"
        for key, value in overrides.items():
            assert key in params, f"[{env}] overrides {key}, which template.yaml does not declare"
            allowed = params[key].get("AllowedValues")
            assert allowed is None or value in [str(a) for a in allowed], (
                f"[{env}] {key}={value} not in {allowed}"
            )


# ----------------------------------------------------------------------------- the rules catch faults

BAD_TEMPLATE = """
Globals:
  Function: {Runtime: python3.11}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/nope/
      Handler: app.handler
      Policies:
        - SSMParameterReadPolicy:
            ParameterName: !Select [1, !Split ["/", !Ref P, 2]]
      Events:
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Work.Arn}}
  Work:
    Type: AWS::SQS::Queue
  Orphan:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Work.Arn}
"""


@pytest.fixture
def bad_template() -> dict[str, Any]:
    return load_template(BAD_TEMPLATE)


def test_rules_catch_a_bad_template(bad_template: dict[str, Any], tmp_path: Path) -> None:
    assert runtime_problems(bad_template) == ["Fn: Runtime is 'python3.11', expected python3.12"]
    assert handler_problems(bad_template, tmp_path) == ["Fn: CodeUri folder functions/nope/ does not exist"]
    assert log_group_problems(bad_template) == ["Fn: no AWS::Logs::LogGroup named /aws/lambda/${Fn}"]
    # Work is Orphan's DLQ, so only Orphan is judged: it lacks maxReceiveCount.
    assert queue_problems(bad_template) == ["Orphan: RedrivePolicy has no maxReceiveCount"]
    assert batch_failure_problems(bad_template) == [
        "Fn.Events.Jobs: SQS event source without FunctionResponseTypes: [ReportBatchItemFailures]"
    ]
    assert len(intrinsic_problems(bad_template)) == 1
    assert "Fn::Split takes [2] arguments, got 3" in intrinsic_problems(bad_template)[0]


def test_handler_rule_reads_the_module(tmp_path: Path) -> None:
    fn = "{Type: AWS::Serverless::Function, Properties: {CodeUri: f/, Runtime: python3.12, Handler: %s}}"
    template = load_template(
        f"Resources:\n  A: {fn % 'app.app'}\n  B: {fn % 'app.missing'}\n  C: {fn % 'pkg.mod.run'}\n"
    )
    (tmp_path / "f" / "pkg").mkdir(parents=True)
    (tmp_path / "f" / "app.py").write_text("from chalice import Chalice\napp = Chalice(app_name='x')\n")
    (tmp_path / "f" / "pkg" / "mod.py").write_text(
        "try:\n    import x\nexcept ImportError:\n    def run(e, c): ...\n"
    )
    assert handler_problems(template, tmp_path) == ["B: Handler app.missing: f/app.py defines no 'missing'"]


def test_requirement_rule_compares_names_and_pins() -> None:
    assert (
        requirement_problems(["boto3>=1.40", "PyJWT==2.15.1"], ["pyjwt==2.15.1  # ok", "boto3>=1.40"]) == []
    )
    assert requirement_problems(["pydantic==2.13.4", "a==1"], ["pydantic==2.13.3", "b==1"]) == [
        "a: in pyproject dependencies, missing from the layer",
        "b: in the layer, missing from pyproject dependencies",
        "pydantic: pyproject has 'pydantic==2.13.4', layers/oms/requirements.txt has 'pydantic==2.13.3'",
    ]
