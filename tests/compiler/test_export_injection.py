"""No text from a project file ever runs as code in the Python export.

Projects are read from JSON text (as a shared file would be) with every string field carrying
a payload: quotes that close a docstring, backslashes, line breaks of every kind Python knows,
NUL, a lone surrogate, and a payload that writes a marker file if it ever runs. The export
(verified, so model.py is imported) must write the text back only as literals.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from cnnstudio.compiler import build_model
from cnnstudio.compiler.codegen import comment, is_identifier, text_literal
from cnnstudio.compiler.export_python import CLASS_NAME, export_python
from cnnstudio.compiler.train_template import train_script
from cnnstudio.core import project_io
from cnnstudio.core.builder import GraphBuilder
from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.graph import Graph
from cnnstudio.core.project_io import Project

#: characters that end a line somewhere (Python's tokenizer, str.splitlines) or are invisible
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def payloads(marker: Path) -> list[str]:
    run = f'import pathlib; pathlib.Path(r"{marker}").write_text("x")'
    return [
        f'"""\n{run}\n"""',
        f"'''\n{run}\n'''",
        f'\\"""\n{run}\n#',
        f"x\r{run}\r",
        "ends in a backslash \\",
        "\\N{",
        "nul\x00byte",
        f"\u2028{run}\u2029",
        f"\x0c{run}\x0b\x1c\x1d\x1e\x85",
        "lone surrogate \ud800",
        "long " * 200 + '"""',
    ]


def small_graph() -> Graph:
    b = GraphBuilder()
    x = b.input(1, 6, 6)
    x = b.add("Conv2d", x, name="conv1", filters=2, kernel=3, activation="relu")
    x = b.add("Flatten", x, name="flatten")
    b.add("Dense", x, name="fc", units=3, activation="softmax")
    return b.graph


def hostile_json(text: str) -> str:
    """A project file whose name, description and metadata all carry ``text``."""
    doc = json.loads(project_io.dumps(Project(small_graph())))
    doc["name"] = text
    doc["description"] = text
    doc["metadata"] = {"note": text, text[:40]: [text, {"deep": text}]}
    return json.dumps(doc)


def constant(source: str, name: str) -> object:
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and [t.id for t in stmt.targets
                                             if isinstance(t, ast.Name)] == [name]:
            return ast.literal_eval(stmt.value)
    raise AssertionError(f"{name} is not assigned in model.py")


def assert_plain_source(source: str) -> None:
    """Every line printable: no raw line separator, NUL or surrogate anywhere."""
    ast.parse(source)
    compile(source, "model.py", "exec")
    bad = [line for line in source.split("\n") if not line.isprintable()]
    assert not bad, bad[:3]


@pytest.mark.parametrize("index", range(11))
def test_hostile_project_text_stays_text(index: int, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = payloads(marker)[index]
    project = project_io.loads(hostile_json(text), "shared.cnnproj")
    assert project.description == text
    report = export_python(build_model(project.graph), tmp_path / "out", project, verify=True)
    assert not marker.exists()
    source = (tmp_path / "out" / "model.py").read_text(encoding="utf-8")
    assert_plain_source(source)
    assert constant(source, "PROJECT_NAME") == text
    assert constant(source, "PROJECT_DESCRIPTION") == text
    assert all(len(line) <= 100 for line in source.splitlines())
    assert report.max_abs_diff == {1: 0.0, 3: 0.0}
    assert any("model.py imports" in check for check in report.checks)
    train = (tmp_path / "out" / "train.py").read_text(encoding="utf-8")
    assert train == train_script(CLASS_NAME, True)  # the same for every project
    compile(train, "train.py", "exec")


@pytest.mark.parametrize("name", ["conv1\n", 'a")\nimport os\n#', "a b", "class", "\u2028x",
                                  "x\x00", "ａ"])
def test_loader_refuses_node_names_that_are_not_identifiers(name: str) -> None:
    doc = json.loads(project_io.dumps(Project(small_graph())))
    doc["nodes"][1]["name"] = name
    with pytest.raises(ProjectFileError, match="must start with a letter"):
        project_io.loads(json.dumps(doc))


@pytest.mark.parametrize("hostile", [
    'c")\nimport pathlib; pathlib.Path(r"MARKER").write_text("x")\n#',
    "conv\u2028import pathlib; pathlib.Path(r'MARKER').write_text('x')",
    "training",  # a reserved attribute, renamed as before
    "ｃｏｎｖ",  # a non-ASCII identifier (NFKC folds it to "conv")
])
def test_codegen_renames_names_that_bypassed_the_graph(hostile: str, tmp_path: Path) -> None:
    """The graph refuses such names; the compiler and the code writer must not rely on it."""
    marker = tmp_path / "pwned"
    graph = small_graph()
    node = next(n for n in graph.nodes.values() if n.name == "conv1")
    node.name = hostile.replace("MARKER", str(marker))  # as if the graph's check were gone
    model = build_model(graph)
    report = export_python(model, tmp_path / "out", Project(graph, "n", "d"), verify=True)
    assert not marker.exists()
    source = (tmp_path / "out" / "model.py").read_text(encoding="utf-8")
    assert_plain_source(source)
    attr = model.meta["cnnstudio"].attrs[node.name]
    assert is_identifier(attr)
    assert f"self.{attr} = nn.Conv2d(1, 2, kernel_size=3)" in source
    assert f"        {comment(node.name)} (node name)\n" in source
    assert report.max_abs_diff == {1: 0.0, 3: 0.0}


@pytest.mark.parametrize("text", ["", "plain", "a\nb\n", "x" * 500, "'\"" * 90,
                                  "\u2028\x00\ud800\\" * 40, "é" * 300 + "\n"])
def test_text_literal_round_trips_and_fits_the_line_length(text: str) -> None:
    source = f"X = {text_literal(text)}\n"
    assert ast.literal_eval(ast.parse(source).body[0].value) == text  # type: ignore[attr-defined]
    assert all(len(line) <= 100 and line.isprintable() for line in source.splitlines())


@pytest.mark.parametrize("text", ["a\nimport os", "a\u2028b", "a\rb", "\x0c", "\x85", "\x00"])
def test_comment_never_breaks_the_line(text: str) -> None:
    line = comment(text)
    assert line.isprintable()
    assert len(line.splitlines()) == 1
    assert ast.parse(f"x = 1  {line}\n").body[0].lineno == 1


def test_identifiers_are_plain_ascii_non_keywords() -> None:
    assert is_identifier("conv1") and is_identifier("_x")
    for bad in ("class", "1a", "a b", "ｃｏｎｖ", "a\n", "", "None"):
        assert not is_identifier(bad)
    with pytest.raises(ValueError, match="identifier"):
        train_script("Net\nimport os", False)
