"""Layering of the importer: the ONNX side needs neither torch nor Qt, nothing needs Qt."""

from __future__ import annotations

import subprocess
import sys
import textwrap

TORCH_FREE = ["cnnstudio.importing", "cnnstudio.importing.ops", "cnnstudio.importing.passes",
              "cnnstudio.importing.builder", "cnnstudio.importing.onnx_ops",
              "cnnstudio.importing.onnx_context",
              "cnnstudio.importing.onnx_reader", "cnnstudio.importing.sources"]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True)


def _guard(blocked: tuple[str, ...]) -> str:
    return f"""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r} or name.startswith("cnnstudio.gui"):
                    raise ImportError(f"imported {{name}}")
                return None
        sys.meta_path.insert(0, Block())
    """


def test_onnx_reader_and_passes_import_without_torch_or_qt() -> None:
    out = _run(_guard(("torch", "torchvision", "PySide6", "pyqtgraph")) + f"""
        for m in {TORCH_FREE!r}:
            importlib.import_module(m)
        print("ok")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_no_importing_module_imports_qt() -> None:
    out = _run(_guard(("PySide6", "pyqtgraph")) + """
        import cnnstudio.importing as pkg
        for info in pkgutil.walk_packages(pkg.__path__, "cnnstudio.importing."):
            importlib.import_module(info.name)
        importlib.import_module("cnnstudio.cli.import_model")
        print("ok")
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
