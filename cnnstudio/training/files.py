"""Atomic JSON and text writes for run folders (``write_atomic`` lives in the core)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cnnstudio.core.files import write_atomic

__all__ = ["read_json", "write_atomic", "write_json_atomic", "write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=True))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))
