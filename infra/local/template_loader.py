"""Turn the real ``template.yaml`` into something moto's CloudFormation can create, offline.

The template is the single source of truth: nothing here lists the project's tables, queues or
functions. The steps, and why each is needed:

1. Parse ``template.yaml`` (CloudFormation short tags included) and pre-process the SAM resources
   the translator cannot take offline: a state machine's ``DefinitionUri`` is a local file (inline
   it as ``Definition``); a function's ``CodeUri`` and a layer's ``ContentUri`` are local folders
   (the translator wants ``s3://`` URIs, so we substitute a marker URI and remember the folder).
2. Transform with aws-sam-translator, giving it a managed-policy loader that returns ``{}`` so it
   never calls IAM.
3. Post-process the CloudFormation result for moto (:func:`plan_deployment`): code becomes a tiny
   inline placeholder (Lambdas run in-process from their folder); resources moto cannot create or
   must not run are *served locally* instead - API Gateway (the HTTP gateway), ``AWS::Lambda::Url``
   (the gateway's ``/_fn/`` routes), event source mappings (the pollers), schedules (the ticker) -
   and resources that only glue those to a function (their ``AWS::Lambda::Permission``) go with
   them; types moto's CloudFormation does not know are skipped with a warning; Outputs that refer
   to anything not created, or ``GetAtt`` an attribute moto cannot produce, are left out;
   ``DependsOn`` is added for every reference so creation order never relies on moto's lazy
   look-ups; FIFO queues get the explicit ``.fifo`` name moto needs.

``DefinitionSubstitutions`` stay in the template: ``moto_patches`` teaches moto's state machine
model to fold them in after moto resolved their ``!GetAtt``/``!Ref`` values.

The transformed template is cached in memory and on disk (``<repo>/.local/cache``), keyed on the
template, every inlined definition file and the parameters, so a test suite that deploys once per
module pays for the translator once.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import logging
import os
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("infra.local")

#: Bump when the pre/post-processing changes, to invalidate on-disk caches.
LOADER_VERSION = "4"

CODE_MARKER_BUCKET = "cirrus-local-code"
TEMPLATE_FILE = "template.yaml"

#: Resource types the local cloud serves itself instead of creating them in moto, and by what.
LOCALLY_SERVED_TYPES: dict[str, str] = {
    "AWS::ApiGatewayV2::Api": "HTTP gateway",
    "AWS::ApiGatewayV2::Stage": "HTTP gateway",
    "AWS::ApiGatewayV2::Route": "HTTP gateway",
    "AWS::ApiGatewayV2::Integration": "HTTP gateway",
    "AWS::ApiGatewayV2::Deployment": "HTTP gateway",
    "AWS::ApiGatewayV2::Authorizer": "HTTP gateway (authorizers are not enforced locally)",
    "AWS::ApiGatewayV2::DomainName": "HTTP gateway",
    "AWS::ApiGatewayV2::ApiMapping": "HTTP gateway",
    "AWS::ApiGateway::RestApi": "HTTP gateway",
    "AWS::ApiGateway::Deployment": "HTTP gateway",
    "AWS::ApiGateway::Stage": "HTTP gateway",
    "AWS::ApiGateway::Account": "HTTP gateway",
    "AWS::Lambda::Url": "HTTP gateway (/_fn/<FunctionLogicalId>/)",
    "AWS::Lambda::EventSourceMapping": "queue poller",
    "AWS::Scheduler::Schedule": "schedule ticker",
    # Resource policies are not evaluated locally (moto enforces no IAM), so there is nothing to
    # create; cfn-lint and `sam validate` check them in the contract tests.
    "AWS::SQS::QueuePolicy": "not enforced locally (no IAM evaluation)",
    "AWS::SNS::TopicPolicy": "not enforced locally (no IAM evaluation)",
    # Customer email (ADR 0036): moto's SES keeps sent mail (the local mailbox reads it) but
    # publishes no configuration-set events; the sender identity is verified at deploy.
    "AWS::SES::EmailIdentity": "email identity verified at deploy (infra.local.deployment)",
    "AWS::SES::ConfigurationSet": "not enforced locally (moto's SES publishes no events)",
    "AWS::SES::ConfigurationSetEventDestination": "not enforced locally (moto's SES publishes no events)",
}

#: Types that only connect a locally served resource to something else; they follow it.
GLUE_TYPES = frozenset(
    {
        "AWS::Lambda::Permission",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Lambda::EventInvokeConfig",
    }
)


class TemplateError(Exception):
    """The template uses something the local cloud cannot serve."""


@dataclass(frozen=True)
class SkippedResource:
    logical_id: str
    type: str
    served_by: str | None  # None: not emulated at all
    reason: str


@dataclass
class PreparedTemplate:
    """The transformed template, split into what moto creates and what is served locally."""

    repo_root: Path
    digest: str
    parameters: dict[str, str]
    cfn_template: dict[str, Any]  # the full SAM-transformed template (code markers replaced)
    code_uris: dict[str, str]  # Lambda function logical id -> CodeUri (repo relative)
    layer_uris: dict[str, str]  # layer logical id -> ContentUri (repo relative)
    sam_template: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.cfn_template.get("Resources", {}))


@dataclass
class DeploymentPlan:
    deploy_template: dict[str, Any]  # what moto's CloudFormation creates
    skipped: dict[str, SkippedResource]  # everything else, and why
    skipped_outputs: dict[str, str]  # output name -> reason


# --------------------------------------------------------------------------- parsing


def parse_template_file(path: Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM YAML or JSON file, short-form intrinsics included."""
    from samtranslator.yaml_helper import yaml_parse

    parsed = yaml_parse(path.read_text(encoding="utf-8"))
    if not isinstance(parsed, dict):
        raise TemplateError(f"{path} is not a template")
    return parsed


def _local_path(repo_root: Path, uri: Any, what: str, logical_id: str) -> str:
    if not isinstance(uri, str) or uri.startswith("s3://"):
        raise TemplateError(f"{logical_id}: {what} must be a local path to run locally, got {uri!r}")
    path = (repo_root / uri).resolve()
    if not path.exists():
        log.warning("%s: %s %s does not exist (yet)", logical_id, what, uri)
    return os.path.relpath(path, repo_root).replace(os.sep, "/")


def _definition_files(sam: dict[str, Any]) -> list[str]:
    files = []
    for resource in (sam.get("Resources") or {}).values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::StateMachine":
            uri = (resource.get("Properties") or {}).get("DefinitionUri")
            if isinstance(uri, str):
                files.append(uri)
    return files


def _preprocess(
    repo_root: Path, sam: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    sam = copy.deepcopy(sam)
    function_globals = ((sam.get("Globals") or {}).get("Function")) or {}
    global_code_uri = function_globals.pop("CodeUri", None)
    code_uris: dict[str, str] = {}
    layer_uris: dict[str, str] = {}
    for logical_id, resource in (sam.get("Resources") or {}).items():
        rtype = resource.get("Type")
        props = resource.setdefault("Properties", {})
        if rtype == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            uri = props.pop("DefinitionUri")
            rel = _local_path(repo_root, uri, "DefinitionUri", logical_id)
            text = (repo_root / rel).read_text(encoding="utf-8")
            props["Definition"] = (
                json.loads(text) if rel.endswith(".json") else parse_template_file(repo_root / rel)
            )
        elif rtype == "AWS::Serverless::Function":
            if "InlineCode" in props:
                continue
            if "ImageUri" in props or props.get("PackageType") == "Image":
                raise TemplateError(f"{logical_id}: container-image functions cannot run locally")
            uri = props.get("CodeUri", global_code_uri)
            if uri is None:
                raise TemplateError(f"{logical_id}: no CodeUri")
            rel = _local_path(repo_root, uri, "CodeUri", logical_id)
            code_uris[logical_id] = rel
            props["CodeUri"] = f"s3://{CODE_MARKER_BUCKET}/{rel}"
        elif rtype == "AWS::Serverless::LayerVersion":
            rel = _local_path(repo_root, props.get("ContentUri"), "ContentUri", logical_id)
            layer_uris[logical_id] = rel
            props["ContentUri"] = f"s3://{CODE_MARKER_BUCKET}/{rel}"
        elif rtype == "AWS::Serverless::Application":
            raise TemplateError(f"{logical_id}: nested applications are not supported locally")
    return sam, code_uris, layer_uris


def _tiny_zip_b64() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("LOCAL.txt", "served from the repository by infra.local\n")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _postprocess_code(cfn: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Replace marker S3 code locations by inline placeholders; return logical id -> path."""
    functions: dict[str, str] = {}
    layers: dict[str, str] = {}
    for logical_id, resource in cfn.get("Resources", {}).items():
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Lambda::Function":
            code = props.get("Code") or {}
            if code.get("S3Bucket") == CODE_MARKER_BUCKET:
                functions[logical_id] = code["S3Key"].rstrip("/") or "."
                props["Code"] = {"ZipFile": f"# Served in-process by infra.local from {code['S3Key']}\n"}
        elif resource.get("Type") == "AWS::Lambda::LayerVersion":
            content = props.get("Content") or {}
            if content.get("S3Bucket") == CODE_MARKER_BUCKET:
                layers[logical_id] = content["S3Key"].rstrip("/") or "."
                props["Content"] = {"ZipFile": _tiny_zip_b64()}
    return functions, layers


# --------------------------------------------------------------------------- transform + cache

_memory_cache: dict[str, dict[str, Any]] = {}  # digest -> SAM-transformed template
_cache_lock = threading.Lock()


def _digest(repo_root: Path, template_path: Path, sam: dict[str, Any], parameters: dict[str, str]) -> str:
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(f"loader={LOADER_VERSION};sam={version('aws-sam-translator')}\n".encode())
    h.update(template_path.read_bytes())
    for rel in sorted(_definition_files(sam)):
        path = repo_root / rel
        h.update(rel.encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    h.update(json.dumps(parameters, sort_keys=True).encode())
    return h.hexdigest()[:24]


def load_template(
    repo_root: str | os.PathLike[str],
    parameters: dict[str, Any] | None = None,
    *,
    template: str = TEMPLATE_FILE,
    cache_dir: str | os.PathLike[str] | None = None,
    region: str = "us-east-1",
) -> PreparedTemplate:
    """Parse, pre-process and SAM-transform ``<repo_root>/<template>`` (cached)."""
    root = Path(repo_root).resolve()
    template_path = root / template
    params = {k: str(v) for k, v in (parameters or {}).items()}
    sam = parse_template_file(template_path)
    digest = _digest(root, template_path, sam, params)
    cache_file = Path(cache_dir) / f"template-{digest}.json" if cache_dir is not None else None
    with _cache_lock:
        transformed = _memory_cache.get(digest)
    if transformed is None and cache_file is not None and cache_file.exists():
        try:
            transformed = json.loads(cache_file.read_text(encoding="utf-8"))
        except ValueError:
            transformed = None
    if transformed is None:
        pre, _, _ = _preprocess(root, sam)
        transformed = _sam_transform(pre, params, region)
    if cache_file is not None and not cache_file.exists():
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(transformed), encoding="utf-8")
        tmp.replace(cache_file)
    with _cache_lock:
        _memory_cache[digest] = transformed
    cfn = copy.deepcopy(transformed)
    functions, layers = _postprocess_code(cfn)
    return PreparedTemplate(
        repo_root=root,
        digest=digest,
        parameters=params,
        cfn_template=cfn,
        code_uris=functions,
        layer_uris=layers,
        sam_template=sam,
    )


def _sam_transform(sam: dict[str, Any], parameters: dict[str, str], region: str) -> dict[str, Any]:
    if "Transform" not in sam:
        return sam  # plain CloudFormation
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session)
    result = translator.translate(sam, parameter_values=dict(parameters), get_managed_policy_map=lambda: {})
    return json.loads(json.dumps(result))  # plain dicts/lists only


# --------------------------------------------------------------------------- references


def iter_references(node: Any) -> Iterator[tuple[str, str | None]]:
    """Yield ``(logical_id, attribute)`` for every Ref / GetAtt / ${} in ``node``."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref" and isinstance(arg, str):
                yield arg, None
                return
            if fn == "Fn::GetAtt":
                if isinstance(arg, str):
                    arg = arg.split(".", 1)
                if isinstance(arg, list) and arg and isinstance(arg[0], str):
                    yield arg[0], (arg[1] if len(arg) > 1 and isinstance(arg[1], str) else None)
                    return
            if fn == "Fn::Sub":
                text, mapping = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
                local_names = set(mapping or {})
                if isinstance(text, str):
                    for match in re.finditer(r"\$\{([^!}][^}]*)\}", text):
                        name, _, attr = match.group(1).partition(".")
                        if name not in local_names:
                            yield name, attr or None
                yield from iter_references(mapping)
                return
        for value in node.values():
            yield from iter_references(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_references(value)


def _depends_on(resource: dict[str, Any]) -> list[str]:
    deps = resource.get("DependsOn") or []
    return [deps] if isinstance(deps, str) else list(deps)


def _referenced_ids(resource: dict[str, Any], resources: Iterable[str]) -> set[str]:
    known = set(resources)
    refs = {rid for rid, _ in iter_references(resource.get("Properties") or {}) if rid in known}
    refs.update(d for d in _depends_on(resource) if d in known)
    return refs


# --------------------------------------------------------------------------- plan


def _is_schedule_rule(resource: dict[str, Any]) -> bool:
    props = resource.get("Properties") or {}
    return (
        resource.get("Type") == "AWS::Events::Rule"
        and "ScheduleExpression" in props
        and "EventPattern" not in props
    )


def _classify(resources: dict[str, dict[str, Any]], supported: set[str]) -> dict[str, SkippedResource]:
    skipped: dict[str, SkippedResource] = {}
    for logical_id, resource in resources.items():
        rtype = resource.get("Type", "")
        if rtype in LOCALLY_SERVED_TYPES:
            skipped[logical_id] = SkippedResource(
                logical_id, rtype, LOCALLY_SERVED_TYPES[rtype], "served locally"
            )
        elif rtype == "AWS::Lambda::Permission" and {"FunctionUrlAuthType", "InvokedViaFunctionUrl"} & set(
            resource.get("Properties") or {}
        ):
            # the public-access permissions of a Function URL: the gateway serves the URL itself
            skipped[logical_id] = SkippedResource(
                logical_id, rtype, LOCALLY_SERVED_TYPES["AWS::Lambda::Url"], "served locally"
            )
        elif _is_schedule_rule(resource):
            # moto stores schedule rules but never fires them, and a schedule-only rule with a
            # Lambda target makes every events:PutEvents fail: the ticker fires it instead.
            skipped[logical_id] = SkippedResource(logical_id, rtype, "schedule ticker", "served locally")
        elif rtype not in supported:
            log.warning("%s (%s): moto's CloudFormation cannot create this type; skipped", logical_id, rtype)
            skipped[logical_id] = SkippedResource(
                logical_id, rtype, None, "not supported by moto's CloudFormation; not emulated"
            )
    return skipped


def _cascade(resources: dict[str, dict[str, Any]], skipped: dict[str, SkippedResource]) -> None:
    """Glue referring to a skipped resource goes with it; other references become placeholders."""
    changed = True
    while changed:
        changed = False
        for logical_id, resource in resources.items():
            if logical_id in skipped:
                continue
            referenced = {rid for rid, _ in iter_references(resource.get("Properties") or {})}
            gone = sorted(referenced & set(skipped))
            if not gone:
                continue
            rtype = resource.get("Type", "")
            if rtype in GLUE_TYPES:
                skipped[logical_id] = SkippedResource(
                    logical_id, rtype, skipped[gone[0]].served_by, f"refers to {', '.join(gone)}"
                )
                changed = True
            else:
                _replace_references(resource, set(gone))
                log.warning(
                    "%s refers to %s, which is not created in moto; references replaced by placeholders",
                    logical_id,
                    ", ".join(gone),
                )


def _filter_outputs(template: dict[str, Any], attribute_check: Any) -> dict[str, str]:
    resources = template.get("Resources", {})
    skipped_outputs: dict[str, str] = {}
    outputs = template.get("Outputs") or {}
    for name in list(outputs):
        value = outputs[name].get("Value") if isinstance(outputs[name], dict) else None
        for rid, attr in iter_references(value):
            if rid.startswith("AWS::") or rid in (template.get("Parameters") or {}):
                continue
            if rid not in resources:
                skipped_outputs[name] = f"refers to {rid}, which is served locally or skipped"
                break
            rtype = resources[rid].get("Type", "")
            if attr and attribute_check is not None and not attribute_check(rtype, attr):
                skipped_outputs[name] = f"moto cannot produce GetAtt {rid}.{attr}"
                break
        if name in skipped_outputs:
            del outputs[name]
    if not outputs:
        template.pop("Outputs", None)
    return skipped_outputs


def plan_deployment(
    prepared: PreparedTemplate, supported_types: Iterable[str], attribute_check: Any = None
) -> DeploymentPlan:
    """Split the template into what moto creates and what the local cloud serves (or skips).

    ``supported_types`` are the resource types moto's CloudFormation can create;
    ``attribute_check(type, attr) -> bool`` tells whether moto can produce a ``GetAtt``.
    """
    template = copy.deepcopy(prepared.cfn_template)
    resources: dict[str, dict[str, Any]] = template.setdefault("Resources", {})
    skipped = _classify(resources, set(supported_types))
    _cascade(resources, skipped)
    for logical_id in skipped:
        resources.pop(logical_id, None)

    for logical_id, resource in resources.items():
        props = resource.setdefault("Properties", {})
        if resource.get("Type") == "AWS::SQS::Queue" and str(props.get("FifoQueue")).lower() == "true":
            props.setdefault("QueueName", {"Fn::Sub": "${AWS::StackName}-" + logical_id + ".fifo"})
        # Explicit order: never rely on moto's lazy creation of referenced resources.
        deps = sorted(_referenced_ids(resource, resources) - {logical_id})
        if deps:
            resource["DependsOn"] = sorted(set(_depends_on(resource)) | set(deps))
        elif "DependsOn" in resource:
            resource["DependsOn"] = [d for d in _depends_on(resource) if d in resources]

    skipped_outputs = _filter_outputs(template, attribute_check)
    return DeploymentPlan(deploy_template=template, skipped=skipped, skipped_outputs=skipped_outputs)


def _replace_references(node: Any, gone: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if isinstance(value, dict) and len(value) == 1:
                refs = {rid for rid, _ in iter_references(value)}
                if refs and refs <= gone | {r for r in refs if r.startswith("AWS::")} and refs & gone:
                    node[key] = f"local:{'/'.join(sorted(refs & gone))}"
                    continue
            _replace_references(value, gone)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, dict) and len(value) == 1:
                refs = {rid for rid, _ in iter_references(value)}
                if refs and refs & gone:
                    node[index] = f"local:{'/'.join(sorted(refs & gone))}"
                    continue
            _replace_references(value, gone)
