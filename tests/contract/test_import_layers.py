"""The shared package's import layers, read from the source (ast; nothing is imported).

- No import cycles among the use cases (oms.services.*), nor among the outer layers
  (config, runtime, adapters, data, services, api), counting imports inside functions too:
  a function-level import hides a cycle, it does not remove it.
- The domain is pure: no boto3/botocore/pynamodb, no os.environ / os.getenv, and no import
  of an outer layer.
- The data layer does not reach up into the use cases or the routes.

Imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "oms"
OUTER_LAYERS = ("oms.config", "oms.runtime", "oms.adapters", "oms.data", "oms.services", "oms.api")
INFRASTRUCTURE = ("boto3", "botocore", "pynamodb")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted((PACKAGE_ROOT / "oms").rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree except those under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imported_names(module: str, path: Path) -> set[str]:
    """Dotted names a module imports (a `from a import b` counts as `a` and `a.b`)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


IMPORTS: dict[str, set[str]] = {m: _imported_names(m, p) for m, p in MODULES.items()}


def _graph(members: set[str]) -> dict[str, set[str]]:
    return {m: {n for n in IMPORTS[m] if n in members and n != m} for m in members}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(graph: dict[str, set[str]], cycles: list[list[str]]) -> str:
    lines = []
    for cycle in cycles:
        lines.append("cycle: " + ", ".join(cycle))
        lines.extend(f"  {m} -> {sorted(graph[m] & set(cycle))}" for m in cycle)
    return "\n".join(lines)


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_package_is_found() -> None:
    assert {"oms.services.orders", "oms.services.fulfilment", "oms.config", "oms.runtime"} <= set(MODULES)


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    "scope",
    [("oms.services",), OUTER_LAYERS],
    ids=["services", "outer-layers"],
)
def test_no_import_cycles(scope: tuple[str, ...]) -> None:
    graph = _graph({m for m in MODULES if _under(m, scope)})
    cycles = _cycles(graph)
    assert not cycles, "import cycles (move the shared piece down a layer):\n" + _describe(graph, cycles)


def test_config_and_runtime_import_one_way() -> None:
    assert "oms.config" in IMPORTS["oms.runtime"]
    assert not {n for n in IMPORTS["oms.config"] if _under(n, ("oms.runtime",))}


DOMAIN = sorted(m for m in MODULES if _under(m, ("oms.domain",)))


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_is_pure(module: str) -> None:
    imported = IMPORTS[module]
    infrastructure = sorted(n for n in imported if _under(n, INFRASTRUCTURE))
    outer = sorted(n for n in imported if _under(n, OUTER_LAYERS))
    environment = sorted(
        f"line {node.lineno}: os.{node.attr}"
        for node in _runtime_nodes(ast.parse(MODULES[module].read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "putenv")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )
    from_os = sorted(n for n in imported if n in ("os.environ", "os.getenv"))
    assert not (infrastructure or outer or environment or from_os), (
        f"{module} must stay pure: {infrastructure + outer + environment + from_os}"
    )


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _under(m, ("oms.data",))))
def test_the_data_layer_does_not_reach_up(module: str) -> None:
    upward = sorted(n for n in IMPORTS[module] if _under(n, ("oms.services", "oms.api")))
    assert not upward, f"{module} imports {upward}"
