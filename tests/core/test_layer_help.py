"""Help pages generated from the layer catalogue: one per kind, numbers from the engine."""

from __future__ import annotations

import html

import pytest

from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.errors import UnknownLayerKindError
from cnnstudio.core.layer_help import (
    SAMPLE_INPUT,
    help_page,
    html_page,
    markdown,
    param_rows,
    to_html,
)
from cnnstudio.core.layers import LAYERS, fmt_shape
from cnnstudio.core.shapes import analyse


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_every_kind_has_a_page_listing_each_parameter(kind: str) -> None:
    spec = LAYERS[kind]
    page = help_page(kind)
    text = markdown(kind)
    assert text.startswith(f"# {kind}\n") and spec.help in text
    assert page.shape_formulas and page.computes
    table = [line for line in text.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[0].lstrip("| ") for row in table] == [p.name for p in spec.params]
    assert len(param_rows(page)) == len(spec.params)
    if not spec.params:
        assert "## Parameters\n\nNone." in text
    assert page.example.output_shape is not None, page.example.lines
    if spec.has_weights:
        assert page.param_formula.startswith("params =")
        assert page.example.params > 0


def test_conv_page_fills_the_sliding_window_formula_from_the_defaults() -> None:
    text = markdown("Conv2d")
    assert "H_out = floor((H - F + 2P) / S) + 1" in text
    assert "H_out = floor((H + 2P - D*(F - 1) - 1) / S) + 1" in text
    assert "ceil(H / S)" in text
    # defaults: 32 filters, 3x3 kernel, stride 1, valid padding, on 3x32x32
    assert "H_out = floor((32 - 3 + 2*0) / 1) + 1 = 30" in text
    assert "params = (3*3*3 + 1) * 32 = 896" in text
    assert "Output: 32x30x30" in text
    assert "params = (F_h * F_w * C_in / groups + 1) * filters" in text


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d", "MinPool2d"])
def test_pool_pages_fill_the_formula_from_the_defaults(kind: str) -> None:
    text = markdown(kind)
    assert "H_out = floor((H - F + 2P) / S) + 1" in text
    assert "W_out = floor((32 - 2 + 2*0) / 2) + 1 = 16" in text
    assert "Output: 3x16x16" in text


@pytest.mark.parametrize("kind", sorted(k for k in LAYERS if k not in ("Input", "Dense")))
def test_worked_example_shape_is_the_engines(kind: str) -> None:
    spec = LAYERS[kind]
    b = GraphBuilder()
    x = b.input(*SAMPLE_INPUT)
    node = b.add(kind, *([x] * spec.input_count(spec.defaults())))
    expected = analyse(b.graph).infos[node].shape
    page = help_page(kind)
    assert page.example.input_shape == SAMPLE_INPUT
    assert expected is not None and page.example.output_shape == expected
    assert f"Output: {fmt_shape(expected)}" in markdown(kind)


def test_dense_example_is_flattened_first() -> None:
    page = help_page("Dense")
    assert "Flatten" in page.example.path and page.example.output_shape == (128,)
    assert page.example.params == (16 + 1) * 128


def test_html_escapes_every_text() -> None:
    page = help_page("Conv2d")
    page = type(page)(**{**page.__dict__, "summary": "<script>alert('x')</script> & co"})
    out = to_html(page)
    assert "<script>" not in out
    assert html.escape("<script>alert('x')</script> & co") in out
    conv = html_page("Conv2d")
    assert "&#x27;valid&#x27; (none)" in conv and "<td>filters</td>" in conv
    assert "<table" in conv and "H_out = floor((32 - 3 + 2*0) / 1) + 1 = 30" in conv


def test_unknown_kind_names_close_ones() -> None:
    with pytest.raises(UnknownLayerKindError, match="Conv2d"):
        help_page("Conv2D")


def test_cli_layer_prints_the_page_and_lists_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    from cnnstudio.cli import main

    assert main(["layer", "Conv2d"]) == 0
    assert capsys.readouterr().out == markdown("Conv2d")
    assert main(["layer", "MaxPool2d", "--html"]) == 0
    assert "<h2>MaxPool2d</h2>" in capsys.readouterr().out
    assert main(["layer"]) == 0
    listing = capsys.readouterr().out
    assert all(kind in listing for kind in LAYERS) and "Pooling:" in listing
    assert main(["layer", "Conv2D"]) != 0
    assert "Did you mean Conv2d" in capsys.readouterr().err
