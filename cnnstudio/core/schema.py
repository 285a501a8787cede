"""The JSON Schema of project files, generated from the layer catalogue.

docs/project.schema.json is this schema written out (``python -m cnnstudio.core.schema``);
a test keeps the two equal. The loader does not need it (it validates through the graph's
edit API), but other tools can check files with any JSON Schema validator.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from cnnstudio.core.layers import LAYERS, ParamSpec
from cnnstudio.core.project_io import FORMAT, FORMAT_VERSION


def param_schema(p: ParamSpec) -> dict[str, Any]:
    integer: dict[str, Any] = {"type": "integer"}
    if p.min is not None:
        integer["minimum"] = int(p.min)
    if p.max is not None:
        integer["maximum"] = int(p.max)
    pair = {"type": "array", "items": integer, "minItems": 2, "maxItems": 2}
    out: dict[str, Any]
    if p.type == "int":
        out = dict(integer)
    elif p.type == "float":
        out = {"type": "number"}
        if p.min is not None:
            out["minimum"] = p.min
        if p.max is not None:
            out["maximum"] = p.max
    elif p.type == "bool":
        out = {"type": "boolean"}
    elif p.type == "choice":
        out = {"enum": list(p.choices)}
    elif p.type == "pair":
        out = {"oneOf": [integer, pair]}
    elif p.type == "padding":
        out = {"oneOf": [{"enum": ["valid", "same"]}, integer, pair]}
    elif p.type == "pad4":
        out = {"oneOf": [integer, pair, {**pair, "minItems": 4, "maxItems": 4}]}
    else:  # pragma: no cover - the catalogue uses only the types above
        raise AssertionError(p.type)
    out["description"] = p.help
    return out


def project_schema() -> dict[str, Any]:
    kinds = []
    for kind, spec in LAYERS.items():
        kinds.append({
            "properties": {
                "kind": {"const": kind},
                "params": {
                    "type": "object",
                    "properties": {p.name: param_schema(p) for p in spec.params},
                    "additionalProperties": False,
                },
            },
        })
    node = {
        "type": "object",
        "required": ["id", "kind"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "kind": {"enum": list(LAYERS)},
            "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            "params": {"type": "object"},
            "position": {"type": "array", "items": {"type": "number"},
                         "minItems": 2, "maxItems": 2},
            "trainable": {"type": "boolean"},
            "group": {"type": "string"},
        },
        "oneOf": kinds,
    }
    edge = {
        "type": "object",
        "required": ["from", "to"],
        "properties": {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "port": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CNN Studio project",
        "type": "object",
        "required": ["format", "version", "nodes", "edges"],
        "properties": {
            "format": {"const": FORMAT},
            "version": {"type": "integer", "minimum": 1, "maximum": FORMAT_VERSION},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "nodes": {"type": "array", "items": node},
            "edges": {"type": "array", "items": edge},
            "metadata": {"type": "object"},
        },
    }


def main() -> None:
    json.dump(project_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
