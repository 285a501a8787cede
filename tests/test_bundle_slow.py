"""The one-folder bundle (packaging/cnnstudio.spec, PyInstaller) builds and runs.

The slow test builds the bundle into a temporary folder and runs the bundled executable with
``QT_QPA_PLATFORM=offscreen``: the app opens a preset and checks its canvas
(``CNNSTUDIO_SELF_CHECK``, ``cnnstudio/gui/self_check.py``), the CLI prints the same summary
as this checkout, exports a verified ONNX file (onnxscript and onnxruntime inside the bundle),
trains one epoch on the bundled MNIST sample, runs the app's training child process (spawn)
as the bundle and registers the bundle with the desktop. The fast tests check the self-check
mode and the desktop entry of a bundle without building one.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cnnstudio import desktop

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "cnnstudio.spec"


# The app's training child (cnnstudio.gui.training.worker: spawn, target run_child) with the
# bundle as the child: this interpreter plays the frozen app, starting the child the way a
# frozen parent does (EXE --multiprocessing-fork ...), so the bundle's freeze_support must run
# the job; its resource tracker stays this interpreter's.
SPAWN_CHECK = """
import dataclasses, json, multiprocessing, sys
from multiprocessing import resource_tracker
from cnnstudio.core import project_io
from cnnstudio.core.presets import build_preset
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.process import run_child

if __name__ == "__main__":
    exe, run_dir = sys.argv[1], sys.argv[2]
    resource_tracker.ensure_running()
    sys.frozen = True
    ctx = multiprocessing.get_context("spawn")
    ctx.set_executable(exe)
    project = project_io.dumps(project_io.Project(build_preset("lenet5")))
    job = {"kind": "train", "project": project, "write_project": False,
           "source": "mnist-sample", "run_dir": run_dir, "input_shape": [1, 32, 32],
           "root": None, "config": dataclasses.asdict(TrainConfig(epochs=1, device="cpu"))}
    receive, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()  # held here: start() drops the process's reference to its arguments
    process = ctx.Process(target=run_child, args=(job, send, stop))
    process.start()
    send.close()
    message = receive.recv()
    while message[0] == "event":
        message = receive.recv()
    process.join(60)
    print(json.dumps({"outcome": message[0], "status": message[1].get("status")
                      if message[0] == "done" else message[1:], "exitcode": process.exitcode}))
"""


def app_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with its own home and XDG folders: nothing of the user's is touched."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "share"),
           "XDG_CACHE_HOME": str(home / "cache"), "QT_QPA_PLATFORM": "offscreen"}
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_self_check_opens_the_preset_and_quits(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "cnnstudio"],
               app_env(tmp_path, CNNSTUDIO_SELF_CHECK="lenet5"), tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cnnstudio self-check: lenet5 opened, 9 nodes on the canvas" in done.stdout


def test_self_check_refuses_an_unknown_preset(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "cnnstudio"],
               app_env(tmp_path, CNNSTUDIO_SELF_CHECK="lenet6"), tmp_path, timeout=120)
    assert done.returncode == 2
    assert "CNNSTUDIO_SELF_CHECK='lenet6' is not a preset id" in done.stderr
    assert "Traceback" not in done.stderr


def test_desktop_entry_of_a_bundle_runs_the_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/cnnstudio/cnnstudio")
    assert desktop.exec_line() == "/opt/cnnstudio/cnnstudio %f"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                    reason="PyInstaller is not installed (pip install -e .[bundle])")
def test_bundle_builds_and_runs(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "work"
    try:
        build = run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath",
                     str(dist), "--workpath", str(work), str(SPEC)],
                    dict(os.environ), ROOT, timeout=3600)
        assert build.returncode == 0, build.stderr[-4000:]
        shutil.rmtree(work)  # several GB of intermediate files
        folder = dist / "cnnstudio"
        exe = folder / "cnnstudio"
        resources = folder / "_internal" / "cnnstudio" / "resources"
        for name in ("examples/conv_pool.cnnproj", "icons/cnnstudio.svg", "themes/dark.qss",
                     "data/mnist-test", "guide/README.md"):
            assert (resources / name).exists(), name
        home = tmp_path / "home"

        opened = run([str(exe)], app_env(home, CNNSTUDIO_SELF_CHECK="resnet18"), tmp_path)
        assert opened.returncode == 0, opened.stderr
        assert "cnnstudio self-check: resnet18 opened, 69 nodes on the canvas" in opened.stdout

        summary = run([str(exe), "summary", "resnet18"], app_env(home), tmp_path)
        here = run([sys.executable, "-m", "cnnstudio", "summary", "resnet18"],
                   app_env(home), tmp_path)
        assert summary.returncode == 0, summary.stderr
        assert summary.stdout == here.stdout

        model = tmp_path / "lenet5.onnx"
        export = run([str(exe), "export", "lenet5", "--format", "onnx", "--out", str(model)],
                     app_env(home), tmp_path)
        assert export.returncode == 0, export.stderr
        assert "verified: onnxruntime (CPUExecutionProvider) matches PyTorch" in export.stdout
        assert model.is_file()

        run_dir = tmp_path / "run"  # trains on the MNIST sample bundled as a resource
        trained = run([str(exe), "train", "lenet5", "--dataset", "mnist-sample", "--epochs", "1",
                       "--device", "cpu", "--no-progress", "--out", str(run_dir)],
                      app_env(home), tmp_path)
        assert trained.returncode == 0, trained.stderr
        assert "completed: 1 epoch(s)" in trained.stdout
        assert (run_dir / "metrics.json").is_file()

        script = tmp_path / "spawn_check.py"
        script.write_text(SPAWN_CHECK)
        child_run = tmp_path / "child_run"
        spawned = run([sys.executable, str(script), str(exe), str(child_run)], app_env(home),
                      tmp_path)
        assert spawned.returncode == 0, spawned.stderr
        assert json.loads(spawned.stdout.splitlines()[-1]) == {
            "outcome": "done", "status": "completed", "exitcode": 0}
        assert (child_run / "metrics.json").is_file()

        installed = run([str(exe), "--install-desktop"], app_env(home), tmp_path)
        assert installed.returncode == 0, installed.stderr
        entry = (home / "share" / "applications" / "cnnstudio.desktop").read_text()
        assert f"Exec={exe} %f" in entry.splitlines()
        assert (home / "share" / "icons" / "hicolor" / "48x48" / "apps" / "cnnstudio.png").is_file()
    finally:
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
