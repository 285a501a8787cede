"""``cnnstudio import SRC --out PROJECT.cnnproj [--weights-out W.safetensors]``.

SRC is an ``.onnx`` file, ``torchvision.NAME`` (random weights; ``--torch-weights`` loads a
state dict into it) or ``FILE.py:CLASS`` (which runs FILE as Python code: the command says so
before it does). The design is verified against SRC before anything is written; then the
project and its weights (safetensors) are written. Not ``import.py``: ``import`` is a
Python keyword. torch is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cnnstudio.cli.target import parse_shape

DESCRIPTION = (
    "Open an existing model as an editable design: SRC is an .onnx file (read, never run), "
    "torchvision.NAME (torchvision's classification model NAME, random weights unless "
    "--torch-weights is given; nothing is downloaded) or FILE.py:CLASS (runs FILE as Python "
    "code, so import only files you trust, and builds CLASS() with no arguments). Every "
    "operation must have a layer kind: those that do not are listed together, with where they "
    "are, and nothing is written. The design is checked against SRC on random inputs before "
    "the project and its weights are written."
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="open an ONNX file or a PyTorch module as a design",
                       description=DESCRIPTION)
    p.add_argument("source", metavar="SRC",
                   help="MODEL.onnx, torchvision.NAME or FILE.py:CLASS")
    p.add_argument("--out", type=Path, required=True, metavar="PROJECT",
                   help="the project file to write (.cnnproj)")
    p.add_argument("--weights-out", type=Path, metavar="WEIGHTS",
                   help="the weights file to write (default: PROJECT with .safetensors)")
    p.add_argument("--input-shape", type=parse_shape, metavar="C,H,W",
                   help="the input images (default: the ONNX file's, a preset's of the same "
                   "name, else 3,224,224)")
    p.add_argument("--torch-weights", type=Path, metavar="FILE",
                   help="a state dict (.pth read without running code, or .safetensors) to "
                   "load into a torch module before importing it")
    p.add_argument("--overwrite", action="store_true", help="replace files that exist")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.importing.importer import import_model, save_import
    from cnnstudio.importing.ops import ModelImportError
    from cnnstudio.importing.sources import RUNS_CODE, parse_source

    source = parse_source(args.source)
    weights = args.weights_out or args.out.with_suffix(".safetensors")
    for path in (args.out, weights):
        if path.exists() and not args.overwrite:
            raise ModelImportError(f"{path} exists; choose another name, or pass --overwrite")
    if args.torch_weights is not None and source.kind == "onnx":
        raise ModelImportError("--torch-weights is for torch modules; an ONNX file holds its "
                               "own weights")
    if source.runs_code and source.path is not None and source.path.is_file():
        print(f"note: {RUNS_CODE.format(file=source.path)}", file=sys.stderr)
    result = import_model(source, args.input_shape, torch_weights=args.torch_weights)
    project, weights = save_import(result, args.out, weights, overwrite=args.overwrite)
    if args.json:
        print(json.dumps({"source": source.label, "project": str(project),
                          "weights": str(weights), "nodes": len(result.imported.graph.nodes),
                          "params": result.params, "input_shape": list(result.input_shape),
                          "max_abs_diff": result.max_abs_diff, "notes": result.notes},
                         indent=2))
    else:
        print("\n".join(result.lines()))
        print(f"wrote {project} and {weights}")
    return 0
