"""The architecture diff on real presets and built graphs: a changed kernel, an added
Dropout, a removed node, a rename alone, a rewired input, a changed kind (issue #11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnstudio.cli import main
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.diff import ParamChange, diff_graphs, match_nodes
from cnnstudio.core.graph import Graph
from cnnstudio.core.presets import build_preset
from cnnstudio.core.project_io import Project, save
from cnnstudio.core.shapes import analyse


def lenet() -> Graph:
    return build_preset("lenet5")


def totals(graph: Graph) -> tuple[int, int]:
    a = analyse(graph)
    return a.total("params"), a.total("mult_adds")


def test_same_design_is_empty() -> None:
    diff = diff_graphs(lenet(), lenet())
    assert diff.is_empty and not diff.renamed
    assert diff.params == (totals(lenet())[0],) * 2 and diff.params_delta == 0
    assert "no architecture changes" in diff.text()


def test_changed_kernel() -> None:
    old, new = lenet(), lenet()
    c1 = new.by_name("c1").id
    new.set_param(c1, "kernel", 3)
    diff = diff_graphs(old, new)
    assert not diff.added and not diff.removed
    assert [c.name for c in diff.changed] == ["c1"]
    change = diff.changed[0]
    assert change.params == (ParamChange("kernel", [5, 5], [3, 3]),)
    assert change.inputs is None
    assert (change.old.params, change.new.params) == (6 * 25 + 6, 6 * 9 + 6)
    assert diff.params == (totals(old)[0], totals(new)[0])
    assert diff.mult_adds == (totals(old)[1], totals(new)[1])
    assert diff.params_delta == totals(new)[0] - totals(old)[0] != 0
    text = diff.text("run-a", "run-b")
    assert "run-a -> run-b" in text and "~ c1 (Conv2d): kernel 5x5 -> 3x3" in text
    assert f"({diff.params_delta:+,})" in text


def test_added_dropout_rewires_its_successor() -> None:
    old, new = lenet(), lenet()
    c5, f6 = new.by_name("c5").id, new.by_name("f6").id
    new.disconnect(f6, 0)
    drop = new.add_node("Dropout", {"rate": 0.3}, name="drop").id
    new.connect(c5, drop)
    new.connect(drop, f6)
    diff = diff_graphs(old, new)
    assert [(r.name, r.kind, r.params) for r in diff.added] == [("drop", "Dropout", 0)]
    assert not diff.removed
    assert [(c.name, c.params, c.inputs) for c in diff.changed] == [
        ("f6", (), (("c5",), ("drop",)))]
    assert diff.params_delta == 0 and diff.mult_adds_delta == 0
    assert "+ drop (Dropout)" in diff.text() and "~ f6 (Dense): inputs c5 -> drop" in diff.text()


def test_removed_node() -> None:
    old, new = lenet(), lenet()
    f6, out = new.by_name("f6").id, new.by_name("output").id
    c5 = new.by_name("c5").id
    new.remove_node(f6)
    new.connect(c5, out)
    diff = diff_graphs(old, new)
    assert [(r.name, r.kind, r.params) for r in diff.removed] == [("f6", "Dense", 120 * 84 + 84)]
    assert not diff.added
    change = diff.changed_node("output")
    assert change is not None and change.inputs == (("f6",), ("c5",)) and not change.params
    # f6 gone (10164) and the output layer now reads 120 features instead of 84
    assert diff.params_delta == -(120 * 84 + 84) - (84 * 10 + 10) + (120 * 10 + 10)
    assert "- f6 (Dense), 10,164 params" in diff.text()


def test_rename_only_is_no_change() -> None:
    old, new = lenet(), lenet()
    new.rename(new.by_name("c3").id, "conv2")
    new.rename(new.by_name("flatten").id, "flat")
    diff = diff_graphs(old, new)
    assert diff.is_empty
    assert sorted(diff.renamed) == [("c3", "conv2"), ("flatten", "flat")]
    assert "Renamed (names only)" in diff.text()


def test_renamed_and_changed_matches_by_id() -> None:
    old, new = lenet(), lenet()
    nid = new.by_name("c5").id
    new.rename(nid, "hidden")
    new.set_param(nid, "units", 64)
    new.set_param(nid, "activation", "relu")
    diff = diff_graphs(old, new)
    assert not diff.added and not diff.removed
    change = diff.changed_node("hidden")
    assert change is not None and change.old.name == "c5"
    assert {p.name: (p.old, p.new) for p in change.params} == {
        "units": (120, 64), "activation": ("tanh", "relu")}


def test_rewired_skip_connection() -> None:
    def net(skip_from_input: bool) -> Graph:
        b = GraphBuilder()
        x = b.input(8, 16, 16, name="inp")
        a = b.add("Conv2d", x, name="a", filters=8, kernel=3, padding="same")
        c = b.add("Conv2d", a, name="c", filters=8, kernel=3, padding="same")
        b.add("Add", c, x if skip_from_input else a, name="add")
        return b.graph

    diff = diff_graphs(net(True), net(False))
    assert not diff.added and not diff.removed and diff.params_delta == 0
    assert [(c.name, c.inputs) for c in diff.changed] == [("add", (("c", "inp"), ("c", "a")))]
    assert "~ add (Add): inputs [c, inp] -> [c, a]" in diff.text()


def test_changed_kind_is_removed_and_added() -> None:
    old, new = lenet(), lenet()
    s2, c1, c3 = (new.by_name(n).id for n in ("s2", "c1", "c3"))
    new.remove_node(s2)
    pool = new.add_node("MaxPool2d", {"kernel": 2, "stride": 2}, name="s2").id
    new.connect(c1, pool)
    new.connect(pool, c3)
    diff = diff_graphs(old, new)
    assert [r.label() for r in diff.removed] == ["s2 (AvgPool2d)"]
    assert [r.label() for r in diff.added] == ["s2 (MaxPool2d)"]
    assert s2 not in match_nodes(old, new)
    # c3 is now fed by another node, though of the same name
    assert [c.name for c in diff.changed] == ["c3"]


def test_diff_as_json() -> None:
    old, new = lenet(), lenet()
    new.set_param(new.by_name("c1").id, "filters", 8)
    data = json.loads(json.dumps(diff_graphs(old, new).to_dict()))
    assert data["changed"][0]["new"]["name"] == "c1"
    assert data["changed"][0]["params"][0] == {"name": "filters", "old": 6, "new": 8}
    assert data["params"]["delta"] == data["params"]["new"] - data["params"]["old"] > 0
    assert data["added"] == [] and data["removed"] == [] and data["renamed"] == []


def test_cli_diff_of_a_project_file_and_a_run_folder(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    old, new = lenet(), lenet()
    new.set_param(new.by_name("c3").id, "kernel", 3)
    save(Project(old, "lenet"), tmp_path / "old.cnnproj")
    (tmp_path / "run").mkdir()
    save(Project(new, "lenet"), tmp_path / "run" / "project.cnnproj")
    assert main(["diff", str(tmp_path / "old.cnnproj"), str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "~ c3 (Conv2d): kernel 5x5 -> 3x3" in out
    assert main(["diff", str(tmp_path / "run"), str(tmp_path / "run"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["changed"] == [] and data["params"]["delta"] == 0
    assert data["b"] == str(tmp_path / "run")
    assert main(["diff", str(tmp_path), str(tmp_path / "old.cnnproj")]) == 1
    assert "without project.cnnproj" in capsys.readouterr().err
