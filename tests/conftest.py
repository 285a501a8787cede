"""Shared test setup: offscreen Qt, the --runslow flag, and the shared data folder."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("QT_QPA_PLATFORMTHEME", None)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLES = REPO / "resources" / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")
    parser.addoption("--screenshots", metavar="DIR", default="",
                     help="the docs folder where tests/gui/test_journey.py and test_guide.py "
                     "save the documentation's screenshots (docs)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that timed out waiting (pytest-qt's waitUntil, a worker's result) reports where
    every thread was at that moment, so a hang seen once in CI can be diagnosed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and call.excinfo is not None and "Timeout" in call.excinfo.typename:
        stacks = [f"--- thread {ident} ---\n" + "".join(traceback.format_stack(frame))
                  for ident, frame in sys._current_frames().items()]
        report.sections.append(("Python stacks of every thread at the timeout",
                                "\n".join(stacks)))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (clone ../shared beside the repo)")
    return SHARED_DATA


#: torchvision's file name for resnet18's ImageNet weights (what the torch hub cache holds)
RESNET18_FILE = "resnet18-f37072fd.pth"


@pytest.fixture(scope="session")
def resnet18_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded state dict of torchvision's resnet18 (weights=None: nothing is downloaded),
    saved under torchvision's file name, as pretrained weights for the transfer tests."""
    import torch
    import torchvision

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / RESNET18_FILE
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    return path
