"""The example projects shipped in resources/examples, built in code.

``python -m cnnstudio.core.examples`` rewrites the files; a test checks they are current.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.graph import Graph
from cnnstudio.core.layout import apply_layout
from cnnstudio.core.project_io import Project, dumps


def _three_convs(padding: str, stride: int) -> Graph:
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    for i in range(1, 4):
        x = b.add("Conv2d", x, name=f"conv{i}", filters=32, kernel=3, stride=stride,
                  padding=padding, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    x = b.add("Dense", x, name="fc1", units=128, activation="relu")
    b.add("Dense", x, name="fc2", units=10, activation="softmax")
    return b.graph


def conv_pool() -> Graph:
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    x = b.add("Conv2d", x, name="conv1", filters=32, kernel=3, activation="relu")
    x = b.add("MaxPool2d", x, name="pool1", kernel=2, stride=2)
    x = b.add("Conv2d", x, name="conv2", filters=32, kernel=3, activation="relu")
    x = b.add("MaxPool2d", x, name="pool2", kernel=2, stride=2)
    x = b.add("Flatten", x, name="flatten")
    x = b.add("Dense", x, name="fc1", units=128, activation="relu")
    b.add("Dense", x, name="fc2", units=10, activation="softmax")
    return b.graph


def fashion_mnist_cnn() -> Graph:
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    for i, filters in ((1, 16), (2, 32)):
        with b.group(f"block{i}"):
            x = b.add("Conv2d", x, name=f"conv{i}", filters=filters, kernel=5, stride=1, padding=2)
            x = b.add("BatchNorm", x, name=f"bn{i}")
            x = b.add("ReLU", x, name=f"relu{i}")
            x = b.add("MaxPool2d", x, name=f"pool{i}", kernel=2, stride=2)
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=10)
    return b.graph


EXAMPLES: dict[str, tuple[str, Callable[[], Graph]]] = {
    "three_convs_valid": ("Three 3x3 convolutions with 'valid' padding: 28 -> 26 -> 24 -> 22",
                          lambda: _three_convs("valid", 1)),
    "three_convs_same": ("Three 3x3 convolutions with 'same' padding: the size stays 28",
                         lambda: _three_convs("same", 1)),
    "three_convs_strided": ("'same' padding with stride 2: 28 -> 14 -> 7 -> 4",
                            lambda: _three_convs("same", 2)),
    "conv_pool": ("Convolution and max pooling, twice, then a dense classifier", conv_pool),
    "fashion_mnist_cnn": ("Two conv-batchnorm-relu-pool blocks for Fashion-MNIST",
                          fashion_mnist_cnn),
}


def example_project(name: str) -> Project:
    description, build = EXAMPLES[name]
    graph = build()
    apply_layout(graph)
    return Project(graph, name, description)


def write_all(folder: Path) -> None:
    for name in EXAMPLES:
        (folder / f"{name}.cnnproj").write_text(dumps(example_project(name)), encoding="utf-8")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("resources/examples"))
