"""The declared training options (training/options.py) against ``cnnstudio train``'s parser,
TrainConfig and the engine's resume rule: every option present, same defaults, choices and
ranges; impossible values refused while parsing, naming the option."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

import pytest

from cnnstudio.cli import build_parser, main
from cnnstudio.training.api import RESUMABLE
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.options import BY_NAME, TRAIN_OPTIONS, TrainOption


def train_actions() -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in sub.choices["train"]._actions}


def parse(*argv: str) -> dict[str, Any]:
    return vars(build_parser().parse_args(["train", *argv]))


def test_every_option_is_in_the_parser_as_declared() -> None:
    actions = train_actions()
    for option in TRAIN_OPTIONS:
        action = actions[option.name]
        assert action.option_strings == [option.flag]
        assert action.default is argparse.SUPPRESS  # explicit options are known (--resume)
        assert option.help in action.help
        if option.kind in ("int", "float"):
            assert action.type.range == (option.low, option.high, option.low_open,
                                         option.high_open)
            assert f"{option.span()}, default {option.default}" in action.help
        if option.kind == "choice":
            assert tuple(action.choices) == option.choices
            assert option.default in option.choices
        if option.kind == "bool":
            assert action.const is True and option.default is False


def test_the_parser_gives_the_declared_values_to_trainconfig() -> None:
    from cnnstudio.cli.train import config_from

    defaults = TrainConfig()
    assert config_from(build_parser().parse_args(["train"])) == defaults
    declared = {f.name for f in fields(TrainConfig)} - {"log_every", "leave_core_for_gui",
                                                        "fused_optimizer"}
    assert {o.name for o in TRAIN_OPTIONS} == declared  # the form and CLI cover the engine
    args = build_parser().parse_args(
        ["train", "--workers", "2", "--threads", "3", "--gamma", "0.5", "--nesterov",
         "--device", "cuda:1", "--augment", "crop:4", "hflip", "--monitor", "val_loss"])
    config = config_from(args)
    assert (config.num_workers, config.num_threads, config.gamma, config.nesterov) == (
        2, 3, 0.5, True)
    assert config.device == "cuda:1" and config.augment == ["crop:4", "hflip"]
    config.validate()


@pytest.mark.parametrize(("argv", "said"), [
    (["--val-split", "1.5"], "argument --val-split: must be in [0, 1), got '1.5'"),
    (["--lr", "1e400"], "argument --lr: must be in (0, 1e+12], got '1e400'"),
    (["--lr", "-1"], "argument --lr: must be in (0, 1e+12]"),
    (["--lr", "nan"], "argument --lr: must be in"),
    (["--epochs", "0"], "argument --epochs: must be in [1, 100000], got '0'"),
    (["--epochs", str(10**400)], "argument --epochs: must be in [1, 100000]"),
    (["--epochs", "2.5"], "argument --epochs: expected a whole number"),
    (["--augment", "crop:-4"], "argument --augment: augmentation 'crop:-4'"),
    (["--device", "gpu"], "argument --device: expected one of auto, cpu, cuda, mps or cuda:N"),
    (["--label-smoothing", "1"], "argument --label-smoothing: must be in [0, 1)"),
])
def test_the_parser_refuses_impossible_values_naming_the_option(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "lenet5", "--dataset", "mnist-sample", "--out", "x", *argv]) == 2
    assert said in capsys.readouterr().err


@pytest.mark.parametrize("option", TRAIN_OPTIONS, ids=lambda o: o.name)
def test_ranges_hold_at_both_ends_in_parser_and_config(option: TrainOption) -> None:
    if not option.ranged:
        return
    kind = int if option.kind == "int" else float
    step = 1 if option.kind == "int" else 1e-9
    for value, ok in ((option.low, not option.low_open), (option.high, not option.high_open),
                      (option.low - step, False), (option.high + step * max(1, option.high),
                                                   False)):
        text = str(kind(value))
        if ok:
            assert parse(option.flag, text)[option.name] == kind(value)
            assert BY_NAME[option.name].problem(kind(value)) is None
        else:
            with pytest.raises(SystemExit):
                parse(option.flag, text)
            with pytest.raises(ValueError, match=f"{option.name} = .* \\({option.flag}\\)"):
                TrainConfig(**{option.name: kind(value)}).validate()


def test_resume_policy_is_the_declarations_and_the_engine_agrees() -> None:
    from cnnstudio.cli.train import RESUMABLE_OPTIONS

    resumable = {o.name for o in TRAIN_OPTIONS if o.resumable}
    assert resumable <= set(RESUMABLE)  # the engine accepts every one the CLI lets through
    assert {o.name for o in TRAIN_OPTIONS} & set(RESUMABLE) == resumable
    assert set(RESUMABLE_OPTIONS) == resumable | {"dataset", "data_root",
                                                  "allow_different_data", "no_progress"}


def test_resume_refuses_fixed_options_and_download_by_flag(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run = str(tmp_path)
    assert main(["train", "--resume", run, "--gamma", "0.5", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "--gamma cannot be given with --resume" in err and "--workers," in err
    assert main(["train", "--resume", run, "--download"]) == 2
    assert "--download cannot be given with --resume" in capsys.readouterr().err


def test_list_devices_prints_this_machines_devices(capsys: pytest.CaptureFixture[str]) -> None:
    from cnnstudio.training.device import available_devices

    assert main(["train", "--list-devices"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [d for d, _ in available_devices()]
    assert out[-1].split(None, 1)[1].startswith("cpu (") and "cores)" in out[-1]


def test_a_missing_device_is_refused_naming_the_devices_there_are() -> None:
    import torch

    from cnnstudio.training.device import available_devices, select_device

    there = ", ".join(d for d, _ in available_devices())
    missing = f"cuda:{torch.cuda.device_count()}"  # one past the last GPU (cuda:0 on a CPU)
    with pytest.raises(ValueError, match=f"'{missing}' asked for .*this machine has: {there}"):
        select_device(missing)
    if torch.cuda.is_available():  # each GPU is listed with its name and memory
        name = torch.cuda.get_device_properties(0).name
        assert available_devices()[0][0] == "cuda:0" and name in available_devices()[0][1]
        assert available_devices()[0][1].endswith(" GiB)")
        assert select_device("cuda:0") == torch.device("cuda", 0)
