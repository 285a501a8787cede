"""Metrics against a hand-checked example and (when installed) scikit-learn."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from cnnstudio.training.metrics import classification_metrics, write_metrics

Y_TRUE = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
Y_PRED = torch.tensor([0, 0, 1, 1, 2, 2, 2, 2, 0, 2])


def test_hand_checked_example() -> None:
    m = classification_metrics(Y_TRUE, Y_PRED, 4, ["a", "b", "c", "d"])
    # rows true, cols predicted
    assert m["confusion_matrix"] == [[2, 1, 0, 0], [0, 1, 1, 0], [1, 0, 3, 0], [0, 0, 1, 0]]
    assert m["accuracy"] == pytest.approx(6 / 10)
    a, b, c, d = m["per_class"]
    # class a: tp 2, predicted 3, support 3
    assert (a["precision"], a["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert (b["precision"], b["recall"], b["f1"]) == (0.5, 0.5, 0.5)
    # class c: tp 3, predicted 5, support 4 -> f1 = 2*.6*.75/1.35
    assert c["precision"] == pytest.approx(0.6) and c["recall"] == pytest.approx(0.75)
    assert c["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert (d["precision"], d["recall"], d["f1"], d["support"]) == (0.0, 0.0, 0.0, 1)
    f1s = [2 / 3, 0.5, 2 * 0.6 * 0.75 / 1.35, 0.0]
    assert m["macro"]["f1"] == pytest.approx(sum(f1s) / 4)
    assert m["weighted"]["f1"] == pytest.approx((3 * f1s[0] + 2 * f1s[1] + 4 * f1s[2]) / 10)
    assert m["weighted"]["recall"] == pytest.approx(m["accuracy"])


def test_against_sklearn() -> None:
    sk = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 6, (500,), generator=g)
    p = torch.where(torch.rand(500, generator=g) < 0.6, y, torch.randint(0, 6, (500,),
                                                                          generator=g))
    p[p == 5] = 4  # class 5 never predicted: precision 0 by zero_division=0
    m = classification_metrics(y, p, 6)
    assert m["confusion_matrix"] == sk.confusion_matrix(y, p, labels=range(6)).tolist()
    for avg in ("macro", "weighted"):
        pr, rc, f1, _ = sk.precision_recall_fscore_support(y, p, labels=range(6), average=avg,
                                                           zero_division=0)
        assert (m[avg]["precision"], m[avg]["recall"], m[avg]["f1"]) == pytest.approx(
            (pr, rc, f1))
    assert m["accuracy"] == pytest.approx(sk.accuracy_score(y, p))


def test_metrics_files(tmp_path: Path) -> None:
    m = classification_metrics(Y_TRUE, Y_PRED, 4, ["a", "b", "c", "d"])
    write_metrics(tmp_path, m)
    assert json.loads((tmp_path / "metrics.json").read_text())["accuracy"] == 0.6
    rows = list(csv.reader((tmp_path / "metrics.csv").read_text().splitlines()))
    assert rows[0] == ["class", "precision", "recall", "f1", "support"]
    assert rows[1][0] == "a" and rows[-1][0] == "accuracy" and len(rows) == 1 + 4 + 3
    assert not list(tmp_path.glob("*.tmp"))
