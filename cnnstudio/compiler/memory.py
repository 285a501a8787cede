"""A bound on memory at compile time: a graph whose weights alone would not fit is refused.

``weights_issue(graph, analysis, memory)`` is a pure function of the graph: it sums the shape
engine's parameter counts (float32, ``BYTES_PER_PARAM`` each) and returns an ``Issue`` pinned
to the largest node when they exceed ``WEIGHT_SHARE`` of ``memory`` bytes. ``build_model``
checks it before any tensor is allocated, with ``physical_memory()``.
"""

from __future__ import annotations

from cnnstudio.core.graph import Graph
from cnnstudio.core.memory import UNKNOWN_MEMORY, physical_memory
from cnnstudio.core.shapes import Analysis, Issue

__all__ = ["UNKNOWN_MEMORY", "physical_memory", "weights_issue"]

BYTES_PER_PARAM = 4  # float32
#: the share of the machine's memory the weights may take (training needs several times more)
WEIGHT_SHARE = 0.5


def count(n: float) -> str:
    """``38_654_705_664`` as ``38.7 G``; small counts as they are."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)}"


def gigabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB"


def weights_issue(graph: Graph, analysis: Analysis, memory: int) -> Issue | None:
    """An ``Issue`` when the weights of ``graph`` need more than ``WEIGHT_SHARE`` of
    ``memory`` bytes, else None."""
    params = {nid: info.params for nid, info in analysis.infos.items() if info.params}
    total = sum(params.values())
    limit = WEIGHT_SHARE * memory
    if total * BYTES_PER_PARAM <= limit:
        return None
    largest = max(params, key=lambda nid: params[nid])
    name = graph.nodes[largest].name
    message = (f"{name} needs {count(params[largest])} parameters "
               f"({gigabytes(params[largest] * BYTES_PER_PARAM)} as float32)")
    if params[largest] * BYTES_PER_PARAM <= limit:  # it fits alone: the sum does not
        message += (f"; the network needs {count(total)} "
                    f"({gigabytes(total * BYTES_PER_PARAM)})")
    message += (f"; this machine has {gigabytes(memory)} of memory, and the weights may take "
                f"at most {WEIGHT_SHARE:.0%} of it.")
    return Issue(largest, message, fix="Use fewer filters or units, or smaller kernels.")
