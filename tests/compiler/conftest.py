"""Compiler tests run torch on one thread: their tensors are tiny, and on a busy 2-core
machine thread hand-offs cost far more than the arithmetic (30 ms vs 0.3 ms per conv)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True, scope="package")
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
