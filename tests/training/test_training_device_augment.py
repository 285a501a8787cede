"""Device choice, speed settings, threads and per-batch augmentation."""

from __future__ import annotations

import pytest
import torch

from cnnstudio.training.augment import BatchTransform, parse_augment
from cnnstudio.training.data import Preprocess
from cnnstudio.training.device import cpu_has_bf16, select_device, set_threads, speed_settings


def test_device_auto_and_missing() -> None:
    dev = select_device("auto")
    assert dev.type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            select_device("cuda")


def test_cpu_speed_settings() -> None:
    cpu = torch.device("cpu")
    auto = speed_settings(cpu)
    assert auto.channels_last and not auto.use_scaler
    assert auto.amp_dtype == (torch.bfloat16 if cpu_has_bf16() else None)
    plain = speed_settings(cpu, "fp32", "off")
    assert plain.amp_dtype is None and not plain.channels_last
    assert speed_settings(cpu, "fp16").amp_dtype == torch.bfloat16  # fp16 is slow on CPUs


def test_threads_leave_a_core() -> None:
    before = torch.get_num_threads()
    try:
        n = set_threads(0, leave_core_for_gui=True)
        assert n >= 1 and torch.get_num_threads() == n
        assert set_threads(1) == 1
    finally:
        torch.set_num_threads(before)


def make_transform(augment: list[str], channels: int = 3) -> BatchTransform:
    prep = Preprocess((channels, 16, 16), [0.5] * channels, [0.25] * channels, ["a"])
    return BatchTransform(prep, augment, torch.device("cpu"), channels_last=True, seed=1)


def test_normalise_without_augment() -> None:
    x = torch.full((2, 3, 16, 16), 255, dtype=torch.uint8)
    out = make_transform([])(x, train=True)
    assert torch.allclose(out, torch.full_like(out, 2.0))  # (1 - 0.5) / 0.25
    assert out.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("spec", ["crop:3", "hflip", "rotate:20", "jitter:0.3", "erase:1"])
def test_augment_per_sample_and_seeded(spec: str) -> None:
    g = torch.Generator().manual_seed(0)
    one = torch.randint(0, 256, (1, 3, 16, 16), generator=g, dtype=torch.uint8)
    x = one.expand(64, -1, -1, -1).contiguous()  # 64 copies of the same image
    t = make_transform([spec])
    out = t(x, train=True)
    assert out.shape == (64, 3, 16, 16) and torch.isfinite(out).all()
    distinct = {tuple(o.flatten()[::7].tolist()) for o in out}
    assert len(distinct) > 1  # parameters drawn per image, not once per batch
    t.set_epoch(0)
    assert torch.equal(t(x, train=True), out)  # same seed and epoch: same batch
    assert torch.equal(t(x, train=False), make_transform([])(x))  # eval: no augmentation


def test_unknown_augmentation() -> None:
    with pytest.raises(ValueError, match="unknown augmentation 'blur'"):
        parse_augment(["blur"])


def test_thread_tuner_probes_and_keeps_the_faster() -> None:
    from cnnstudio.training.device import ThreadTuner

    before = torch.get_num_threads()
    try:
        tuner = ThreadTuner(2, window=3, period=4)
        used = []
        for _ in range(2 * (6 + 4)):
            tuner.tick()
            used.append(torch.get_num_threads())
        assert used[:6] == [2, 2, 2, 1, 1, 1] and used[10:16] == [2, 2, 2, 1, 1, 1]
        assert len(set(used[6:10])) == 1 and tuner.chosen in (1, 2)
    finally:
        torch.set_num_threads(before)
