"""``cnnstudio runs [FOLDER] [--json]``: the run history of a runs folder.

One line per run (newest first): name, status, dataset, architecture fingerprint, key
settings, epochs, best validation accuracy, test accuracy, duration; ``--json`` gives every
field (cnnstudio.runs.RunRecord). Torch is not imported.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from cnnstudio.runs import RunRecord, list_runs


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "runs", help="list the runs in a folder: status, settings, metrics",
        description="List the run folders under FOLDER (default: runs), newest first, with "
        "their status, dataset, architecture fingerprint (it changes exactly when the "
        "network's computation changes), key settings, epochs, best validation accuracy, test "
        "accuracy and duration. A sweep's trials are listed too; the trash is not.")
    p.add_argument("folder", metavar="FOLDER", nargs="?", default="runs", type=Path)
    p.add_argument("--project", metavar="NAME", help="only the runs of the design so named")
    p.add_argument("--json", action="store_true", help="print JSON (every field)")
    p.set_defaults(run=run)


def _pct(value: float | None) -> str:
    return f"{value:.2%}" if isinstance(value, (int, float)) else "-"


def row(r: RunRecord) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started)) if r.started else "-"
    s = r.settings
    lr = s.get("lr", "?")
    lr = f"{lr:.3g}" if isinstance(lr, float) else lr
    settings = f"{s.get('optimizer', '?')} lr {lr} bs {s.get('batch_size', '?')}"
    epochs = f"{r.epochs_done}/{r.epochs_planned or '?'}"
    name = r.name if len(r.name) <= 28 else r.name[:27] + "…"
    return (f"{name:<28} {when:<16} {r.status:<13} {r.dataset[-20:]:<20} "
            f"{r.architecture or '-':<12} {settings:<24} {epochs:>7} "
            f"{_pct(r.best_val_accuracy):>8} {_pct(r.test_accuracy):>8} {r.seconds:>7.0f}s")


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise ValueError(f"{args.folder}: no such folder; give the folder that holds the runs "
                         "(the --out of cnnstudio train, or the app's runs folder)")
    records = list_runs(args.folder, args.project)
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2))
        return 0
    if not records:
        print(f"no runs in {args.folder}")
        return 0
    print(f"{'run':<28} {'started':<16} {'status':<13} {'dataset':<20} {'architecture':<12} "
          f"{'settings':<24} {'epochs':>7} {'best val':>8} {'test':>8} {'time':>8}")
    for r in records:
        print(row(r))
        if r.message and r.status not in ("completed", "running"):
            print(f"    {r.message}")
    return 0
