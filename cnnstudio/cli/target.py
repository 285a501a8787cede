"""What a command works on: a project file or a preset id, adapted by common options."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnstudio.core.errors import ProjectFileError
from cnnstudio.core.layers import Shape
from cnnstudio.core.presets import PRESETS, build_preset
from cnnstudio.core.presets.origin import PRESET_KEY
from cnnstudio.core.project_io import Project, load
from cnnstudio.core.retarget import set_input_shape, set_num_classes


class TargetError(Exception):
    """A target that cannot be opened; the message says why and what to do."""


def add_target_args(parser: argparse.ArgumentParser, adapt: bool = True,
                    optional: bool = False) -> None:
    """TARGET (``optional``: may be left out, e.g. where --resume names the work instead)."""
    parser.add_argument("target", metavar="TARGET", nargs="?" if optional else None,
                        help="a project file (.cnnproj) or a preset id "
                        "(see `cnnstudio presets`)")
    if adapt:
        parser.add_argument("--input-shape", metavar="C,H,W", type=parse_shape,
                            help="replace the Input node's shape, e.g. 3,32,32")
        parser.add_argument("--num-classes", metavar="N", type=int,
                            help="replace the classifier's output size")


def parse_shape(text: str) -> Shape:
    try:
        parts = tuple(int(p) for p in text.replace("x", ",").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected C,H,W such as 3,32,32, got {text!r}") from None
    if len(parts) != 3 or min(parts) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive sizes C,H,W, got {text!r}")
    return parts


def load_target(args: argparse.Namespace) -> Project:
    """Open ``args.target`` and apply ``--input-shape`` / ``--num-classes``."""
    target: str = args.target
    shape = getattr(args, "input_shape", None)
    classes = getattr(args, "num_classes", None)
    path = Path(target)
    if path.exists() or target.endswith((".cnnproj", ".json")):
        try:
            project = load(path)
        except ProjectFileError as exc:
            raise TargetError(str(exc)) from None
        try:
            if shape:
                set_input_shape(project.graph, shape)
            if classes:
                set_num_classes(project.graph, classes)
        except ValueError as exc:
            raise TargetError(f"{target}: {exc}") from None
        return project
    if target in PRESETS:
        try:
            graph = build_preset(target, shape, classes, layout=False)
        except ValueError as exc:
            raise TargetError(f"{target}: {exc}") from None
        return Project(graph, PRESETS[target].title, metadata={PRESET_KEY: target})
    raise TargetError(
        f"{target!r} is neither a project file nor a preset id. Presets: "
        f"{', '.join(sorted(PRESETS))}."
    )


def open_target(args: argparse.Namespace) -> Project | None:
    """``load_target``, printing the reason and returning None when it fails (exit 2)."""
    try:
        return load_target(args)
    except TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def network_problem(project: Project, name: str) -> str | None:
    """None when ``project`` is a valid network, else one line naming each problem's node,
    its arithmetic and the fix (``cnnstudio validate`` prints the same as a list)."""
    from cnnstudio.core.shapes import analyse

    graph = project.graph
    issues = [i for i in analyse(graph).issues if i.severity == "error"]
    if not issues:
        return None
    described = "; ".join(" ".join(i.describe(graph).split()) for i in issues)
    return f"{name} is not a valid network: {described}"
