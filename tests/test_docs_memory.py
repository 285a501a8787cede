"""docs/memory.md's table (printed by bench/memory.py) agrees with the estimate the code gives."""

from __future__ import annotations

from pathlib import Path

from cnnstudio.core.memory import estimate, fmt_bytes
from cnnstudio.core.presets import build_preset
from cnnstudio.core.shapes import analyse

DOC = Path(__file__).resolve().parents[1] / "docs" / "memory.md"


def test_table_estimates_match_the_code() -> None:
    rows = [line.strip("|").split("|") for line in DOC.read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| Preset")]
    assert len(rows) >= 5
    for cells in rows:
        preset, _, two, measured, ratio, batch32, largest = (c.strip() for c in cells[:7])
        a = analyse(build_preset(preset, layout=False))
        e2, e32 = estimate(a, 2), estimate(a, 32)
        assert two == f"{e2.activations:,} B", preset
        assert batch32 == fmt_bytes(e32.total), preset
        assert largest == f"{e32.max_batch(8 * 1024**3):,}", preset
        bytes_measured = int(measured.removesuffix(" B").replace(",", ""))
        assert abs(e2.activations - bytes_measured) <= 0.1 * bytes_measured
        assert ratio == f"{e2.activations / bytes_measured:.3f}"
