"""``cnnstudio export TARGET --format onnx|torchscript|safetensors|python --out PATH``.

Compiles the target (a project file or a preset id), optionally loads trained weights
(``--checkpoint``: a .safetensors file, or a folder holding model.safetensors), exports, and
prints what was verified with the figures. Exit codes: 0 exported and verified; 1 the graph
is invalid (its problems are listed by node) or verification failed; 2 the target, the
checkpoint or the exporter could not be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnstudio.cli.errors import one_line
from cnnstudio.cli.target import add_target_args, open_target

FORMATS = ("onnx", "torchscript", "safetensors", "python")
DESCRIPTION = (
    "Compile TARGET and export it, then check the export reproduces the PyTorch model "
    "(batch sizes 1 and 3, rtol 1e-3, atol 1e-5) and print the figures. onnx: one .onnx file "
    "with a dynamic batch axis; torchscript: a TorchScript archive; safetensors: the weights "
    "with the project file beside; python: a folder with model.py, model.safetensors and "
    "train.py. Exit 1 when the graph is invalid or verification fails, 2 when the target, "
    "checkpoint or exporter cannot be used. An export never replaces its own inputs (the project, "
    "the checkpoint), nor an existing file unless --overwrite is given; it is verified in a "
    "staging folder first, so a failed export leaves nothing behind."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export", help="export a verified ONNX / TorchScript / safetensors / "
                       "Python model", description=DESCRIPTION)
    add_target_args(p)
    p.add_argument("--format", choices=FORMATS, required=True, help="what to write")
    p.add_argument("--out", type=Path, required=True,
                   help="output file (onnx, torchscript, safetensors) or folder (python)")
    p.add_argument("--checkpoint", type=Path, metavar="CKPT",
                   help="trained weights: a .safetensors file or a folder with model.safetensors")
    p.add_argument("--seed", type=int, default=0, help="seed for freshly initialised weights")
    p.add_argument("--opset", type=int, help="ONNX opset (default: the exporter's)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace files that exist at --out (never the project or checkpoint)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.compiler.errors import ExportError
    from cnnstudio.compiler.exporting import check_destination

    inputs = [Path(args.target)] + ([args.checkpoint, args.checkpoint / "model.safetensors"]
                                    if args.checkpoint is not None else [])
    try:  # before anything is compiled or loaded
        check_destination(args.format, args.out, inputs, args.overwrite)
    except ExportError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    project = open_target(args)
    if project is None:
        return 2
    from cnnstudio.compiler import CompileError, ExportVerificationError
    from cnnstudio.compiler.exporting import export_project

    try:
        report, weights = export_project(
            project, args.format, args.out, checkpoint=args.checkpoint, seed=args.seed,
            opset=args.opset, protect=[Path(args.target)], overwrite=args.overwrite)
    except CompileError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 1
    except ExportVerificationError as exc:
        if exc.report is not None:
            print("\n".join(exc.report.lines()))
        print(f"error: verification failed, nothing written: {one_line(str(exc))}",
              file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    print(weights)
    print("\n".join(report.lines()))
    return 0
