"""The core must stay Qt-free and torch-free: import it where those imports fail."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CORE_MODULES = [
    "cnnstudio.core",
    "cnnstudio.core.builder",
    "cnnstudio.core.examples",
    "cnnstudio.core.layout",
    "cnnstudio.core.presets",
    "cnnstudio.core.project_io",
    "cnnstudio.core.retarget",
    "cnnstudio.core.schema",
    "cnnstudio.core.summary",
    "cnnstudio.cli",
    "cnnstudio.runs",
    "cnnstudio.runs.trash",
    "cnnstudio.runs.user",
    "cnnstudio.reports",
    "cnnstudio.sweeps.space",
    "cnnstudio.sweeps.record",
]


def test_core_imports_without_torch_or_qt() -> None:
    code = textwrap.dedent(f"""
        import importlib, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                root = name.split(".")[0]
                if root in ("torch", "torchvision", "PySide6", "pyqtgraph", "onnx",
                            "onnxruntime", "safetensors"):
                    raise ImportError(f"core imported {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for m in {CORE_MODULES!r}:
            importlib.import_module(m)
        import pkgutil, cnnstudio.core as core
        for info in pkgutil.walk_packages(core.__path__, "cnnstudio.core."):
            importlib.import_module(info.name)
        from cnnstudio.cli import build_parser
        build_parser()
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_block_really_blocks() -> None:
    """The guard above would catch an import of torch (so the test can fail)."""
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch":
                    raise ImportError("blocked")
        sys.meta_path.insert(0, Block())
        import torch
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0 and "blocked" in out.stderr


def _walk_with_blocked(packages: list[str], blocked: tuple[str, ...],
                       modules: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Import every module of ``packages``, and ``modules``, in a process where ``blocked``
    imports fail."""
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r} or name.startswith("cnnstudio.gui"):
                    raise ImportError(f"imported {{name}}")
                return None
        sys.meta_path.insert(0, Block())
        for top in {packages!r}:
            package = importlib.import_module(top)
            for info in pkgutil.walk_packages(package.__path__, top + "."):
                importlib.import_module(info.name)
        for name in {list(modules)!r}:
            importlib.import_module(name)
        print("ok")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_compiler_training_presets_torch_import_without_qt_or_gui() -> None:
    """torch-side packages never reach PySide6, pyqtgraph or cnnstudio.gui."""
    out = _walk_with_blocked(["cnnstudio.compiler", "cnnstudio.training",
                              "cnnstudio.presets_torch", "cnnstudio.cli", "cnnstudio.importing"],
                             ("PySide6", "pyqtgraph"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


#: the ONNX side of the importer: onnx and numpy only (an ONNX file imports without torch)
ONNX_IMPORT = ("cnnstudio.importing", "cnnstudio.importing.ops", "cnnstudio.importing.passes",
               "cnnstudio.importing.builder", "cnnstudio.importing.onnx_ops",
               "cnnstudio.importing.onnx_context", "cnnstudio.importing.onnx_reader",
               "cnnstudio.importing.sources")


def test_onnx_import_needs_neither_torch_nor_qt() -> None:
    out = _walk_with_blocked([], ("torch", "torchvision", "PySide6", "pyqtgraph"),
                             ONNX_IMPORT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_walk_guard_catches_a_gui_import() -> None:
    out = _walk_with_blocked(["cnnstudio.gui"], ("PySide6",))
    assert out.returncode != 0 and "imported" in out.stderr
