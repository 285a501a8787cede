"""The core is type-checked strictly (pyproject's [tool.mypy] names cnnstudio/core)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_core_is_mypy_clean() -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "cnnstudio/core"],
                         cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
