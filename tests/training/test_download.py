"""Downloading the built-in datasets through torchvision's downloader, from a loopback server
serving ../shared/data/mnist in place of the network (``MNIST.mirrors`` pointed at it)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import torchvision.datasets as tvd

from cnnstudio.cli import main
from cnnstudio.training import DatasetError
from cnnstudio.training.builtin import download_builtin
from cnnstudio.training.datasets import load_source
from tests.local_server import closed_port_url, mirror_mnist, serve_folder

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def test_download_fetches_checks_and_loads_mnist(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[dict[str, Any]] = []
    with serve_folder(shared_data / "mnist") as url:
        mirror_mnist(monkeypatch, url, shared_data / "mnist")
        folder = download_builtin("mnist", tmp_path, progress=events.append)
    assert folder == tmp_path / "MNIST" / "raw"
    assert [e["file"] for e in events] == FILES and {e["files"] for e in events} == {4}
    data = load_source("mnist", tmp_path)
    assert len(data.train) == 60_000 and data.test is not None and len(data.test) == 10_000


def test_a_corrupt_file_fails_the_checksum(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = tmp_path / "served"
    shutil.copytree(shared_data / "mnist", served)
    (served / "train-labels-idx1-ubyte.gz").write_bytes(b"not the labels")
    with serve_folder(served) as url:
        mirror_mnist(monkeypatch, url, shared_data / "mnist")
        with pytest.raises(DatasetError, match="downloading train-labels-idx1-ubyte.gz"):
            download_builtin("mnist", tmp_path / "root")


def test_offline_says_which_files_go_where_and_that_works(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tvd.MNIST, "mirrors", [closed_port_url()])
    with pytest.raises(DatasetError) as caught:
        download_builtin("mnist", tmp_path)
    message = str(caught.value)
    assert "Offline, put " + ", ".join(FILES[:3]) + f" and {FILES[3]}" in message
    assert f"in {tmp_path / 'mnist'}/" in message
    (tmp_path / "mnist").mkdir()
    for name in FILES:  # doing what the message says makes the dataset load
        shutil.copy(shared_data / "mnist" / name, tmp_path / "mnist" / name)
    assert len(load_source("mnist", tmp_path).train) == 60_000


def test_cancel_stops_between_files(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cancel = threading.Event()
    seen: list[str] = []

    def progress(event: dict[str, Any]) -> None:
        seen.append(event["file"])
        cancel.set()

    with serve_folder(shared_data / "mnist") as url:
        mirror_mnist(monkeypatch, url, shared_data / "mnist")
        download_builtin("mnist", tmp_path, progress=progress, cancel=cancel)
    assert seen == FILES[:1]
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == [
        "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]


def test_cli_download_only_and_offline_message(
        shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tvd.MNIST, "mirrors", [closed_port_url()])
    assert main(["train", "--dataset", "mnist", "--download", "--data-root",
                 str(tmp_path)]) == 1
    assert f"in {tmp_path / 'mnist'}/" in capsys.readouterr().err
    with serve_folder(shared_data / "mnist") as url:
        mirror_mnist(monkeypatch, url, shared_data / "mnist")
        assert main(["train", "--dataset", "mnist", "--download", "--data-root",
                     str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "downloading t10k-labels-idx1-ubyte.gz (4/4)" in out
    assert f"downloaded into {tmp_path / 'MNIST' / 'raw'}" in out
    assert main(["train", "--dataset", "cifar100", "--download"]) == 1
    assert "only cifar10, fashion-mnist, mnist can be downloaded" in capsys.readouterr().err


def test_without_download_the_missing_data_message_names_the_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CNNSTUDIO_DATA", raising=False)
    with pytest.raises(DatasetError, match=r"put train-images-idx3-ubyte.gz, .* \(or allow "
                                           r"the download: --download\)"):
        load_source("fashion-mnist", tmp_path)
    with pytest.raises(DatasetError, match=r"extract cifar-10-python.tar.gz .*data_batch_1"):
        load_source("cifar10", tmp_path)
