"""The guide's text cannot rot, and Help > Guide shows it.

Every picture the guide (docs/guide) shows exists and every picture in its folder is shown;
every chapter is in the index; links stay inside the guide (it ships with the package), and
``layer:KIND`` links name real layer kinds; every ``cnnstudio ...`` command it quotes parses
with the real parser and every ``--flag`` it names is an option. Help > Guide (F1) opens the
viewer (``cnnstudio.gui.guide``): contents list, chapters with their pictures scaled to the
page, links between chapters, Back, layer help pages, links outside the guide refused. The
pictures themselves and the chapters' claims: tests/gui/test_guide.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument

from cnnstudio.cli import COMMANDS, build_parser
from cnnstudio.core.layers import LAYERS
from cnnstudio.gui.guide import INDEX, GuideWindow, chapters, guide_dir, picture_name
from cnnstudio.gui.main_window import MainWindow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
FENCE = re.compile(r"```(?:bash)?\n(.*?)```", re.DOTALL)
SPAN = re.compile(r"`(cnnstudio(?: [^`]*)?)`")
#: placeholders the guide writes in commands, and a real value each stands for
PLACEHOLDERS = {"COMMAND": "train", "KIND": "Conv2d"}
TORCHRUN_FLAGS = {"--standalone", "--nproc-per-node"}


def pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(GUIDE.glob("*.md"))}


def test_every_chapter_is_in_the_index_and_every_picture_and_link_resolves() -> None:
    texts = pages()
    listed = [name for _, name in chapters(GUIDE)]
    assert listed == sorted(set(texts) - {INDEX})  # each chapter once, in file order
    assert len(listed) == 9
    shown_pictures: set[str] = set()
    for name, text in texts.items():
        for bang, label, target in LINK.findall(text):
            where = f"{name}: {target}"
            if bang:
                assert label, f"{where}: a picture needs a description"
                assert (GUIDE / target).is_file(), f"{where}: no such picture"
                shown_pictures.add(target)
            elif target.startswith("layer:"):
                assert target[6:] in LAYERS, f"{where}: no such layer kind"
            elif target.startswith(("http://", "https://")):
                continue
            else:  # another page of the guide: it must ship with the package
                page = target.split("#")[0]
                assert "/" not in page and page in texts, f"{where}: not a page of the guide"
    assert shown_pictures == {p.name for p in GUIDE.glob("*.png")}  # none stale, none missing
    for number, (title, name) in enumerate(chapters(GUIDE), 1):
        assert texts[name].startswith(f"# {number}. {title}\n"), name  # as the index says
        after = listed[number] if number < len(listed) else INDEX
        assert f"]({after})" in texts[name], f"{name} does not lead on to {after}"


def guide_commands() -> list[tuple[str, list[str]]]:
    """``(page, argv after "cnnstudio")`` for every command the guide quotes."""
    found = []
    for name, text in pages().items():
        lines: list[str] = []
        for block in FENCE.findall(text):
            lines += [line.split(" #")[0].strip() for line in
                      block.replace("\\\n", " ").splitlines()]
        lines += SPAN.findall(text)
        for line in lines:
            words = shlex.split(line)
            if words[:1] == ["torchrun"]:
                assert "-m" in words and words[words.index("-m") + 1] == "cnnstudio", line
                assert {w for w in words if w.startswith("--")} & TORCHRUN_FLAGS
                words = words[words.index("-m") + 1:]
            if words[:1] != ["cnnstudio"]:
                continue
            found.append((name, [PLACEHOLDERS.get(w, w) for w in words[1:]]))
    return found


def test_every_cnnstudio_command_in_the_guide_parses(capsys: pytest.CaptureFixture[str]) -> None:
    from cnnstudio.__main__ import PROJECT_SUFFIXES

    commands = guide_commands()
    assert len(commands) >= 30
    assert {"train", "export", "predict", "summary", "validate", "layer"} <= {
        argv[0] for _, argv in commands if argv}
    for page, argv in commands:
        if not argv or Path(argv[0]).suffix in PROJECT_SUFFIXES:
            continue  # `cnnstudio` alone, or with a project file: opens the app
        if len(argv) == 1 and argv[0] in COMMANDS:
            continue  # a command named in a sentence
        assert not any(w.isupper() and w.isalpha() for w in argv), (page, argv)
        try:
            build_parser().parse_args(argv)
        except SystemExit as exc:  # --help prints and exits 0; a usage error exits 2
            assert exc.code == 0 and "--help" in argv, (
                f"{page}: `cnnstudio {' '.join(argv)}` does not parse: "
                f"{capsys.readouterr().err.strip()}")


def test_every_flag_the_guide_names_is_real() -> None:
    parser = build_parser()
    flags = {o for a in parser._actions for o in a.option_strings}
    for action in parser._actions:
        for sub in getattr(action, "choices", None) or {}:
            flags |= {o for a in action.choices[sub]._actions for o in a.option_strings}
    for name, text in pages().items():
        for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]+", text):
            assert flag in flags | TORCHRUN_FLAGS, f"{name} names {flag}, which is no option"


# ------------------------------------------------------------ Help > Guide
def test_help_guide_opens_the_chapters_with_their_pictures_and_links(
        qtbot: Any, window: MainWindow) -> None:
    from cnnstudio.gui.panels.layer_help import LayerHelpDialog

    assert guide_dir().resolve() == GUIDE.resolve()  # the package finds docs/guide
    action = window.actions["guide"]
    assert action.shortcut().toString() == "F1"
    help_menu = window.menuBar().actions()[-1].menu()
    assert action in help_menu.actions()
    window.show()
    action.trigger()
    guide = window.actions.guide
    assert isinstance(guide, GuideWindow) and guide.isVisible()
    action.trigger()
    assert window.actions.guide is guide  # one window, brought to the front
    assert guide.chapter == INDEX
    titles = [guide.contents.item(i).text() for i in range(guide.contents.count())]
    assert titles[0] == "Contents" and len(titles) == len(chapters(GUIDE)) + 1
    assert titles[3] == "3. Reading the shape arithmetic, fixing an error"
    assert "The CNN Studio guide" in guide.browser.toPlainText()

    guide.contents.setCurrentRow(1)  # 1. A tour of the window
    assert guide.chapter == "01-tour.md"
    assert "A tour of the window" in guide.browser.toPlainText()
    pictures = [(picture_name(f), f.width()) for f in picture_formats(guide.browser.document())]
    assert [name for name, _ in pictures] == ["tour-welcome.png", "tour-window.png"]
    room = guide.browser.viewport().width()
    assert all(0 < width <= room for _, width in pictures)  # found, and scaled to the page
    image = guide.browser.loadResource(QTextDocument.ResourceType.ImageResource,
                                       QUrl("tour-window.png"))
    assert not QImage.fromData(image).isNull()

    guide.follow(QUrl("02-lenet5-by-hand.md"))  # a link to the next chapter
    assert guide.chapter == "02-lenet5-by-hand.md"
    assert guide.contents.currentRow() == 2 and guide.back.isEnabled()
    guide.follow(QUrl("layer:Conv2d"))  # a layer kind: its help page
    assert isinstance(guide.layer_help, LayerHelpDialog)
    assert guide.layer_help.isVisible() and guide.layer_help.kind == "Conv2d"
    assert "H_out = floor((H - F + 2P) / S) + 1" in guide.layer_help.browser.toPlainText()
    guide.follow(QUrl("../architecture.md"))  # outside the guide: refused, page kept
    assert guide.chapter == "02-lenet5-by-hand.md"
    assert "Not a page of the guide" in guide.status.text()
    guide.back.click()
    assert guide.chapter == "01-tour.md" and guide.contents.currentRow() == 1
    guide.close()


def picture_formats(doc: QTextDocument) -> list[Any]:
    found = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isImageFormat():
                found.append(fmt.toImageFormat())
            it += 1
        block = block.next()
    return found


def test_a_missing_guide_is_a_message_not_a_crash(window: MainWindow, dialogs: Any,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import cnnstudio.gui.guide as guide_module

    monkeypatch.setattr(guide_module, "guide_dir", lambda: tmp_path / "no-guide")
    window.actions["guide"].trigger()
    assert window.actions.guide is None
    assert len(dialogs.errors) == 1
    assert str(tmp_path / "no-guide" / INDEX) in dialogs.errors[0]
    assert not [w for w in window.findChildren(GuideWindow)]
