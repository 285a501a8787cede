"""Typed errors raised by the training package.

Every message names what is wrong (a file, a folder, a shape, a setting) and what to do about it,
so the CLI can print it as is and the GUI can show it in a dialog.
"""

from __future__ import annotations


class TrainingError(RuntimeError):
    """Base class for errors raised while preparing or running a training run."""


class DatasetError(ValueError):
    """The data cannot be read or does not fit the model (names the file, folder or shape)."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class DeviceMemoryError(TrainingError):
    """The accelerator ran out of memory; lower the batch size."""


class CheckpointError(TrainingError, ValueError):
    """A checkpoint file that is missing, truncated, corrupt or torn (names the file)."""
