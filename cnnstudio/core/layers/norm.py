"""Normalisation: BatchNorm, channel-wise LayerNorm, LocalResponseNorm, LayerScale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.spec import LayerSpec, ParamSpec, Result, Shape, ShapeProblem, need_map


def _channels(s: Shape, kind: str) -> int:
    if len(s) not in (1, 3):
        raise ShapeProblem(f"{kind} needs a feature map or a vector, got {len(s)} axes.")
    return s[0]


def batchnorm(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c = _channels(shapes[0], "BatchNorm")
    k = 2 if p.get("scale", True) else 1
    what = "scale and shift" if k == 2 else "shift only (scale=False)"
    return Result(
        shapes[0], k * c, keras_params=(k + 2) * c, mult_adds=2 * c, keras_non_trainable=2 * c,
        explanation=[
            f"params = {k} * {c} = {k * c} ({what} per channel)",
            f"Keras also counts the moving mean and variance: {k + 2} * {c} = {(k + 2) * c} "
            f"({2 * c} non-trainable)",
        ],
    )


def layernorm(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c = _channels(shapes[0], "LayerNorm")
    where = "over the channels at each position" if len(shapes[0]) == 3 else "over the features"
    return Result(shapes[0], 2 * c, mult_adds=2 * c,
                  explanation=[f"normalises {where}; params = 2 * {c} = {2 * c}"])


def lrn(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    need_map(shapes, "LocalResponseNorm")
    return Result(shapes[0], explanation=[f"normalises across {p['size']} neighbouring channels"])


def layerscale(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    c = _channels(shapes[0], "LayerScale")
    return Result(shapes[0], c, mult_adds=c,
                  explanation=[f"params = {c} (one learned scale per channel)"])


EPS = ParamSpec("eps", "float", 1e-5, "Added to the variance for numerical stability", 0.0, 1.0)

SPECS = [
    LayerSpec("BatchNorm", "Normalisation", "Normalise each channel over the batch", batchnorm,
              (EPS, ParamSpec("momentum", "float", 0.1,
                              "Weight of the newest batch in the running statistics "
                              "(PyTorch convention; Keras momentum 0.99 is 0.01 here)", 0.0, 1.0),
               ParamSpec("scale", "bool", True,
                         "Learn a per-channel scale (gamma); off keeps only the shift (beta), "
                         "as Keras' scale=False")),
              prefix="batchnorm", has_weights=True, keras="BatchNormalization",
              saves=("input", "channel_stats")),
    LayerSpec("LayerNorm", "Normalisation",
              "Normalise over the channels at each position (as ConvNeXt uses)", layernorm,
              (ParamSpec("eps", "float", 1e-6, "Added to the variance", 0.0, 1.0),),
              prefix="layernorm", has_weights=True, keras="LayerNormalization",
              saves=("input", "position_stats")),
    LayerSpec("LocalResponseNorm", "Normalisation", "Lateral inhibition across channels (AlexNet)",
              lrn,
              (ParamSpec("size", "int", 5, "Neighbouring channels used", 1, 1024),
               ParamSpec("alpha", "float", 1e-4, "Multiplicative factor", 0.0, 100.0),
               ParamSpec("beta", "float", 0.75, "Exponent", 0.0, 100.0),
               ParamSpec("k", "float", 1.0, "Additive factor", 0.0, 100.0)),
              prefix="lrn", saves=("input", "copy", "copy", "copy")),
    LayerSpec("LayerScale", "Normalisation", "Learned per-channel scale (ConvNeXt)", layerscale,
              (ParamSpec("init_value", "float", 1e-6, "Initial scale", 0.0, 1e6),),
              prefix="layerscale", has_weights=True, saves=("input",)),
]
