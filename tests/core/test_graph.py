"""The graph's edit API: typed errors, events, stable ids."""

from __future__ import annotations

import pytest

from cnnstudio.core import (
    CycleError,
    Graph,
    InvalidConnectionError,
    InvalidParameterError,
    NodeNotFoundError,
    PortConnectedError,
    UnknownLayerKindError,
)
from cnnstudio.core.graph import GraphEvent


def chain() -> tuple[Graph, list[str]]:
    g = Graph()
    ids = [g.add_node("Input").id, g.add_node("Conv2d").id, g.add_node("ReLU").id]
    g.connect(ids[0], ids[1])
    g.connect(ids[1], ids[2])
    return g, ids


def test_add_node_defaults_names_and_ids() -> None:
    g = Graph()
    a, b = g.add_node("Conv2d"), g.add_node("Conv2d", {"filters": 8, "kernel": [5, 3]})
    assert (a.id, b.id) == ("n1", "n2")
    assert (a.name, b.name) == ("conv_1", "conv_2")
    assert b.params["kernel"] == (5, 3) and b.params["padding"] == "valid"
    assert a.params["kernel"] == (3, 3)


def test_typed_errors() -> None:
    g, (i, c, r) = chain()
    with pytest.raises(UnknownLayerKindError, match="Conv2d"):
        g.add_node("Conv2D")
    with pytest.raises(InvalidParameterError) as e:
        g.set_param(c, "filters", 0)
    assert e.value.node_id == c and e.value.param == "filters" and "at least 1" in str(e.value)
    with pytest.raises(InvalidParameterError, match="no parameter"):
        g.set_param(c, "units", 3)
    with pytest.raises(InvalidParameterError, match="'valid', 'same'"):
        g.set_param(c, "padding", "full")
    with pytest.raises(InvalidParameterError, match="one of"):
        g.set_param(c, "activation", "swish")
    with pytest.raises(InvalidParameterError, match="whole number"):
        g.set_param(c, "filters", 2.5)
    with pytest.raises(InvalidParameterError, match="at most"):
        g.set_param(c, "filters", 10**9)
    with pytest.raises(PortConnectedError, match="already fed"):
        g.connect(i, c)
    add = g.add_node("Add").id
    g.connect(r, add, 0)
    with pytest.raises(CycleError, match="cycle") as cyc:
        g.connect(add, add, 1)
    g.disconnect(c, 0)
    with pytest.raises(CycleError, match="would close a cycle") as cyc:
        g.connect(add, c)
    assert cyc.value.node_id == c
    g.connect(i, c)
    with pytest.raises(CycleError):
        g.connect(r, r)
    with pytest.raises(InvalidConnectionError, match="no inputs"):
        g.connect(r, i)
    with pytest.raises(InvalidConnectionError, match="no port 2"):
        g.connect(i, r, 1)
    with pytest.raises(NodeNotFoundError):
        g.node("n99")
    with pytest.raises(InvalidParameterError, match="already named"):
        g.rename(r, "conv_1")
    with pytest.raises(InvalidParameterError, match="letters"):
        g.rename(r, "my layer")
    with pytest.raises(InvalidParameterError, match="letters"):
        g.rename(r, "class")


def test_events_follow_every_edit() -> None:
    g, (i, c, r) = chain()
    seen: list[GraphEvent] = []
    g.subscribe(seen.append)
    g.set_param(c, "filters", 4)
    g.set_param(c, "filters", 4)  # no change, no event
    g.rename(c, "features")
    g.move(c, (10, 20))
    g.set_trainable(c, False)
    g.set_group(c, "stem")
    removed = g.remove_node(c)
    assert [e.type for e in seen] == [
        "param_changed", "node_renamed", "node_moved", "trainable_changed", "group_changed",
        "edge_removed", "edge_removed", "node_removed",
    ]
    assert seen[0].old == 32 and seen[0].new == 4
    assert {(e.src, e.dst) for e in removed} == {(i, c), (c, r)}
    g.unsubscribe(seen.append)
    g.add_node("ReLU")
    assert len(seen) == 8


def test_merge_ports_follow_inputs_param() -> None:
    g = Graph()
    src = g.add_node("Input").id
    add = g.add_node("Add", {"inputs": 3}).id
    for port in range(3):
        g.connect(src if port == 0 else g.add_node("Identity").id, add, port)
    assert g.node(add).input_count == 3
    with pytest.raises(InvalidParameterError, match="disconnect it"):
        g.set_param(add, "inputs", 2)
    g.disconnect(add, 2)
    g.set_param(add, "inputs", 2)
    assert len(g.inputs_of(add)) == 2


def test_ids_are_not_reused_and_explicit_ids_advance_the_counter() -> None:
    g = Graph()
    g.add_node("Input", node_id="n7")
    assert g.add_node("ReLU").id == "n8"
    g.remove_node("n8")
    assert g.add_node("ReLU").id == "n9"
    with pytest.raises(InvalidParameterError, match="already exists"):
        g.add_node("ReLU", node_id="n7")


def test_topo_order_follows_insertion_where_possible() -> None:
    g = Graph()
    relu = g.add_node("ReLU").id
    inp = g.add_node("Input").id
    g.connect(inp, relu)
    order, cyclic = g.topo_order()
    assert order == [inp, relu] and cyclic == []
