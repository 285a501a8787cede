"""``cnnstudio report``: self-contained HTML reports of real runs, one run and a comparison,
parsed back (sections, inline SVG curves and design, confusion matrix), with no external
resource, no script from a hostile run, and no overwrite unless asked (issue #11)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnstudio.cli import main
from cnnstudio.compiler import build_model
from cnnstudio.core.project_io import Project, load, save
from cnnstudio.runs import read_run
from cnnstudio.runs.user import set_name_and_notes
from cnnstudio.training import TrainConfig, train
from tests.test_runs import blobs, design, make_run

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
SVG_ONLOAD = "</text><svg onload=alert(3)>"
SINGLE = ("overview", "settings", "curves", "metrics", "per-class", "confusion", "summary",
          "design", "fingerprint", "runtime")


class Page(HTMLParser):
    """Every element with its attributes, the text, and the cells of each table."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.tables: list[tuple[str, list[list[str]]]] = []  # (class, rows of cell texts)
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag == "table":
            self.tables.append((a.get("class") or "", []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def ids(self, tag: str) -> list[str]:
        return [a["id"] or "" for t, a in self.elements if t == tag and "id" in a]

    def table(self, cls: str) -> list[list[str]]:
        return next(rows for c, rows in self.tables if c == cls)


def svgs(text: str) -> dict[str, ET.Element]:
    """Each inline SVG parsed as XML, keyed by its id (the design's by its class)."""
    found = {}
    for raw in re.findall(r"<svg\b.*?</svg>", text, re.S):
        svg = ET.fromstring(raw)
        found[svg.get("id") or svg.get("class") or ""] = svg
    return found


def polylines(svg: ET.Element) -> dict[str, int]:
    """series key -> number of points."""
    return {p.get("data-series") or "": len((p.get("points") or "").split())
            for p in svg.iter("polyline")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-runs")
    data = blobs(root / "blobs.npz")
    make_run(root / "a", data, design(3), lr=0.01, epochs=2)
    make_run(root / "b", data, design(5), lr=0.003, epochs=3)
    return root


@pytest.fixture(scope="module")
def hostile(runs: Path) -> Path:
    """A real run whose class names, project name and description, run name and notes are
    markup (a run folder shared by someone else)."""
    rng = np.random.default_rng(1)
    y = np.arange(120) % 2
    x = (rng.random((120, 8, 8)) * 60 + y[:, None, None] * 150).astype(np.uint8)
    np.savez(runs / "hostile.npz", x=x, y=y, classes=np.array([SCRIPT, IMG]))
    folder = runs / "hostile"
    folder.mkdir()
    graph = design(3)
    save(Project(graph, f"net {SCRIPT}", description=f"{IMG} {SVG_ONLOAD}"),
         folder / "project.cnnproj")
    torch.manual_seed(0)
    train(build_model(graph, for_training=True), str(runs / "hostile.npz"),
          TrainConfig(epochs=1, batch_size=32, device="cpu"), folder, input_shape=(1, 8, 8))
    set_name_and_notes(folder, name=f"{SCRIPT}{SVG_ONLOAD}", notes=f"{IMG}\n{SCRIPT}")
    return folder


def write(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", *args]) == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    out = Path(args[args.index("--out") + 1])
    return out.read_text(encoding="utf-8")


def test_report_of_one_run(runs: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    text = write([str(runs / "a"), "--out", str(tmp_path / "r.html")], capsys)
    page = Page(text)
    assert set(SINGLE) <= set(page.ids("section"))
    history = json.loads((runs / "a" / "history.json").read_text())
    charts = svgs(text)
    assert polylines(charts["chart-loss"]) == {"train_loss": len(history),
                                               "val_loss": len(history)}
    assert polylines(charts["chart-accuracy"]) == {"train_accuracy": len(history),
                                                   "val_accuracy": len(history)}
    assert polylines(charts["chart-lr"]) == {"lr": len(history)}
    for chart in ("chart-loss", "chart-accuracy", "chart-lr"):  # axes, ticks and a legend
        labels = [t.text for t in charts[chart].iter("text")]
        assert "epoch" in labels and "1" in labels and "2" in labels
        assert len(list(charts[chart].iter("g"))) >= 2  # axes + legend entries
    graph = load(runs / "a" / "project.cnnproj").graph
    picture = charts["design"]
    nodes = [g for g in picture.iter("g") if g.get("class") == "node"]
    assert len(nodes) == len(graph.nodes)
    words = {t.text for g in nodes for t in g.iter("text")}
    assert {"conv", "Conv2d", "4x6x6", "fc", "Dense", "2"} <= words
    assert len([p for p in picture.iter("path") if p.get("class") == "edge"]) == len(graph.edges)
    metrics = json.loads((runs / "a" / "metrics.json").read_text())
    head, *cells = page.table("confusion")
    assert head[1:] == metrics["classes"] and [row[0] for row in cells] == metrics["classes"]
    assert [[int(v) for v in row[1:]] for row in cells] == metrics["confusion_matrix"]
    assert len(page.table("per-class")[1:]) == len(metrics["classes"])
    summary = [row[0] for row in page.table("summary")[1:]]
    assert "conv (Conv2d)" in summary and "fc (Dense)" in summary
    body = " ".join(page.text)
    assert read_run(runs / "a").architecture in body
    settings = {row[0]: row[1] for rows in (r for c, r in page.tables if c == "kv")
                for row in rows if len(row) == 2}
    assert settings["lr"] == "0.01" and settings["optimizer"] == "adam"
    assert settings["classes"] == "2" and settings["test samples"] == "20"
    assert settings["status"].startswith("completed")


def test_comparison_of_two_runs(runs: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    text = write([str(runs / "a"), str(runs / "b"), "--out", str(tmp_path / "c.html")], capsys)
    page = Page(text)
    assert {"overview", "curves", "settings", "metrics", "diff"} <= set(page.ids("section"))
    lengths = [len(json.loads((runs / r / "history.json").read_text())) for r in "ab"]
    assert lengths == [2, 3]
    charts = svgs(text)
    for key in ("val_loss", "val_accuracy", "train_loss", "lr"):
        assert polylines(charts[f"chart-{key}"]) == {"run-1": 2, "run-2": 3}
        colours = {p.get("stroke") for p in charts[f"chart-{key}"].iter("polyline")}
        assert len(colours) == 2  # one colour per run
        legend = [t.text for t in charts[f"chart-{key}"].iter("text")]
        assert "1. a" in legend and "2. b" in legend
    rows = re.findall(r'<tr class="differs"><th>([^<]*)</th>', text)
    assert "lr" in rows and "epochs" in rows and "optimizer" not in rows and "seed" not in rows
    diff = re.search(r'<pre class="diff">(.*?)</pre>', text, re.S)
    assert diff is not None and "kernel 3x3 -&gt; 5x5" in diff.group(1)


def test_no_external_resource_and_no_script(runs: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    for args in ([str(runs / "a")], [str(runs / "a"), str(runs / "b")]):
        text = write([*args, "--out", str(tmp_path / f"{len(args)}.html")], capsys)
        assert "http://" not in text and "https://" not in text and "url(" not in text
        page = Page(text)
        tags = {t for t, _ in page.elements}
        assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
        for _, attrs in page.elements:
            assert not {"src", "href", "xlink:href"} & set(attrs)
        csp = [a for t, a in page.elements if t == "meta" and a.get("http-equiv")]
        assert csp and "default-src 'none'" in (csp[0]["content"] or "")


def test_hostile_text_is_escaped(runs: Path, hostile: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = json.loads((hostile / "config.json").read_text())
    assert config["preprocess"]["classes"] == [SCRIPT, IMG]  # the payloads really are there
    for args in ([str(hostile)], [str(runs / "a"), str(hostile)]):
        text = write([*args, "--out", str(tmp_path / f"h{len(args)}.html")], capsys)
        page = Page(text)
        tags = [t for t, _ in page.elements]
        assert "script" not in tags and "img" not in tags
        assert tags.count("svg") == len(re.findall(r"<svg\b", text))  # no svg from a payload
        for tag, attrs in page.elements:
            handlers = [k for k in attrs if k.lower().startswith("on")]
            assert not handlers, (tag, attrs)
        for svg in svgs(text).values():  # still well-formed XML, with no script inside
            assert not [e for e in svg.iter() if e.tag == "script"
                        or any(k.startswith("on") for k in e.attrib)]
        body = "".join(page.text)
        assert SCRIPT in body  # shown as text
    single = Page((tmp_path / "h1.html").read_text())
    shown = "".join(single.text)
    assert IMG in shown and f"net {SCRIPT}" in shown and SVG_ONLOAD in shown
    assert [row[0] for row in single.table("per-class")[1:]] == [SCRIPT, IMG]
    head = re.search(r'<table class="confusion"><thead>(.*?)</thead>', (tmp_path / "h1.html")
                     .read_text(), re.S)
    assert head is not None and "&lt;script&gt;" in head.group(1)


def test_refuses_to_overwrite(runs: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "keep.html"
    out.write_text("earlier work")
    assert main(["report", str(runs / "a"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists" in err and "--overwrite" in err
    assert out.read_text() == "earlier work"
    config = (runs / "a" / "config.json").read_bytes()
    assert main(["report", str(runs / "a"), "--out", str(runs / "a" / "config.json"),
                 "--overwrite"]) == 2
    assert "never replaces a run's files" in capsys.readouterr().err
    assert (runs / "a" / "config.json").read_bytes() == config
    assert main(["report", str(runs), "--out", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run folder" in err
    assert not (tmp_path / "x.html").exists()
    assert main(["report", str(runs / "a"), "--out", str(out), "--overwrite"]) == 0
    assert "<svg" in out.read_text()


def test_report_needs_neither_torch_nor_qt(runs: Path, tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "torchvision", "PySide6", "pyqtgraph"):
                    raise ImportError(f"the report imported {{name}}")
        sys.meta_path.insert(0, Block())
        from cnnstudio.cli import main
        sys.exit(main(["report", {str(runs / "a")!r}, {str(runs / "b")!r},
                       "--out", {str(tmp_path / "t.html")!r}]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Architecture diff" in (tmp_path / "t.html").read_text()
