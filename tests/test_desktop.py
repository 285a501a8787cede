"""``cnnstudio --install-desktop`` / ``--uninstall-desktop`` (cnnstudio/desktop.py), into a
temporary $XDG_DATA_HOME, with the real cache tools where this machine has them."""

from __future__ import annotations

import configparser
import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cnnstudio import desktop
from cnnstudio.__main__ import main

MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: object) -> Path:
    """A fresh XDG_DATA_HOME (qapp: the PNGs render with the session's application)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path / "share"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_install_writes_entry_icons_and_mime_type(home: Path) -> None:
    outcome = desktop.install()
    assert set(outcome.files) == set(desktop.managed_files(home))
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    entry.read(home / "applications" / "cnnstudio.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Icon"] == "cnnstudio"
    assert section["MimeType"].split(";")[0] == "application/x-cnnstudio-project"
    assert section["Exec"].endswith(" -m cnnstudio %f")
    assert os.path.basename(section["Exec"].split(" -m ")[0].strip('"')).startswith("python")
    hicolor = home / "icons" / "hicolor"
    assert (hicolor / "scalable" / "apps" / "cnnstudio.svg").read_bytes().startswith(b"<svg")
    for n in (16, 32, 48, 64, 128, 256):
        assert png_size(hicolor / f"{n}x{n}" / "apps" / "cnnstudio.png") == (n, n)
    mime = ET.parse(home / "mime" / "packages" / "cnnstudio.xml").getroot()
    kind = mime.find(f"{MIME_NS}mime-type")
    assert kind is not None and kind.get("type") == "application/x-cnnstudio-project"
    assert [g.get("pattern") for g in kind.iter(f"{MIME_NS}glob")] == ["*.cnnproj"]


def test_installing_twice_writes_the_same_files(home: Path) -> None:
    desktop.install()
    first = snapshot(home)
    desktop.install()
    assert snapshot(home) == first
    assert not [p for p in home.rglob("*.tmp")]


def test_uninstall_removes_exactly_what_install_wrote(home: Path) -> None:
    unrelated = [home / "applications" / "other.desktop",
                 home / "icons" / "hicolor" / "48x48" / "apps" / "other.png",
                 home / "mime" / "packages" / "other.xml"]
    for path in unrelated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("not ours")
    written = desktop.install().files
    removed = desktop.uninstall().files
    assert sorted(removed) == sorted(written)
    assert not [p for p in desktop.managed_files(home) if p.exists()]
    assert all(p.read_text() == "not ours" for p in unrelated)
    assert desktop.uninstall().files == []  # a second uninstall finds nothing to remove


def test_missing_tools_are_reported_not_fatal(home: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    outcome = desktop.install()
    assert "update-desktop-database: not found, skipped" in outcome.notes
    assert "update-mime-database: not found, skipped" in outcome.notes
    assert desktop.desktop_file(home).is_file()


def test_the_cli_flags_install_and_uninstall(home: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--install-desktop"]) == 0
    out = capsys.readouterr().out
    for path in desktop.managed_files(home):
        assert f"wrote {path}" in out
    assert main(["--uninstall-desktop"]) == 0
    out = capsys.readouterr().out
    assert f"removed {desktop.desktop_file(home)}" in out
    assert not desktop.desktop_file(home).exists()
    assert main(["--install-desktop", "summary"]) == 2
    assert not desktop.desktop_file(home).exists()


def test_the_default_place_is_local_share(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop.data_home() == tmp_path / ".local" / "share"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec says: ignore it
    assert desktop.data_home() == tmp_path / ".local" / "share"


def test_exec_quotes_an_interpreter_path_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.executable", '/opt/my apps/100% "py"/python')
    assert desktop.exec_line() == r'"/opt/my apps/100%% \"py\"/python" -m cnnstudio %f'


def test_packaging_entry_matches_the_installed_one() -> None:
    """packaging/cnnstudio.desktop (for distribution packages) is the same entry."""
    shipped = Path(__file__).resolve().parents[1] / "packaging" / "cnnstudio.desktop"
    assert shipped.read_text("utf-8") == desktop.DESKTOP_ENTRY.format(exec="cnnstudio %f")
