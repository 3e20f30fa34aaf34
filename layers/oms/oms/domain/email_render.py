"""Rendering email templates (Jinja2) in a sandbox (ADR 0036).

A tenant's template is untrusted code: it runs in a `SandboxedEnvironment` (no attribute of
Python's internals, no `str.format`, no filesystem: the only loader holds the built-in layouts),
HTML autoescaped, with a short list of filters, `range` capped, `*`/`**`/`%` checked so no operand
builds a huge value, loops nested at most 2 deep, and the output cut off at a size limit. A
template is validated by compiling it and rendering a sample order (errors name the line)."""

from __future__ import annotations

import operator
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import DictLoader, StrictUndefined, TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.sandbox import SandboxedEnvironment

MAX_OUTPUT = 400_000  # characters of one rendered part
MAX_RANGE = 1000
MAX_LOOP_DEPTH = 2
MAX_OPERAND = 10_000  # a number multiplying / raising / formatting a value
ALLOWED_FILTERS = frozenset(
    {
        "abs", "capitalize", "default", "d", "e", "escape", "first", "float", "int", "join",
        "last", "length", "lower", "replace", "round", "safe", "string", "title", "trim",
        "truncate", "upper", "urlencode", "count", "list", "sort", "striptags", "batch",
    }
)  # fmt: skip


class TemplateProblem(Exception):
    """A template that does not compile or render: `part` (subject/html/text), `line`, `message`."""

    def __init__(self, part: str, line: int | None, message: str) -> None:
        super().__init__(f"{part} line {line}: {message}" if line else f"{part}: {message}")
        self.part = part
        self.line = line
        self.message = message


class _Env(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        for value in (left, right):
            if isinstance(value, int | float) and abs(value) > MAX_OPERAND:
                raise TemplateError(f"a number in `{op}` is larger than {MAX_OPERAND}")
        if op == "*":
            seq, times = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if (
                isinstance(seq, str | list | tuple)
                and isinstance(times, int)
                and len(seq) * abs(times) > MAX_OUTPUT
            ):
                raise TemplateError("a repeated value would be too large")
        if op == "%" and isinstance(left, str) and ("%" in left and any(ch.isdigit() for ch in left)):
            raise TemplateError("`%` formatting with widths is not allowed; use filters")
        return {"*": operator.mul, "**": operator.pow, "%": operator.mod}[op](left, right)

    def wrap_str_format(self, value: Any) -> None:
        return None  # no str.format / format_map at all (widths build huge strings): see below

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in (
            "format",
            "format_map",
            "center",
            "ljust",
            "rjust",
            "zfill",
            "expandtabs",
        ):
            return False
        if isinstance(value, types.MethodType | types.BuiltinMethodType) and not isinstance(obj, str | dict):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise TemplateError(f"range() is limited to {MAX_RANGE} items")
    return rng


def _environment(html: bool, strict: bool, layouts: Mapping[str, str]) -> _Env:
    env = _Env(
        autoescape=html,
        undefined=StrictUndefined if strict else Undefined,
        loader=DictLoader(dict(layouts)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters = {k: v for k, v in env.filters.items() if k in ALLOWED_FILTERS}
    env.globals = {
        "range": _safe_range,
        "dict": dict,
        "lipsum": None,
        "cycler": None,
        "joiner": None,
        "namespace": None,
    }
    return env


def _loop_depth(node: nodes.Node, depth: int = 0) -> int:
    deepest = depth
    for child in node.iter_child_nodes():
        inner = depth + 1 if isinstance(child, nodes.For) else depth
        deepest = max(deepest, _loop_depth(child, inner))
    return deepest


def _template_line(exc: BaseException) -> int | None:
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line if isinstance(line, int) else None


def render_part(
    part: str, source: str, context: Mapping[str, Any], layouts: Mapping[str, str], *, strict: bool = False
) -> str:
    """One part (subject, html or text) rendered; TemplateProblem names the line when it fails."""
    env = _environment(part == "html", strict, layouts)
    try:
        tree = env.parse(source)
        if _loop_depth(tree) > MAX_LOOP_DEPTH:
            raise TemplateProblem(part, None, f"loops nest at most {MAX_LOOP_DEPTH} deep")
        template = env.from_string(source)
        out: list[str] = []
        size = 0
        for chunk in template.generate(**dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateProblem(part, None, f"renders to more than {MAX_OUTPUT} characters")
            out.append(chunk)
    except TemplateProblem:
        raise
    except TemplateSyntaxError as exc:
        raise TemplateProblem(part, exc.lineno, exc.message or "syntax error") from exc
    except (
        TemplateError,
        TypeError,
        ValueError,
        ArithmeticError,
        AttributeError,
        LookupError,
        RecursionError,
    ) as exc:
        raise TemplateProblem(part, _template_line(exc), str(exc)[:300] or type(exc).__name__) from exc
    text = "".join(out)
    return " ".join(text.split())[:998] if part == "subject" else text


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def render(
    template: Mapping[str, str],
    context: Mapping[str, Any],
    layouts: Mapping[str, str],
    *,
    strict: bool = False,
) -> Rendered:
    """A whole template {"subject","html","text"} rendered with `context`."""
    return Rendered(
        subject=render_part("subject", template["subject"], context, layouts, strict=strict),
        html=render_part("html", template["html"], context, layouts, strict=strict),
        text=render_part("text", template["text"], context, layouts, strict=strict),
    )
