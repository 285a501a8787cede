"""`cnnstudio sweep --resume SWEEP_DIR`: a stopped sweep continues (issue #11 "Sweeps").

The trials done are kept, those cut short are tried again as new trials, a grid resumes with
the combinations not yet done, and the study is seeded with the recorded trials (their
values and per-epoch metric); what --resume cannot take is refused in one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest

from cnnstudio.cli import main
from cnnstudio.runs import read_run
from cnnstudio.sweeps.runner import PROJECT_FILE, resume_sweep
from tests.test_sweep import QUICK, sweep, tiny  # noqa: F401  (tiny: the fixture)

GRID = ["--param", "lr=1e-3,1e-2", "--param", "batch_size=64,128", "--strategy", "grid",
        "--epochs", "1"]


def resume(out: Path, *extra: str) -> int:
    return main(["sweep", "--resume", str(out), "--no-progress", *extra])


def test_a_capped_grid_resumes_with_the_combinations_not_yet_done(
        tiny: tuple[Path, Path], tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    assert sweep(project, data, out, *GRID, "--trials", "2") == 0
    assert (out / PROJECT_FILE).is_file()  # the design is kept beside sweep.json
    first = json.loads((out / "sweep.json").read_text())["trials"]
    capsys.readouterr()
    assert resume(out, "--trials", "4") == 0, capsys.readouterr().err
    assert "after 2 recorded trial(s); 2 more" in capsys.readouterr().out
    record = json.loads((out / "sweep.json").read_text())
    assert record["status"] == "completed"
    assert record["trials"][:2] == first  # the trials done are kept as they were
    assert [t["params"] for t in record["trials"]] == [
        {"lr": 1e-3, "batch_size": 64}, {"lr": 1e-3, "batch_size": 128},
        {"lr": 1e-2, "batch_size": 64}, {"lr": 1e-2, "batch_size": 128}]
    assert [t["folder"] for t in record["trials"]] == [f"trial-00{i}" for i in range(4)]
    for t in record["trials"][2:]:
        run = read_run(out / t["folder"])
        assert run.status == "completed" and run.settings["lr"] == t["params"]["lr"]
    # all done now: nothing is left to run, said in one line, and nothing changes
    before = (out / "sweep.json").read_bytes()
    assert resume(out) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nothing is left to run" in err
    assert len(err.splitlines()) == 1 and (out / "sweep.json").read_bytes() == before


def test_a_trial_cut_short_is_tried_again_and_the_study_learns_from_the_record(
        tiny: tuple[Path, Path], tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    project, data = tiny
    out = tmp_path / "sweep"
    assert sweep(project, data, out, "--param", "lr=1e-3:1e-1:log", "--strategy", "tpe",
                 "--trials", "2", "--epochs", "2") == 0
    # as a sweep whose process ended during its second trial leaves it
    path = out / "sweep.json"
    record = json.loads(path.read_text())
    record["status"], record["trials"][1]["state"] = "running", "running"
    path.write_text(json.dumps(record))
    plan = resume_sweep(out)
    assert plan.trials == 1 and len(plan.previous) == 2
    done, cut = plan.previous
    assert done.state == optuna.trial.TrialState.COMPLETE
    assert done.value == pytest.approx(record["trials"][0]["value"])
    history = json.loads((out / "trial-000" / "history.json").read_text())
    assert done.intermediate_values == pytest.approx(
        {row["epoch"]: row["val_accuracy"] for row in history})
    assert done.params == record["trials"][0]["params"]
    assert cut.state == optuna.trial.TrialState.FAIL
    capsys.readouterr()
    assert resume(out) == 0, capsys.readouterr().err
    after = json.loads(path.read_text())
    assert after["status"] == "completed"
    assert [t["state"] for t in after["trials"]] == ["complete", "running", "complete"]
    assert after["trials"][2]["folder"] == "trial-002"
    assert 1e-3 <= after["trials"][2]["params"]["lr"] <= 1e-1
    assert (out / "trial-001").is_dir()  # the cut-short trial's folder is kept


@pytest.mark.parametrize(("extra", "words"), [
    (["TARGET"], ["TARGET", "cannot be given with --resume"]),
    (["--lr", "0.1"], ["--lr", "cannot be given with --resume"]),
    (["--param", "lr=1e-3,1e-2"], ["--param"]),
    (["--dataset", "mnist"], ["--dataset"]),
])
def test_what_a_resume_cannot_take_is_refused(
        extra: list[str], words: list[str], tiny: tuple[Path, Path],  # noqa: F811
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project, _ = tiny
    args = [str(project) if a == "TARGET" else a for a in extra]
    assert main(["sweep", "--resume", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(w in err for w in words), err


def test_a_folder_that_is_not_a_sweep_is_refused(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert resume(tmp_path) == 1
    err = capsys.readouterr().err.strip()
    assert "not a sweep folder" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
