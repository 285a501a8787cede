"""Benchmark: compile a 500-node graph (goal < 1 s) and export + verify ResNet-18 to ONNX on
the CPU (goal < 10 s). Prints JSON. Run by hand: ``python bench/compile_export.py``."""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from cnnstudio.compiler import build_model
from cnnstudio.compiler.export_onnx import export_onnx
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.shapes import analyse


def residual_graph(blocks: int = 124) -> Graph:
    """Input, ``blocks`` residual blocks of 4 nodes, a 3-node head: 500 nodes."""
    b = GraphBuilder()
    x = b.input(16, 32, 32)
    for _ in range(blocks):
        y = b.add("Conv2d", x, filters=16, padding="same", bias=False)
        y = b.add("BatchNorm", y)
        y = b.add("ReLU", y)
        x = b.add("Add", x, y)
    x = b.add("GlobalAvgPool", x)
    x = b.add("Dense", x, units=10)
    b.add("Softmax", x)
    return b.graph


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    graph = residual_graph()
    nodes = len(graph.nodes)
    build_model(graph)  # warm-up (first-call costs of torch.fx)
    compile_s = best_of(3, lambda: build_model(graph))
    analyse_s = best_of(3, lambda: analyse(graph))
    result: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, "
                   f"{torch.get_num_threads()} torch threads, torch {torch.__version__}",
        "compile_500_nodes": {"nodes": nodes, "seconds": round(compile_s, 3),
                              "of_which_shape_analysis_s": round(analyse_s, 3),
                              "goal_s": 1.0, "met": compile_s < 1.0},
    }
    if "resnet18" not in PRESETS:
        result["onnx_resnet18"] = "preset not available yet"
    else:
        rgraph = build_preset("resnet18", layout=False)
        start = time.perf_counter()
        rmodel = build_model(rgraph)
        rcompile = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as tmp:
            cold = export_onnx(rmodel, Path(tmp) / "resnet18.onnx")
            warm = export_onnx(rmodel, Path(tmp) / "again.onnx")
        result["onnx_resnet18"] = {
            "input": list(PRESETS["resnet18"].input_shape), "nodes": len(rgraph.nodes),
            "compile_s": round(rcompile, 3),
            "first_export_and_verify_s": round(cold.seconds, 2),
            "first_export_phases_s": {k: round(v, 2) for k, v in cold.timings.items()},
            "next_export_and_verify_s": round(warm.seconds, 2),
            "next_export_phases_s": {k: round(v, 2) for k, v in warm.timings.items()},
            "goal_s": 10.0, "met": warm.seconds < 10.0 and cold.seconds < 10.0,
            "exporter": cold.exporter, "opset": cold.opset,
            "file_bytes": cold.file_size,
            "max_abs_diff": {str(k): v for k, v in cold.max_abs_diff.items()},
            "note": "the first export in a process also loads the exporter's function tables",
        }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
