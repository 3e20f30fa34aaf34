"""Per-stage safety of template.yaml and samconfig.toml: the HTTP API stage is throttled, and no stage
can deploy with a default (or another stage's) JWT signing key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

SECRET = "JwtSecretParameterName"


def _overrides(repo_root: Path) -> dict[str, dict[str, str]]:
    config = tomllib.loads((repo_root / "samconfig.toml").read_text(encoding="utf-8"))
    return {
        env: dict(
            item.split("=", 1) for item in sections["deploy"]["parameters"]["parameter_overrides"].split()
        )
        for env, sections in config.items()
        if isinstance(sections, dict) and "deploy" in sections
    }


def _evaluate(node: Any, params: dict[str, str]) -> Any:
    """The few intrinsics a Rules section uses here (Ref, Fn::Equals, Fn::Not, Fn::And, Fn::Or)."""
    if isinstance(node, dict):
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return params[arg]
        values = [_evaluate(a, params) for a in arg] if isinstance(arg, list) else [_evaluate(arg, params)]
        return {
            "Fn::Equals": lambda: values[0] == values[1],
            "Fn::Not": lambda: not values[0],
            "Fn::And": lambda: all(values),
            "Fn::Or": lambda: any(values),
        }[fn]()
    return node


def _rules_pass(template: dict[str, Any], params: dict[str, str]) -> list[str]:
    """Descriptions of the template's Rules assertions that fail for these parameter values."""
    failed = []
    for rule in (template.get("Rules") or {}).values():
        if "RuleCondition" in rule and not _evaluate(rule["RuleCondition"], params):
            continue
        failed += [
            a.get("AssertDescription", "?") for a in rule["Assertions"] if not _evaluate(a["Assert"], params)
        ]
    return failed


def _with_defaults(template: dict[str, Any], overrides: dict[str, str]) -> dict[str, str]:
    declared = template.get("Parameters") or {}
    return {**{k: str(v["Default"]) for k, v in declared.items() if "Default" in v}, **overrides}


def test_the_http_api_stage_is_throttled(template: dict[str, Any], resources: dict[str, Any]) -> None:
    apis = {n: r for n, r in resources.items() if r.get("Type") == "AWS::Serverless::HttpApi"}
    assert apis, "no HttpApi in the template"
    params = template["Parameters"]
    for name, api in apis.items():
        settings = (api.get("Properties") or {}).get("DefaultRouteSettings") or {}
        for key in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            ref = (settings.get(key) or {}).get("Ref")
            assert ref in params, f"{name}: DefaultRouteSettings.{key} must be a template parameter"
            assert params[ref]["Type"] == "Number" and int(params[ref]["MinValue"]) >= 1, ref
            assert int(params[ref]["Default"]) >= int(params[ref]["MinValue"]), ref


def test_browsers_may_send_every_header_the_api_reads(resources: dict[str, Any]) -> None:
    """A browser app calls with the headers the API reads (a key instead of a token, a request id
    to correlate) and may read the ones it answers with (Retry-After on 429)."""
    for name, api in resources.items():
        if api.get("Type") != "AWS::Serverless::HttpApi":
            continue
        cors = api["Properties"]["CorsConfiguration"]
        assert {"Authorization", "Content-Type", "Idempotency-Key", "X-API-Key", "X-Request-Id"} <= set(
            cors["AllowHeaders"]
        ), name
        assert {"X-Request-Id", "Retry-After"} <= set(cors["ExposeHeaders"]), name


def test_the_jwt_secret_parameter_has_no_default(template: dict[str, Any]) -> None:
    spec = template["Parameters"][SECRET]
    assert "Default" not in spec, "a deploy that forgets the secret must fail, not use a shared key"
    assert spec.get("AllowedPattern", "").startswith("^/"), "an SSM name: the role's ARN assumes a leading /"


def test_every_stage_names_its_own_signing_key(repo_root: Path, template: dict[str, Any]) -> None:
    by_env = _overrides(repo_root)
    assert {"default", "dev", "prod"} <= set(by_env)
    names: dict[str, set[str]] = {}
    for env, overrides in by_env.items():
        stage = overrides["Stage"]
        assert SECRET in overrides, f"[{env}] must name {SECRET} (the template has no default)"
        assert overrides[SECRET].startswith(f"/cirrus/{stage}/"), f"[{env}] {SECRET} is outside its stage"
        names.setdefault(overrides[SECRET], set()).add(stage)
        assert _rules_pass(template, _with_defaults(template, overrides)) == [], env
    assert all(len(stages) == 1 for stages in names.values()), f"a key shared by stages: {names}"
    # scripts/deploy.sh creates the key it deploys with (infra/deploy/bootstrap-secrets.sh)
    bootstrap = (repo_root / "infra" / "deploy" / "bootstrap-secrets.sh").read_text(encoding="utf-8")
    assert 'CIRRUS_SECRET_NAME="/cirrus/$STAGE/jwt-secret"' in bootstrap
    deploy = (repo_root / "scripts" / "deploy.sh").read_text(encoding="utf-8")
    assert 'bootstrap-secrets.sh "$ENV"' in deploy and "--config-env" in deploy


def test_prod_refuses_the_dev_key(template: dict[str, Any]) -> None:
    prod_with_dev_key = _with_defaults(template, {"Stage": "prod", SECRET: "/cirrus/dev/jwt-secret"})
    assert _rules_pass(template, prod_with_dev_key), "the Rules section must refuse the dev key in prod"
    dev = _with_defaults(template, {"Stage": "dev", SECRET: "/cirrus/dev/jwt-secret"})
    assert _rules_pass(template, dev) == []
