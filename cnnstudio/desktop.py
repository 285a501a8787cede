"""Register CNN Studio with the Linux desktop for the current user (``cnnstudio
--install-desktop``) and take it away again (``cnnstudio --uninstall-desktop``).

Everything goes under ``$XDG_DATA_HOME`` (default ``~/.local/share``):

* ``applications/cnnstudio.desktop``: the launcher entry (packaging/cnnstudio.desktop, with
  Exec pointing at this installation's interpreter);
* ``icons/hicolor/NxN/apps/cnnstudio.png`` in the standard sizes, rendered from the bundled
  SVG with Qt (``cnnstudio.gui.icon_render``, imported only then), and
  ``icons/hicolor/scalable/apps/cnnstudio.svg``;
* ``mime/packages/cnnstudio.xml``: the ``application/x-cnnstudio-project`` type (*.cnnproj).

Then the desktop's caches are refreshed with update-desktop-database, update-mime-database
and gtk-update-icon-cache where they are on PATH; a missing or failing tool is reported,
never an error. Uninstalling removes exactly the files installing writes. This module imports
neither torch nor Qt at import time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cnnstudio.core.files import write_bytes_atomic
from cnnstudio.resources import resource_path

APP_ID = "cnnstudio"
MIME_TYPE = "application/x-cnnstudio-project"
MIME_GLOB = "*.cnnproj"
ICON_SIZES = (16, 32, 48, 64, 128, 256)

#: the launcher entry; packaging/cnnstudio.desktop is this text with ``Exec=cnnstudio %f``
DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Name=CNN Studio
GenericName=Neural network designer
Comment=Design, train and export convolutional networks
Exec={exec}
Icon=cnnstudio
Terminal=false
Categories=Development;Education;Science;ArtificialIntelligence;
MimeType=application/x-cnnstudio-project;
Keywords=CNN;neural;network;deep learning;PyTorch;
"""

MIME_XML = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{MIME_TYPE}">
    <comment>CNN Studio project</comment>
    <sub-class-of type="application/json"/>
    <generic-icon name="{APP_ID}"/>
    <glob pattern="{MIME_GLOB}"/>
  </mime-type>
</mime-info>
"""

@dataclass
class Outcome:
    """What install or uninstall did: files written or removed, and one line per tool."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset, empty or relative."""
    value = os.environ.get("XDG_DATA_HOME", "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def desktop_file(home: Path) -> Path:
    return home / "applications" / f"{APP_ID}.desktop"


def mime_file(home: Path) -> Path:
    return home / "mime" / "packages" / f"{APP_ID}.xml"


def icon_files(home: Path) -> list[Path]:
    """The scalable SVG, then one PNG per size in ICON_SIZES."""
    hicolor = home / "icons" / "hicolor"
    pngs = [hicolor / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    return [hicolor / "scalable" / "apps" / f"{APP_ID}.svg", *pngs]


def managed_files(home: Path) -> list[Path]:
    """Every file install may write (uninstall removes these and nothing else)."""
    return [desktop_file(home), *icon_files(home), mime_file(home)]


def exec_line() -> str:
    """The Exec value: this interpreter running ``-m cnnstudio`` on the opened file (in a
    bundle, packaging/README.md, the bundle's own executable), quoted as the Desktop Entry
    Specification asks (double quotes, backslash escapes, %%)."""
    frozen = getattr(sys, "frozen", False)  # set by PyInstaller in a bundle
    words = [sys.executable] if frozen else [sys.executable, "-m", "cnnstudio"]
    quoted = []
    for word in words:
        if any(c in word for c in ' \t\n"\'\\><~|&;$*?#()`='):
            escaped = "".join("\\" + c if c in '"`$\\' else c for c in word)
            quoted.append(f'"{escaped}"')
        else:
            quoted.append(word)
    quoted = [w.replace("%", "%%") for w in quoted]  # a lone % starts a field code
    return " ".join([*quoted, "%f"])


def desktop_entry() -> str:
    return DESKTOP_ENTRY.format(exec=exec_line())


def _write(path: Path, data: bytes, outcome: Outcome) -> None:
    write_bytes_atomic(path, data)
    outcome.files.append(path)




def _refresh(home: Path, outcome: Outcome) -> None:
    """Run the cache tools that are on PATH; note the missing or failing ones."""
    hicolor = home / "icons" / "hicolor"
    tools = [
        ("update-desktop-database", [str(home / "applications")]),
        ("update-mime-database", [str(home / "mime")]),
    ]
    # as xdg-icon-resource does: a cache in a folder without a theme index would go stale
    # when other programs add icons there without refreshing it, and hide their icons
    if (hicolor / "index.theme").is_file():
        tools.append(("gtk-update-icon-cache", ["-q", str(hicolor)]))
    else:
        outcome.notes.append("gtk-update-icon-cache: not needed (no index.theme in "
                             f"{hicolor}; icons there are found without a cache)")
    for name, args in tools:
        exe = shutil.which(name)
        if exe is None:
            outcome.notes.append(f"{name}: not found, skipped")
            continue
        try:
            done = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            outcome.notes.append(f"{name}: could not run ({exc})")
            continue
        if done.returncode == 0:
            outcome.notes.append(f"{name}: ran")
        else:
            why = (done.stderr or done.stdout).strip().splitlines()
            outcome.notes.append(f"{name}: exit {done.returncode}" + (f" ({why[-1]})" if why
                                                                       else ""))


def install(home: Path | None = None) -> Outcome:
    """Write the launcher, icons and MIME type under ``home`` (default data_home())."""
    home = data_home() if home is None else home
    outcome = Outcome()
    svg = resource_path(f"icons/{APP_ID}.svg")
    _write(desktop_file(home), desktop_entry().encode("utf-8"), outcome)
    scalable, *pngs = icon_files(home)
    _write(scalable, svg.read_bytes(), outcome)
    try:
        from cnnstudio.gui.icon_render import IconRenderError, render_pngs
    except ImportError as exc:  # no Qt: the scalable icon still serves
        rendered, problem = None, str(exc)
    else:
        try:
            rendered, problem = render_pngs(svg, ICON_SIZES), ""
        except IconRenderError as exc:
            rendered, problem = None, str(exc)
    if rendered is None:  # no QtSvg: the scalable icon still serves
        outcome.notes.append(f"PNG icons not rendered ({problem}); the scalable SVG is "
                             "installed")
        for stale in pngs:  # never leave PNGs of an older install next to the new SVG
            stale.unlink(missing_ok=True)
    else:
        for size, path in zip(ICON_SIZES, pngs, strict=True):
            _write(path, rendered[size], outcome)
    _write(mime_file(home), MIME_XML.encode("utf-8"), outcome)
    _refresh(home, outcome)
    return outcome


def uninstall(home: Path | None = None) -> Outcome:
    """Remove the files install writes (only those), then refresh the caches."""
    home = data_home() if home is None else home
    outcome = Outcome()
    for path in managed_files(home):
        if path.is_file() or path.is_symlink():
            path.unlink()
            outcome.files.append(path)
    _refresh(home, outcome)
    return outcome


def run(uninstalling: bool) -> int:
    """``cnnstudio --install-desktop`` / ``--uninstall-desktop``: act and print a summary."""
    outcome = uninstall() if uninstalling else install()
    verb = "removed" if uninstalling else "wrote"
    if not outcome.files:
        print(f"cnnstudio: nothing to remove under {data_home()}" if uninstalling
              else "cnnstudio: nothing written")
    for path in outcome.files:
        print(f"{verb} {path}")
    for note in outcome.notes:
        print(note)
    if not uninstalling:
        print(f"the launcher runs: {exec_line()}")
    return 0
