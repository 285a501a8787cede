"""Benchmark: build (with layout), validate (shape analysis) and compile every preset.
Prints JSON. Run by hand: python bench/presets.py [--no-compile] [--repeat N] [ids ...]

Goal (presets issue): every preset under 0.5 s to build and validate. Compiling is timed
only when the compiler (``cnnstudio.compiler.build_model``) imports; it includes PyTorch's
weight initialisation, which dominates for the large dense layers of AlexNet / VGG.
Each figure is the median of ``--repeat`` runs (compile: one run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from cnnstudio.core.layout import apply_layout
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse

GOAL_S = 0.5


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _compiler() -> Callable[..., Any] | None:
    try:
        from cnnstudio.compiler import build_model
    except ImportError as exc:
        print(f"compiler not available ({exc}); compile times left out", file=sys.stderr)
        return None
    return build_model


def bench(preset_id: str, repeat: int, build_model: Callable[..., Any] | None) -> dict[str, Any]:
    build_s, graph = _median(lambda: build_preset(preset_id, layout=False), repeat)
    layout_s, _ = _median(lambda: apply_layout(graph), repeat)
    validate_s, analysis = _median(lambda: analyse(graph), repeat)
    row: dict[str, Any] = {
        "id": preset_id, "nodes": len(graph.nodes), "edges": len(graph.edges),
        "groups": len({n.group for n in graph.nodes.values() if n.group}),
        "params": analysis.total("params"), "keras_params": analysis.total("keras_params"),
        "valid": analysis.ok,
        "build_s": round(build_s, 4), "layout_s": round(layout_s, 4),
        "validate_s": round(validate_s, 4),
        "build_layout_validate_s": round(build_s + layout_s + validate_s, 4),
    }
    row["under_goal"] = row["build_layout_validate_s"] < GOAL_S
    if build_model is not None:
        start = time.perf_counter()
        model = build_model(graph)
        row["compile_s"] = round(time.perf_counter() - start, 3)
        row["compiled_params"] = sum(p.numel() for p in model.parameters())
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="preset ids (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)
    build_model = None if args.no_compile else _compiler()
    rows = [bench(p, args.repeat, build_model) for p in (args.ids or list(PRESETS))]
    worst = max(rows, key=lambda r: r["build_layout_validate_s"])
    print(json.dumps({
        "goal_s": GOAL_S,
        "all_under_goal": all(r["under_goal"] for r in rows),
        "slowest": {"id": worst["id"], "build_layout_validate_s": worst["build_layout_validate_s"]},
        "presets": rows,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
