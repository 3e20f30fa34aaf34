"""Run every benchmark in this folder and print its figures: `make bench [BENCH=substring]`.

A benchmark is a module ``scripts/bench/bench_<name>.py`` with a function ``run()`` that returns
a list of figures (or one figure), each a dict::

    {"name": "api import", "value": 123.4, "unit": "ms",
     "target": 500, "higher_is_better": False,          # both optional
     "note": "median of 5"}                             # optional

The runner prints one line per figure, marks it OK / MISS against its target, and exits 1 if a
figure misses its target or a benchmark raises. A benchmark may return None (it printed itself),
or raise ``benchlib.SkipBenchmark("reason")`` when it cannot run here (``benchlib.figure``
builds a figure). ``--json FILE`` also writes all
figures to FILE. The repository root and ``layers/oms`` are importable from every benchmark.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (ROOT / "layers" / "oms", ROOT, HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from benchlib import SkipBenchmark  # noqa: E402

# Business metrics (EMF documents on stdout) would bury the figures; they cost nothing measurable.
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def _verdict(fig: dict[str, Any]) -> str:
    target = fig.get("target")
    if target is None:
        return ""
    higher = fig.get("higher_is_better", False)
    ok = fig["value"] >= target if higher else fig["value"] <= target
    fig["ok"] = ok
    return f"{'OK  ' if ok else 'MISS'} (target {'>=' if higher else '<='} {target:g} {fig.get('unit', '')})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("only", nargs="*", help="run benchmarks whose name contains one of these")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)

    paths = sorted(HERE.glob("bench_*.py"))
    if args.only:
        paths = [p for p in paths if any(o in p.stem for o in args.only)]
    if not paths:
        print("bench: no benchmarks matched")
        return 1

    results: dict[str, Any] = {}
    failed = False
    for path in paths:
        name = path.stem.removeprefix("bench_")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            figures = _load(path).run()
        except SkipBenchmark as exc:
            print(f"   skipped: {exc}")
            results[name] = {"skipped": str(exc)}
            continue
        except Exception:
            traceback.print_exc()
            print(f"   ERROR in {path.name}")
            results[name] = {"error": traceback.format_exc(limit=3)}
            failed = True
            continue
        figures = [figures] if isinstance(figures, dict) else list(figures or [])
        for fig in figures:
            verdict = _verdict(fig)
            failed |= fig.get("ok") is False
            note = f"  [{fig['note']}]" if fig.get("note") else ""
            print(f"   {fig['name']:<44} {fig['value']:>12,.1f} {fig.get('unit', ''):<8} {verdict}{note}")
        results[name] = {"figures": figures, "seconds": round(time.perf_counter() - started, 2)}

    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"bench: wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
