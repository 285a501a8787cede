"""``cnnstudio predict RUN|MODEL.onnx|CHECKPOINT IMAGE... [--top-k K] [--json]``.

Classifies image files (or every image in the folders given) with a trained run, one of its
checkpoints, or an exported ONNX file, using the run's own preprocessing; prints the top-k
classes with their probabilities, as a table or JSON (cnnstudio.training.predict).
"""

from __future__ import annotations

import argparse
import json

from cnnstudio.cli.options import number


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "predict", help="classify images with a trained run or an exported .onnx model",
        description="Classify IMAGE files (folders are searched for images) with MODEL: a run "
        "folder (its best checkpoint, else its last), RUN/checkpoints/NAME.safetensors, or an "
        ".onnx file exported by CNN Studio (its metadata holds the preprocessing). Each image "
        "is converted and resized as in training and normalised with the run's mean and std.")
    p.add_argument("model", metavar="RUN|MODEL.onnx|CHECKPOINT")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files or folders")
    p.add_argument("--top-k", type=number(int, 1, 1000), default=5, metavar="K",
                   help="how many classes to list per image (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cnnstudio.training.predict import format_table, image_files, open_predictor, predict

    files = image_files(args.images)
    predictor = open_predictor(args.model)
    results = predict(predictor, files, int(args.top_k))
    if args.json:
        print(json.dumps({"model": predictor.source, "notes": predictor.notes,
                          "classes": predictor.preprocess.classes, "predictions": results},
                         indent=2))
    else:
        for note in predictor.notes:
            print(f"note: {note}")
        print(format_table(results))
    return 0
