"""Per-category attribute schemas (pure): JSON Schema Draft 2020-12 documents held as data, checked
when they are written and applied to a product's `attributes` (ADR 0026).

The `jsonschema` library does the work (the meta-schema check of a schema, the validation of
attributes); this module adds what a schema written by a tenant must also respect here:

* it is an object of at most MAX_SCHEMA_BYTES as JSON, Draft 2020-12 (`$schema` absent or that
  draft), describing an object (`type`, if given, allows "object");
* no reference leaves the document: every `$ref` is a JSON pointer into it ("#" or "#/...") that
  resolves; no `$id`, `$dynamicRef` or `$recursiveRef`; nothing is ever fetched (the validator
  gets a registry that holds no other document and cannot retrieve one);
* at most MAX_REFS references, none going round in a circle without consuming the instance (an
  endless loop when validating), and no regular expression nesting an open-ended quantifier inside
  another (`(a+)+`: exponential time on a crafted value).

Problems come back as `{"path", "loc", "msg", "type"}`: `path` is the JSON pointer of the problem
(in the schema, or in the attributes), `loc` the same as the other validation errors of the API
(`["body", "attributes", ...]`), `type` the JSON Schema keyword that failed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema_specifications import REGISTRY as META_SCHEMAS
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DRAFT = "https://json-schema.org/draft/2020-12/schema"
MAX_SCHEMA_BYTES = 16 * 1024
MAX_REFS = 20
MAX_PROBLEMS = 50
MAX_MESSAGE = 300
_ROOT = "urn:cirrus:attribute-schema"
_FORBIDDEN_KEYWORDS = ("$id", "$dynamicRef", "$recursiveRef")
# keywords whose subschemas apply to the same instance: a `$ref` cycle through these alone never ends
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_MANY = ("allOf", "anyOf", "oneOf")
_IN_PLACE_MAP = ("dependentSchemas",)

# `format` is asserted for these only: they need no optional package, so the API answers the same
# wherever it runs (jsonschema checks more formats when more packages happen to be installed)
FORMATS = ("date", "email", "ipv4", "ipv6", "regex", "uuid")
_FORMAT_CHECKER = FormatChecker(formats=FORMATS)
_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, registry=META_SCHEMAS, format_checker=FormatChecker(formats=("regex",))
)


def pointer(parts: Any) -> str:
    """RFC 6901: "" for the whole document, "/a/0/b~1c" for a["a"][0]["b/c"]."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _problem(where: str, parts: list[Any], msg: str, kind: str) -> dict[str, Any]:
    text = msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 3] + "..."
    return {
        "path": pointer(parts),
        "loc": ["body", where, *[str(p) for p in parts]],
        "msg": text,
        "type": kind,
    }


def _walk(value: Any, parts: list[Any]) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Every object in the document with its location, depth first (iteratively)."""
    stack: list[tuple[Any, list[Any]]] = [(value, parts)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            yield where, current
            stack.extend((v, [*where, k]) for k, v in reversed(current.items()))
        elif isinstance(current, list):
            stack.extend((v, [*where, i]) for i, v in reversed(list(enumerate(current))))


def _in_place_refs(schema: Any) -> Iterator[str]:
    """The `$ref`s that apply to the same instance as `schema` does (not to a part of it)."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        yield ref
    subschemas: list[Any] = [schema.get(key) for key in _IN_PLACE_ONE]
    for key in _IN_PLACE_MANY:
        value = schema.get(key)
        subschemas.extend(value if isinstance(value, list) else [])
    for key in _IN_PLACE_MAP:
        value = schema.get(key)
        subschemas.extend(value.values() if isinstance(value, dict) else [])
    for sub in subschemas:
        yield from _in_place_refs(sub)


def _same(ref: str) -> str:
    return "#" if ref in ("#", "#/") else ref


def _circular(targets: dict[str, Any]) -> str | None:
    """A reference (of `targets`: reference -> the schema it resolves to, "#" the root) that leads
    back to itself through in-place keywords only: validating would never end."""
    graph = {ref: {_same(r) for r in _in_place_refs(target)} for ref, target in targets.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(ref: str) -> str | None:
        state[ref] = 1
        for nxt in sorted(graph.get(ref, ())):
            if state.get(nxt) == 1:
                return nxt
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[ref] = 2
        return None

    for ref in sorted(graph):
        if ref not in state and (found := visit(ref)) is not None:
            return found
    return None


def _regex_problem(expression: str) -> str | None:
    """An open-ended quantifier whose body is nothing but open-ended quantifiers and optional parts
    (`(a+)+`, `(\\w+\\s?)*`, `(a|b+)+`): backtracking on a crafted value takes exponential time.
    A body with a part it must match (`([a-z]+-)*`) or fixed counts (`(\\d{3})+`) is left alone.
    A heuristic: it does not catch every slow expression (overlapping alternatives such as
    `(a|a)*`); what it misses is bounded by the attributes' size cap and the function's timeout,
    and slows only writes of the products of the tenant whose SUPERADMIN wrote the schema."""
    try:
        import re._constants as sre
        import re._parser as sre_parse
    except ImportError:  # pragma: no cover - a Python without this parser: no extra check
        return None
    try:
        parsed = sre_parse.parse(expression)
    except Exception:  # the meta-schema check reports a pattern that does not compile
        return None
    repeats = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)

    def open_ended(arg: Any) -> bool:
        low, high, _ = arg
        return bool(high > low and high > 1)

    def inner(op: Any, arg: Any) -> list[Any]:
        if op in repeats:
            return [arg[2]]
        if op is sre.SUBPATTERN:
            return [arg[-1]]
        if op is sre.BRANCH:
            return list(arg[1])
        return [arg[1]] if op in (sre.ASSERT, sre.ASSERT_NOT) else []

    def kind(op: Any, arg: Any) -> str:
        """'open': can repeat without end; 'empty': may match nothing; 'fixed': must match a part."""
        if op in repeats:
            return "open" if open_ended(arg) else "empty" if arg[0] == 0 else "fixed"
        if op is sre.SUBPATTERN:
            return "open" if only_open_repeats(arg[-1]) else "fixed"
        if op is sre.BRANCH:
            return "open" if any(only_open_repeats(branch) for branch in arg[1]) else "fixed"
        return "empty" if op is sre.AT else "fixed"

    def only_open_repeats(items: Any) -> bool:
        kinds = {kind(op, arg) for op, arg in items}
        return "open" in kinds and "fixed" not in kinds

    def slow(items: Any) -> bool:
        return any(
            (op in repeats and open_ended(arg) and only_open_repeats(arg[2]))
            or any(slow(sub) for sub in inner(op, arg))
            for op, arg in items
        )

    return "nested open-ended quantifiers take exponential time on some values" if slow(parsed) else None


def _regexes(schema: dict[str, Any], where: list[Any]) -> Iterator[tuple[list[Any], str]]:
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        yield [*where, "pattern"], pattern
    patterns = schema.get("patternProperties")
    if isinstance(patterns, dict):
        for key in patterns:
            yield [*where, "patternProperties", key], key


def schema_problems(schema: Any) -> list[dict[str, Any]]:
    """What is wrong with `schema` as a category's attribute schema ([] when nothing)."""
    where = "attribute_schema"
    if not isinstance(schema, dict):
        return [_problem(where, [], "an attribute schema is a JSON object", "type")]
    size = len(json.dumps(schema, separators=(",", ":")).encode())
    if size > MAX_SCHEMA_BYTES:
        return [
            _problem(where, [], f"the schema takes {size} bytes as JSON; at most {MAX_SCHEMA_BYTES}", "size")
        ]
    if "$schema" in schema and schema["$schema"] != DRAFT:
        return [
            _problem(where, ["$schema"], f"only JSON Schema Draft 2020-12 ({DRAFT}) is supported", "$schema")
        ]
    problems = [
        _problem(where, list(e.absolute_path), e.message, str(e.validator))
        for e in sorted(_META.iter_errors(schema), key=lambda e: pointer(e.absolute_path))
    ][:MAX_PROBLEMS]
    if problems:
        return problems
    kind = schema.get("type")
    if kind is not None and "object" not in (kind if isinstance(kind, list) else [kind]):
        problems.append(
            _problem(where, ["type"], "attributes are a JSON object: type must allow 'object'", "type")
        )
    refs: list[tuple[list[Any], str]] = []
    for parts, node in _walk(schema, []):
        for keyword in _FORBIDDEN_KEYWORDS:
            if isinstance(node.get(keyword), str):
                problems.append(
                    _problem(
                        where,
                        [*parts, keyword],
                        f"{keyword} is not supported: refer within the document",
                        keyword,
                    )
                )
        ref = node.get("$ref")
        if isinstance(ref, str):
            refs.append(([*parts, "$ref"], ref))
        for at, expression in _regexes(node, parts):
            trouble = _regex_problem(expression)
            if trouble:
                problems.append(_problem(where, at, trouble, "pattern"))
    if len(refs) > MAX_REFS:
        problems.append(
            _problem(where, [], f"at most {MAX_REFS} $ref in a schema; it has {len(refs)}", "$ref")
        )
    resolver = Registry().with_resource(_ROOT, DRAFT202012.create_resource(schema)).resolver(_ROOT)
    resolved: dict[str, Any] = {"#": schema}
    for at, ref in refs:
        if ref != "#" and not ref.startswith("#/"):
            problems.append(
                _problem(
                    where, at, "a $ref must point into this schema ('#/...'); nothing is fetched", "$ref"
                )
            )
            continue
        try:
            target = resolver.lookup(ref).contents
        except Exception:  # Unresolvable, or a pointer step that is no index of a list
            problems.append(_problem(where, at, f"{ref} points to nothing in this schema", "$ref"))
            continue
        # a pointer may lead anywhere, into an `enum` or a `default` too: what it finds must be a schema
        if not isinstance(target, dict | bool) or any(True for _ in _META.iter_errors(target)):
            problems.append(_problem(where, at, f"{ref} points to something that is not a schema", "$ref"))
            continue
        resolved[_same(ref)] = target
    if not problems:
        loop = _circular(resolved)
        if loop is not None:
            problems.append(
                _problem(where, [], f"{loop} refers back to itself without descending into a value", "$ref")
            )
    return problems[:MAX_PROBLEMS]


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    registry: Registry[Any] = Registry()
    return Draft202012Validator(schema, registry=registry, format_checker=_FORMAT_CHECKER)


def _details(error: ValidationError, pending: dict[tuple[Any, ...], Iterator[str]]) -> list[dict[str, Any]]:
    """One problem per missing or unexpected property, pointing at it; else the error as it is."""
    where = "attributes"
    parts = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        key = (*parts, "required", id(error.schema))
        if key not in pending:
            pending[key] = iter([p for p in error.validator_value if p not in instance])
        missing = next(pending[key], None)
        if missing is not None:
            return [_problem(where, [*parts, missing], "is required", "required")]
    if (
        error.validator == "additionalProperties"
        and error.validator_value is False
        and isinstance(instance, dict)
        and isinstance(error.schema, dict)
    ):
        known = error.schema.get("properties") or {}
        patterns = list((error.schema.get("patternProperties") or {}).keys())
        extra = [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]
        if extra:
            return [
                _problem(where, [*parts, k], "is not an attribute of this category", "additionalProperties")
                for k in extra
            ]
    return [_problem(where, parts, error.message, str(error.validator))]


def attribute_problems(schema: dict[str, Any], attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """What in `attributes` the category's `schema` refuses ([] when nothing), by path.
    A schema that cannot be evaluated (one stored that the checks of the day would refuse) is a
    problem at the root, never an exception: its author is a tenant, not us."""
    problems: list[dict[str, Any]] = []
    pending: dict[tuple[Any, ...], Iterator[str]] = {}
    try:
        for error in _validator(schema).iter_errors(attributes):
            problems.extend(_details(error, pending))
            if len(problems) >= MAX_PROBLEMS:
                break
    except Exception:  # Unresolvable, RecursionError: whatever a stored schema makes the library do
        return [_problem("attributes", [], "the category's attribute schema cannot be evaluated", "schema")]
    return sorted(problems, key=lambda p: (p["path"], p["type"]))[:MAX_PROBLEMS]
