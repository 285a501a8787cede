"""Project files: round trip, atomic saves, migrations, and every kind of bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnnstudio.core import ProjectFileError, analyse
from cnnstudio.core import project_io as io
from cnnstudio.core.examples import example_project
from cnnstudio.core.project_io import Project


def graph_signature(project: Project) -> Any:
    g = project.graph
    return ([(n.id, n.kind, n.name, n.params, n.position, n.trainable, n.group)
             for n in g.nodes.values()], sorted((e.src, e.dst, e.port) for e in g.edges))


def good() -> dict[str, Any]:
    project = example_project("fashion_mnist_cnn")
    project.graph.set_trainable("n2", False)
    return io.to_dict(project)


def test_round_trip_keeps_ids_params_positions(tmp_path: Path) -> None:
    project = example_project("fashion_mnist_cnn")
    project.graph.set_trainable("n2", False)
    project.metadata["collapsed_groups"] = ["block1"]
    path = tmp_path / "p.cnnproj"
    io.save(project, path)
    again = io.load(path)
    assert graph_signature(again) == graph_signature(project)
    assert again.metadata == project.metadata and again.name == project.name
    # and the reloaded graph keeps issuing fresh ids
    assert again.graph.add_node("ReLU").id not in project.graph.nodes


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.cnnproj"
    io.save(example_project("conv_pool"), path)
    before = path.read_bytes()

    def boom(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        io.save(example_project("three_convs_same"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.cnnproj"]  # no temp file left


def test_saved_files_get_normal_permissions(tmp_path: Path) -> None:
    """Not mkstemp's private 0600: a new file gets 0666 less the umask, an old one keeps its
    mode."""
    umask = os.umask(0o022)
    try:
        path = tmp_path / "p.cnnproj"
        io.save(example_project("conv_pool"), path)
        assert path.stat().st_mode & 0o777 == 0o644
        path.chmod(0o640)
        io.save(example_project("conv_pool"), path)
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


def test_migrations_run_one_step_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[int] = []

    def v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
        steps.append(1)
        for n in d["nodes"]:
            n["kind"] = {"Conv": "Conv2d"}.get(n["kind"], n["kind"])
        return d

    def v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
        steps.append(2)
        return d

    monkeypatch.setattr(io, "FORMAT_VERSION", 3)
    monkeypatch.setattr(io, "MIGRATIONS", {1: v1_to_v2, 2: v2_to_v3})
    data = good()
    data["version"] = 1
    data["nodes"][1]["kind"] = "Conv"  # an old identifier
    project = io.from_dict(data)
    assert steps == [1, 2] and project.graph.nodes["n2"].kind == "Conv2d"


def mutate(path: str, value: Any) -> dict[str, Any]:
    data = good()
    target: Any = data
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


BAD: list[tuple[str, Any, str]] = [
    ("version", 99, "newer CNN Studio"),
    ("version", "1", "positive whole number"),
    ("format", "keras", "not a CNN Studio project"),
    ("nodes", {}, "must be a list"),
    ("nodes.1.kind", "Convolution", "unknown layer kind 'Convolution'"),
    ("nodes.1.params.filters", 1_000_000_000, "filters must be at most"),
    ("nodes.1.params.filters", "many", "whole number"),
    ("nodes.1.params.kernel", [3, 3, 3], "two ints"),
    ("nodes.1.params.strides", 2, "no parameter 'strides'"),
    ("nodes.1.position", "left", "two numbers"),
    ("nodes.1.name", "conv 1", "letters"),
    ("nodes.2.id", "n1", "already exists"),
    ("nodes.1", 7, "must be an object"),
    ("edges.0.to", "n404", "does not exist"),
    ("edges.0.port", 5, "no port 6"),
    ("edges.0.port", True, "whole number"),
    ("metadata", [], "must be an object"),
    ("nodes.0.params.height", -1, "at least 1"),
]


@pytest.mark.parametrize(("path", "value", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_give_one_clear_error(tmp_path: Path, path: str, value: Any,
                                        reason: str) -> None:
    file = tmp_path / "bad.cnnproj"
    file.write_text(json.dumps(mutate(path, value)))
    with pytest.raises(ProjectFileError) as e:
        io.load(file)
    assert reason in str(e.value)
    assert str(file) in str(e.value)


def test_cycle_in_file_is_refused() -> None:
    data = good()
    ids = [n["id"] for n in data["nodes"]]
    data["edges"].append({"from": ids[-1], "to": "n3", "port": 0})
    data["edges"] = [e for e in data["edges"] if not (e["to"] == "n3")] + [data["edges"][-1]]
    with pytest.raises(ProjectFileError, match="cycle"):
        io.from_dict(data)


@pytest.mark.parametrize("text", [b"", b"{", b"\xff\xfe garbage", b"[1, 2]", b"null",
                                  b"{\"format\": \"cnnstudio-project\"}", b"[" * 100000])
def test_truncated_or_non_json(tmp_path: Path, text: bytes) -> None:
    file = tmp_path / "bad.cnnproj"
    file.write_bytes(text)
    with pytest.raises(ProjectFileError):
        io.load(file)


def test_truncated_real_file(tmp_path: Path) -> None:
    text = io.dumps(example_project("conv_pool"))
    for cut in range(0, len(text), max(1, len(text) // 40)):
        with pytest.raises(ProjectFileError):
            io.loads(text[:cut], "cut.cnnproj")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="cannot read"):
        io.load(tmp_path / "nope.cnnproj")
    with pytest.raises(ProjectFileError, match="cannot read"):
        io.load(tmp_path)


def test_nothing_is_unpickled(tmp_path: Path) -> None:
    """Loading a project never even imports pickle."""
    import subprocess
    import sys

    file = tmp_path / "p.cnnproj"
    io.save(example_project("conv_pool"), file)
    code = (f"import sys; from cnnstudio.core.project_io import load; load({str(file)!r}); "
            "print('pickle' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_corruption_never_crashes(data: st.DataObject) -> None:
    """Replace any value anywhere in a good file by random JSON: load or clear error."""
    doc = good()
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in list(items):
            paths.append((node, k))
            if isinstance(v, dict | list):
                walk(v)

    walk(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        parent, key = data.draw(st.sampled_from(paths))
        parent[key] = data.draw(JSONISH)
    try:
        project = io.from_dict(doc)
    except ProjectFileError as exc:
        assert str(exc)
    else:
        analyse(project.graph)  # a file that loads can always be analysed


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(raw: bytes) -> None:
    with pytest.raises(ProjectFileError):
        io.loads(raw)
