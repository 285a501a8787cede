"""The Keras view (core/keras_view.py) and ``cnnstudio summary --style keras``.

The table's structure is checked line by line against Keras 3's ``model.summary()`` layout
(title, heavy header rules, a rule between rows, the three totals with their float32 size);
every number is taken from the shape engine's analysis, never pasted.
"""

from __future__ import annotations

import json
import re

import pytest

from cnnstudio.cli import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.keras_view import format_keras, keras_shape, readable_size
from cnnstudio.core.presets import build_preset
from cnnstudio.core.shapes import Analysis, analyse


def test_shapes_are_channels_last_with_the_batch() -> None:
    assert keras_shape((32, 28, 26)) == "(None, 28, 26, 32)"
    assert keras_shape((120,)) == "(None, 120)"
    assert keras_shape(None) == "?"


def test_sizes_are_written_as_keras_writes_them() -> None:
    assert readable_size(0) == "0.00 B"
    assert readable_size(1023) == "1023.00 B"
    assert readable_size(61706 * 4) == f"{61706 * 4 / 1024:.2f} KB"
    assert readable_size(3 * 1024 ** 2) == "3.00 MB"


def body_rows(text: str) -> list[list[str]]:
    """The cells of each body row (lines between the header rule and the bottom rule)."""
    lines = text.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    bottom = next(i for i, line in enumerate(lines) if line.startswith("└"))
    rows = lines[top + 1:bottom]
    assert all(r.startswith("├") for r in rows[1::2]), "a rule between every two rows"
    return [[c.strip() for c in r.strip("│").split("│")] for r in rows[0::2]]


def check_frame(text: str, name: str, headers: list[str]) -> None:
    lines = text.splitlines()
    assert lines[0] == f'Model: "{name}"'
    assert lines[1].startswith("┏") and lines[1].endswith("┓")
    assert [c.strip() for c in lines[2].strip("┃").split("┃")] == headers
    widths = {len(line) for line in lines[1:] if line[0] in "┏┃┡│├└"}
    assert len(widths) == 1, "every line of the box has the same width"


def check_totals(text: str, a: Analysis) -> None:
    total, trainable = a.total("keras_params"), a.total("keras_trainable_params")
    tail = text.splitlines()[-3:]
    for line, label, n in zip(tail, ("Total", "Trainable", "Non-trainable"),
                              (total, trainable, total - trainable), strict=True):
        assert line == f" {label} params: {n:,} ({readable_size(4 * n)})"


def test_a_chain_prints_as_a_sequential_model() -> None:
    g = build_preset("lenet5")
    a = analyse(g)
    text = format_keras(a, "lenet5")
    check_frame(text, "lenet5", ["Layer (type)", "Output Shape", "Param #"])
    rows = body_rows(text)
    nodes = [g.nodes[n] for n in a.order if g.nodes[n].kind != "Input"]
    assert [r[0] for r in rows] == [f"{n.name} ({n.spec.keras or n.kind})" for n in nodes]
    assert [r[1] for r in rows] == [keras_shape(a.infos[n.id].shape) for n in nodes]
    assert [r[2] for r in rows] == [f"{a.infos[n.id].keras_params:,}" for n in nodes]
    check_totals(text, a)
    assert "Conv2D" in rows[0][0] and "AveragePooling2D" in rows[1][0]


def test_branches_print_as_a_functional_model_with_connections() -> None:
    b = GraphBuilder()
    x = b.input(3, 8, 8, name="img")
    c = b.add("Conv2d", x, name="conv", filters=4, kernel=3, padding="same")
    n = b.add("BatchNorm", c, name="bn")
    s = b.add("Conv2d", x, name="short", filters=4, kernel=1)
    b.add("Add", n, s, name="sum")
    b.graph.set_trainable(s, False)
    a = analyse(b.graph)
    text = format_keras(a, "branchy")
    check_frame(text, "branchy", ["Layer (type)", "Output Shape", "Param #", "Connected to"])
    rows = {r[0]: r for r in body_rows(text)}
    assert rows["img (InputLayer)"][1:] == ["(None, 8, 8, 3)", "0", "-"]
    assert rows["sum (Add)"][3] == "bn[0][0], short[0][0]"
    assert rows["bn (BatchNormalization)"][2] == f"{a.infos[n].keras_params:,}"
    assert a.infos[n].keras_params == 4 * 4  # Keras: gamma, beta, moving mean and variance
    check_totals(text, a)
    # the frozen shortcut and BatchNorm's moving statistics are non-trainable
    frozen = a.infos[s].keras_params + 2 * 4
    assert text.splitlines()[-1].startswith(f" Non-trainable params: {frozen:,} ")


def test_cli_style_keras_prints_the_keras_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "resnet18", "--input-shape", "3,32,32", "--num-classes", "10",
                 "--style", "keras"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert main(["summary", "resnet18", "--input-shape", "3,32,32", "--num-classes", "10",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    rows = body_rows(text)
    assert len(rows) == len(d["layers"])  # a Functional model: the input row too
    for row, layer in zip(rows, d["layers"], strict=True):
        assert row[0] == f"{layer['name']} ({row[0].split('(')[-1][:-1]})"
        assert row[2] == f"{layer['keras_params']:,}"
        shape = layer["output_shape"]
        assert row[1] == keras_shape(tuple(shape))
    total = int(re.sub(r"\D", "", text.splitlines()[-3].split("(")[0]))
    assert total == d["keras_total_params"]


def test_cli_style_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--style", "tf"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cli_style_keras_names_the_problems(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet5", "--input-shape", "1,8,8", "--style", "keras"]) == 1
    out, err = capsys.readouterr()
    rows = {r[0]: r for r in body_rows(out)}
    assert rows["c3 (Conv2D)"][1] == "?" and "c3 (Conv2d)" in err
