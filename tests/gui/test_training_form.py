"""The training form against the declared options: every option has an editor in its group's
section with the declared default, choices, range and help; read() names a bad field; the
device list is this machine's; Download fetches a built-in dataset in a worker."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from cnnstudio.gui.training.fields import DECIMALS, DeviceCombo
from cnnstudio.gui.training.form import TrainForm
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.options import BY_NAME, DEVICES, TRAIN_OPTIONS
from tests.local_server import closed_port_url, mirror_mnist, serve_folder


@pytest.fixture
def form(qtbot: Any) -> TrainForm:
    widget = TrainForm()
    qtbot.addWidget(widget)
    return widget


def test_every_option_is_in_the_form_as_declared(form: TrainForm) -> None:
    assert set(form.fields) == {o.name for o in TRAIN_OPTIONS}
    _, _, config = form.read()
    for option in TRAIN_OPTIONS:
        field = form.fields[option.name]
        assert getattr(config, option.name) == option.default == getattr(TrainConfig(),
                                                                        option.name)
        assert form.sections[option.group].body.isAncestorOf(field)
        assert option.help[1:] in field.toolTip() and option.flag in field.toolTip()
        if isinstance(field, QSpinBox | QDoubleSpinBox):
            step = 1 if isinstance(field, QSpinBox) else 10.0 ** -DECIMALS
            low = option.low + step if option.low_open else option.low
            high = option.high - step if option.high_open else option.high
            assert (field.minimum(), field.maximum()) == pytest.approx((low, high))
            assert option.span() in field.toolTip()
        elif isinstance(field, DeviceCombo):
            assert option.choices == DEVICES and field.device() == option.default
        elif isinstance(field, QComboBox):
            assert tuple(field.itemText(i) for i in range(field.count())) == option.choices
        elif isinstance(field, QCheckBox):
            assert option.kind == "bool"
        else:
            assert isinstance(field, QLineEdit)
            assert option.typed or option.kind in ("list", "text")


@pytest.mark.parametrize(("name", "text", "said"), [
    ("lr", "1e400", "Learning rate (--lr) must be in (0, 1e+12], got inf"),
    ("lr", "-1", "Learning rate (--lr) must be in (0, 1e+12], got -1"),
    ("lr", "fast", "Learning rate (--lr) 'fast' is not a number"),
    ("weight_decay", "nan", "Weight decay (--weight-decay) must be in [0, 100]"),
    ("augment", "crop:-4", "Augmentation (--augment): augmentation 'crop:-4'"),
])
def test_read_names_the_bad_field(form: TrainForm, name: str, text: str, said: str) -> None:
    field = form.fields[name]
    assert isinstance(field, QLineEdit)
    field.setText(text)
    with pytest.raises(ValueError) as caught:
        form.read()
    assert said in str(caught.value)


def test_spin_boxes_cannot_leave_the_range(form: TrainForm) -> None:
    form.fields["test_split"].setValue(0.0)
    form.fields["val_split"].setValue(1.5)
    form.fields["epochs"].setValue(0)
    _, _, config = form.read()
    assert config.val_split == 0.9999 and config.epochs == 1
    form.fields["val_split"].setValue(0.5)
    form.fields["test_split"].setValue(0.5)
    with pytest.raises(ValueError, match="val_split \\+ test_split"):
        form.read()


def test_all_options_survive_a_restart(form: TrainForm, qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    path = str(tmp_path / "settings.ini")
    values = {"nesterov": True, "gamma": 0.5, "monitor": "val_loss", "num_workers": 2,
              "weight_decay": 0.0005, "augment": ["crop:4", "hflip"], "device": "cuda:3",
              "channels_last": "off", "grey": True}
    from cnnstudio.gui.training.fields import write_field

    for name, value in values.items():
        write_field(BY_NAME[name], form.fields[name], value)
    form.save(QSettings(path, QSettings.Format.IniFormat))
    again = TrainForm()
    qtbot.addWidget(again)
    again.restore(QSettings(path, QSettings.Format.IniFormat))
    _, _, config = again.read()
    assert {name: getattr(config, name) for name in values} == values


def test_the_device_list_is_this_machines(form: TrainForm) -> None:
    from cnnstudio.training.device import available_devices

    combo = form.fields["device"]
    assert isinstance(combo, DeviceCombo)
    combo.set_device("mps")  # a setting from another machine stays chosen
    combo.fill()
    listed = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    assert listed[:-1] == [("auto", "auto (best available)"), *available_devices()]
    if sys.platform != "darwin":
        assert listed[-1] == ("mps", "mps (not found here)") and combo.device() == "mps"
    combo.set_device("cpu")
    assert combo.device() == "cpu" and combo.currentText().startswith("cpu (")


def wait_download(qtbot: Any, form: TrainForm) -> None:
    qtbot.waitUntil(lambda: form.download_job is None, timeout=60_000)


def test_download_button_fetches_mnist_in_a_worker(
        form: TrainForm, qtbot: Any, shared_data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    form.dataset.setCurrentText("mnist")
    form.data_root.setText(str(tmp_path))
    monkeypatch.setattr("torchvision.datasets.MNIST.mirrors", [closed_port_url()])
    form.download_button.click()
    assert form.download_job is not None and not form.download_button.isEnabled()
    wait_download(qtbot, form)
    status = form.download_status.text()
    assert status.startswith("Download failed: mnist: downloading train-images-idx3-ubyte.gz")
    assert f"in {tmp_path / 'mnist'}/" in status and form.download_button.isEnabled()
    with serve_folder(shared_data / "mnist") as url:
        mirror_mnist(monkeypatch, url, shared_data / "mnist")
        form.download_button.click()
        qtbot.waitUntil(lambda: "(1 of 4)" in form.download_status.text()
                        or form.download_job is None, timeout=60_000)
        wait_download(qtbot, form)
    assert form.download_status.text() == f"Downloaded into {tmp_path / 'MNIST' / 'raw'}."
    assert (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file()
    assert not form.download_progress.isVisible()


def test_download_needs_a_downloadable_name_and_stops_on_close(
        form: TrainForm, qtbot: Any, shared_data: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    form.dataset.setCurrentText("mnist-sample")
    form.download_button.click()
    assert form.download_job is None
    assert form.download_status.text() == "Choose mnist, fashion-mnist, cifar10 to download."
    served = tmp_path / "served"
    shutil.copytree(shared_data / "mnist", served)
    form.dataset.setCurrentText("mnist")
    form.data_root.setText(str(tmp_path / "root"))
    with serve_folder(served) as url:
        mirror_mnist(monkeypatch, url, served)
        form.download_button.click()
        assert form.shutdown(30_000)  # cancelled between files, waited for
    assert form.download_job is None
