"""Benchmark: shape inference on graphs of 100, 1,000 and 5,000 nodes, and an incremental
re-check after one parameter edit. Prints JSON. Run by hand: python bench/shape_engine.py

Goals (issue #2): 1,000 nodes in under 20 ms, an incremental edit in under 2 ms, time growing
linearly (the per-node time should stay flat from 100 to 5,000 nodes).
The graph mixes what real networks hold: residual blocks (conv, batchnorm, relu, add) and
dense-style concats, so merges and explanations are exercised, not just a chain.
"""

from __future__ import annotations

import json
import statistics
import time

from cnnstudio.core import ShapeEngine
from cnnstudio.core.builder import GraphBuilder


def residual_graph(nodes: int) -> tuple[GraphBuilder, list[str]]:
    b = GraphBuilder()
    x = b.input(3, 64, 64)
    convs = []
    while len(b.graph.nodes) < nodes - 8:
        y = b.add("Conv2d", x, filters=16, kernel=3, padding="same")
        convs.append(y)
        y = b.add("BatchNorm", y)
        y = b.add("ReLU", y)
        y = b.add("Conv2d", y, filters=16, kernel=3, padding="same")
        convs.append(y)
        y = b.add("BatchNorm", y)
        if len(b.graph.nodes) > 10 and len(convs) % 4 == 0:
            x = b.add("Concat", x, y)
            x = b.add("Conv2d", x, filters=16, kernel=1)
        else:
            x = b.add("Add", x, y) if b.graph.nodes[x].kind != "Input" else y
    x = b.add("GlobalAvgPool", x)
    b.add("Dense", x, units=10)
    return b, convs


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def measure(n: int) -> dict[str, float]:
    b, convs = residual_graph(n)
    count = len(b.graph.nodes)

    def full() -> None:
        ShapeEngine(b.graph, follow=False).analysis()

    full_best, full_median = best_of(full, 7)
    engine = ShapeEngine(b.graph)
    engine.analysis()
    middle = convs[len(convs) // 2]
    toggle = [3, 5]
    recomputed = []

    def edit() -> None:
        toggle.reverse()
        b.graph.set_param(middle, "kernel", toggle[0])  # same shape: a local re-check
        engine.analysis()
        recomputed.append(engine.recomputed)

    edit_best, edit_median = best_of(edit, 50)
    resize = [16, 8]

    def edit_channels() -> None:
        resize.reverse()
        b.graph.set_param(convs[-2], "filters", resize[0])  # changes the next node's count
        engine.analysis()

    ch_best, ch_median = best_of(edit_channels, 50)
    return {
        "nodes": count,
        "full_ms": round(full_best * 1e3, 3),
        "full_median_ms": round(full_median * 1e3, 3),
        "full_us_per_node": round(full_best * 1e6 / count, 2),
        "edit_ms": round(edit_best * 1e3, 4),
        "edit_median_ms": round(edit_median * 1e3, 4),
        "edit_recomputed_nodes": max(recomputed),
        "edit_channels_ms": round(ch_best * 1e3, 4),
    }


def main() -> None:
    results = [measure(n) for n in (100, 1000, 5000)]
    per_node = [r["full_us_per_node"] for r in results]
    k1000 = next(r for r in results if 900 <= r["nodes"] <= 1100)
    print(json.dumps({
        "benchmark": "shape_engine",
        "results": results,
        "goals": {
            "full_1000_under_20ms": k1000["full_ms"] < 20,
            "edit_under_2ms": all(r["edit_ms"] < 2 for r in results),
            "linear_growth_ratio_5000_vs_100_per_node": round(per_node[-1] / per_node[0], 2),
        },
    }, indent=2))


if __name__ == "__main__":
    main()
