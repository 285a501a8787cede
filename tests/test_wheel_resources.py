"""The built wheel carries its resources: installed (without the editable checkout) into a
fresh venv of the base interpreter, ``cnnstudio.resources`` finds the example projects and
the bundled data, ``cnnstudio.core`` loads an example, and the desktop entry installs (with
only the scalable icon, since that venv has no Qt)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import json, os, sys
from pathlib import Path
import cnnstudio
from cnnstudio.resources import resource_path
from cnnstudio.core import project_io
from cnnstudio import desktop

example = resource_path("examples/conv_pool.cnnproj")
data = resource_path("data/mnist-test")
guide = resource_path("guide")
project = project_io.load(example)
outcome = desktop.install()
print(json.dumps({
    "package": cnnstudio.__file__,
    "example": example.is_file(),
    "data": sorted(p.name for p in data.iterdir()),
    "guide": sorted(p.name for p in guide.iterdir()),
    "nodes": len(project.graph.nodes),
    "icons": sorted(str(p.relative_to(desktop.data_home())) for p in outcome.files),
    "notes": outcome.notes,
    "qt": "PySide6" in sys.modules,
}))
"""


def source_copy(dest: Path) -> Path:
    """The files git would ship (tracked and new, not ignored), links kept as links."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src, target = ROOT / name, dest / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree, not yet committed
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, target)
    return dest


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs the git checkout")
def test_wheel_installs_with_its_resources(tmp_path: Path) -> None:
    src = source_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                    "--no-build-isolation", "--no-index", "-q", "-w", str(dist)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("cnnstudio-*.whl"))
    base = Path(sys.base_prefix) / "bin" / "python3"
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True)
    script = tmp_path / "check.py"
    script.write_text(CHECK)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "share")}
    done = subprocess.run([str(python), "-I", str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["package"]).is_relative_to(venv)  # not the editable checkout
    assert found["example"] and found["nodes"] > 0
    assert {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} <= set(found["data"])
    guide = ROOT / "docs" / "guide"  # Help > Guide: the user guide ships with the package
    assert found["guide"] == sorted(p.name for p in guide.iterdir())
    assert not found["qt"]
    assert found["icons"] == ["applications/cnnstudio.desktop",
                              "icons/hicolor/scalable/apps/cnnstudio.svg",
                              "mime/packages/cnnstudio.xml"]
    assert any(n.startswith("PNG icons not rendered") for n in found["notes"])
