"""A guard against a reference-counting bug of PySide6 6.12's abi3 wheels on Python 3.11.

Every PySide6 method that returns nothing (``label.setText``, ``item.setPos``...) hands back
``None`` without taking a new reference to it. On Python >= 3.12 ``None`` is immortal and
this is harmless; on 3.11 each call lowers ``None``'s reference count by one, and after a
few thousand calls the interpreter aborts with "Fatal Python error: none_dealloc". Measured
here (PySide6 6.12.0, CPython 3.11.7): 200 calls of ``QLabel.setText`` lower it by 200.

PySide6 6.11.3 does not have the bug, and pyproject.toml excludes 6.12.0. For a user who
installs 6.12 anyway, ``immortalise_none`` does what 3.12 does: it raises ``None``'s count so
high that no program can bring it to zero. ``None`` is a static object that is never freed,
so the extra count costs nothing. It runs once, when ``cnnstudio.gui`` is imported, and only
on CPython < 3.12 with PySide6 6.12.
"""

from __future__ import annotations

import ctypes
import sys

#: added to None's reference count (about 2.8e14 calls before it could reach zero again)
RESERVE = 1 << 48


def affected() -> bool:
    """True on CPython < 3.12 with a PySide6 6.12 wheel (the versions with the bug)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    import PySide6  # imported by the app anyway; cheaper than importlib.metadata

    return str(PySide6.__version__).startswith("6.12")


def immortalise_none() -> bool:
    """Raise None's reference count where PySide6 leaks it; True when it was raised."""
    if not affected():
        return False
    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is PyObject's first field
    if count.value < RESERVE:
        count.value += RESERVE
    return True
