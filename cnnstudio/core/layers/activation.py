"""Activations: element-wise functions, and Softmax over the channels."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cnnstudio.core.layers.spec import LayerSpec, ParamSpec, Result, Shape


def same_shape(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    return Result(shapes[0], explanation=["element-wise: the shape does not change"])


def softmax(shapes: list[Shape], p: Mapping[str, Any]) -> Result:
    return Result(shapes[0], explanation=[f"probabilities over the {shapes[0][0]} channels"])


def _act(kind: str, help: str, *params: ParamSpec, after_classifier: bool = False,
         keras: str = "Activation", saves: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(kind, "Activation", help, same_shape, tuple(params), prefix=kind.lower(),
                     after_classifier=after_classifier, keras=keras, saves=saves)


SPECS = [
    _act("ReLU", "max(0, x)", after_classifier=True, keras="ReLU", saves=("output",)),
    _act("ReLU6", "min(max(0, x), 6) (MobileNet)", keras="ReLU", saves=("input",)),
    _act("LeakyReLU", "x, or slope * x below zero",
         ParamSpec("negative_slope", "float", 0.01, "Slope below zero", 0.0, 10.0),
         keras="LeakyReLU", saves=("input",)),
    _act("ELU", "x, or alpha * (exp(x) - 1) below zero",
         ParamSpec("alpha", "float", 1.0, "Saturation value below zero", 0.0, 100.0),
         keras="ELU", saves=("input",)),
    _act("GELU", "x * Phi(x) (Transformers, ConvNeXt)",
         ParamSpec("approximate", "choice", "none", "Exact or tanh approximation",
                   choices=("none", "tanh")), saves=("input",)),
    _act("SiLU", "x * sigmoid(x), also called swish (EfficientNet)", saves=("input",)),
    _act("Hardswish", "x * relu6(x + 3) / 6 (MobileNetV3)", saves=("input",)),
    _act("Hardsigmoid", "relu6(x + 3) / 6 (MobileNetV3)", saves=("input",)),
    _act("Sigmoid", "1 / (1 + exp(-x))", after_classifier=True, saves=("output",)),
    _act("Tanh", "hyperbolic tangent (LeNet-5)", saves=("output",)),
    LayerSpec("Softmax", "Activation",
              "Probabilities over the channels; training works on the logits before it",
              softmax, prefix="softmax", after_classifier=True, saves=("output",)),
]
