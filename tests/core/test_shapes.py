"""The shape engine: explanations with numbers, errors a student understands, incremental
updates."""

from __future__ import annotations

from cnnstudio.core import Graph, ShapeEngine, analyse
from cnnstudio.core.builder import GraphBuilder
from tests.core.helpers import single


def test_explanation_has_the_numbers_filled_in() -> None:
    info = single("Conv2d", (1, 28, 28), filters=6, kernel=5, padding=2)
    assert info.explanation[0] == "H_out = floor((28 - 5 + 2*2) / 1) + 1 = 28"
    assert info.explanation[-1] == "params = (5*5*1 + 1) * 6 = 156"
    same = single("Conv2d", (1, 28, 27), filters=6, kernel=3, stride=2, padding="same")
    assert same.explanation[1] == "W_out = ceil(27 / 2) = 14  (same: pad 1 before, 1 after)"
    dil = single("Conv2d", (1, 28, 28), filters=1, kernel=3, dilation=2)
    assert dil.explanation[0] == "H_out = floor((28 + 2*0 - 2*(3-1) - 1) / 1) + 1 = 24"


def test_dense_without_flatten() -> None:
    info = single("Dense", (8, 4, 4), units=10)
    (issue,) = info.issues
    assert "flat vector" in issue.message and "8x4x4" in issue.message
    assert "Flatten" in issue.fix


def test_kernel_larger_than_input_and_shrinking_output() -> None:
    info = single("Conv2d", (1, 3, 3), filters=4, kernel=5)
    (issue,) = info.issues
    assert "larger than its input" in issue.message
    assert issue.formula == "H_out = floor((3 - 5 + 2*0) / 1) + 1 = -1"
    assert "padding 'same'" in issue.fix


def test_concat_heights_and_add_channels() -> None:
    b = GraphBuilder()
    x = b.input(3, 32, 32)
    left = b.add("Conv2d", x, filters=16, kernel=3, padding="same")
    right = b.add("Conv2d", x, filters=8, kernel=3, stride=2)
    cat = b.add("Concat", left, right)
    a = analyse(b.graph)
    (issue,) = a.infos[cat].issues
    assert "same height and width" in issue.message and "32x32" in issue.message
    assert issue.port == 1 and "input 2" in issue.describe(b.graph)

    b = GraphBuilder()
    x = b.input(3, 32, 32)
    left = b.add("Conv2d", x, filters=16, kernel=3, padding="same")
    right = b.add("Conv2d", x, filters=8, kernel=3, padding="same")
    add = b.add("Add", left, right)
    (issue,) = analyse(b.graph).infos[add].issues
    assert "16 channels" in issue.message and "has 8" in issue.message
    assert "1x1 Conv2d with 16 filters" in issue.fix


def test_unconnected_input_and_downstream_waits() -> None:
    g = Graph()
    g.add_node("Input")
    conv = g.add_node("Conv2d").id
    relu = g.add_node("ReLU").id
    g.connect(conv, relu)
    a = analyse(g)
    assert [i.message for i in a.infos[conv].issues] == ["The input of conv_1 is not connected."]
    assert a.infos[relu].shape is None and not a.infos[relu].issues
    assert not a.ok


def test_graph_level_issues() -> None:
    g = Graph()
    assert any("no Input" in i.message for i in analyse(g).issues)
    b = GraphBuilder()
    x = b.input(1, 8, 8)
    b.add("ReLU", x)
    dangling = b.add("Tanh", x)
    b.add("Sigmoid", x)
    issues = [i for i in analyse(b.graph).issues if i.node_id == dangling]
    assert issues and "goes nowhere" in issues[0].message


def test_trainable_flag_changes_trainable_counts() -> None:
    b = GraphBuilder()
    x = b.input(1, 8, 8)
    c = b.add("Conv2d", x, filters=4)
    bn = b.add("BatchNorm", c)
    engine = ShapeEngine(b.graph)
    assert engine.analysis().total("trainable_params") == 40 + 8
    b.graph.set_trainable(c, False)
    a = engine.analysis()
    assert a.total("trainable_params") == 8 and a.total("params") == 48
    assert a.infos[bn].keras_params == 16 and a.infos[bn].keras_trainable_params == 8


def test_incremental_update_touches_only_downstream() -> None:
    b = GraphBuilder()
    x = b.input(1, 64, 64)
    ids = []
    for _ in range(50):
        x = b.add("Conv2d", x, filters=4, kernel=3, padding="same")
        ids.append(x)
    engine = ShapeEngine(b.graph)
    engine.analysis()
    assert engine.recomputed == 51
    b.graph.set_param(ids[40], "filters", 8)  # channels change: only the next conv's count
    a = engine.analysis()
    assert engine.recomputed == 2
    assert a.infos[ids[41]].params == (9 * 8 + 1) * 4
    b.graph.set_param(ids[40], "padding", "valid")  # sizes change all the way down: 40..49
    a = engine.analysis()
    assert engine.recomputed == 10
    assert a.infos[ids[49]].shape == (4, 62, 62)
    b.graph.set_param(ids[45], "bias", False)  # same shape: only the node itself
    engine.analysis()
    assert engine.recomputed == 1
    engine.analysis()
    assert engine.recomputed == 0
    # the incremental result equals a fresh analysis
    fresh = analyse(b.graph)
    assert {k: (v.shape, v.params) for k, v in fresh.infos.items()} == {
        k: (v.shape, v.params) for k, v in a.infos.items()}


def test_engine_follows_structure_edits() -> None:
    b = GraphBuilder()
    x = b.input(1, 28, 28)
    conv = b.add("Conv2d", x, filters=4, kernel=3)
    flat = b.add("Flatten", conv)
    engine = ShapeEngine(b.graph)
    assert engine.info(flat).shape == (4 * 26 * 26,)
    pool = b.graph.add_node("MaxPool2d").id
    b.graph.disconnect(flat, 0)
    b.graph.connect(conv, pool)
    b.graph.connect(pool, flat)
    assert engine.info(flat).shape == (4 * 13 * 13,)
    b.graph.remove_node(pool)
    assert engine.info(flat).shape is None
    assert engine.analysis().infos[flat].issues
