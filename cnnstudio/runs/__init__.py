"""Runs as a workspace: reading run folders, their status, names and notes, the trash.

Torch-free and Qt-free, so ``cnnstudio runs`` and the app's run history list folders without
importing torch. A run folder is what ``cnnstudio train`` (or the app) writes:
``project.cnnproj``, ``config.json``, ``history.json``, ``checkpoints/``, ``metrics.json``,
and ``status.json`` (``status.py``: running / completed / early_stopped / cancelled / error,
with the message and the times). ``record.py`` reads one folder into a ``RunRecord`` and lists
the runs under a folder; ``user.py`` keeps the name and notes a user gives a run (``run.json``);
``trash.py`` moves runs to the runs folder's ``.trash`` and back.
"""

from cnnstudio.runs.record import RunRecord, architecture_fingerprint, list_runs, read_run

__all__ = ["RunRecord", "architecture_fingerprint", "list_runs", "read_run"]
