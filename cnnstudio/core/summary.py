"""The summary table (Keras / torchinfo style) and its JSON form, from an ``Analysis``."""

from __future__ import annotations

from typing import Any

from cnnstudio.core.layers import fmt_shape
from cnnstudio.core.receptive import field_text, receptive_fields
from cnnstudio.core.shapes import Analysis


def summary_dict(a: Analysis) -> dict[str, Any]:
    """``{"input_shape", "layers": [...], "total_params", ...}`` as ``summary --json`` prints."""
    layers = []
    fields = receptive_fields(a)
    for nid in a.order:
        node, info = a.graph.nodes[nid], a.infos[nid]
        layers.append({
            "id": nid,
            "name": node.name,
            "type": node.kind,
            "output_shape": list(info.shape) if info.shape is not None else None,
            "params": info.params,
            "trainable_params": info.trainable_params,
            "keras_params": info.keras_params,
            "keras_trainable_params": info.keras_trainable_params,
            "mult_adds": info.mult_adds,
            "receptive_field": (f.to_dict() if (f := fields[nid]) is not None else None),
        })
    shape = a.input_shape
    return {
        "input_shape": list(shape) if shape is not None else None,
        "layers": layers,
        "total_params": a.total("params"),
        "trainable_params": a.total("trainable_params"),
        "non_trainable_params": a.total("params") - a.total("trainable_params"),
        "keras_total_params": a.total("keras_params"),
        "keras_trainable_params": a.total("keras_trainable_params"),
        "total_mult_adds": a.total("mult_adds"),
        "valid": a.ok,
        "issues": [i.to_dict() for i in a.issues],
    }


def format_table(a: Analysis, title: str = "") -> str:
    """A fixed-width table: Layer (type) | Output Shape | Param # | Mult-Adds | Receptive
    Field, then totals."""
    d = summary_dict(a)
    rows = [(f"{r['name']} ({r['type']})",
             fmt_shape(tuple(r["output_shape"])) if r["output_shape"] else "?",
             f"{r['params']:,}", f"{r['mult_adds']:,}", field_text(r["receptive_field"]))
            for r in d["layers"]]
    head = ("Layer (type)", "Output Shape", "Param #", "Mult-Adds", "Receptive Field")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i])
              for i in range(5)]
    line = "=" * (sum(widths) + 12)

    def fmt(r: tuple[str, str, str, str, str]) -> str:
        return (f"{r[0]:<{widths[0]}}   {r[1]:<{widths[1]}}   {r[2]:>{widths[2]}}"
                f"   {r[3]:>{widths[3]}}   {r[4]:<{widths[4]}}").rstrip()

    out = []
    if title:
        out.append(title)
    out += [line, fmt(head), line, *(fmt(r) for r in rows), line]
    total, trainable = d["total_params"], d["trainable_params"]
    out.append(f"Total params: {total:,}")
    out.append(f"Trainable params: {trainable:,}")
    out.append(f"Non-trainable params: {total - trainable:,}")
    out.append(f"Keras would count: {d['keras_total_params']:,} "
               "(BatchNorm's moving statistics included)")
    out.append(f"Total mult-adds: {d['total_mult_adds']:,}")
    out.append(line)
    return "\n".join(out)
