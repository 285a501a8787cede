"""Bundled resources (installed as ``cnnstudio.resources``): icons, themes, examples, data.

Use ``resource_path("examples/conv_pool.cnnproj")`` rather than paths relative to a file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(relative: str) -> Path:
    """Absolute path of a bundled resource file or folder."""
    return Path(str(files(__name__).joinpath(relative)))
