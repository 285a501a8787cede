"""A non-interactive start of the app, for checking an installed or bundled copy.

With the environment variable ``CNNSTUDIO_SELF_CHECK`` set to a preset id, ``run_app``
(``gui/app.py``) shows the main window, opens that preset, checks that the canvas holds one
node item per node of the preset's graph, prints one line and quits: exit status 0 when the
check passes, 1 when it fails, 2 when the id is not a preset. The bundle test
(``tests/test_bundle_slow.py``, see ``packaging/README.md``) runs the bundled app this way with
``QT_QPA_PLATFORM=offscreen``. Nothing is saved; recovery and the welcome page are skipped.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from cnnstudio.gui.main_window import MainWindow

#: the environment variable that asks for the check (its value: a preset id)
SELF_CHECK = "CNNSTUDIO_SELF_CHECK"


def check_preset(window: MainWindow, preset_id: str) -> int:
    """Open the preset in the window and compare the canvas with the preset's graph."""
    from cnnstudio.core.presets import PRESETS, build_preset  # many builders: load late

    if preset_id not in PRESETS:
        print(f"cnnstudio: {SELF_CHECK}={preset_id!r} is not a preset id "
              "(see cnnstudio presets).", file=sys.stderr)
        return 2
    if not window.open_preset(preset_id):
        print(f"cnnstudio: self-check: the preset {preset_id} did not open.", file=sys.stderr)
        return 1
    expected = set(build_preset(preset_id).nodes)
    shown = set(window.scene.nodes)
    if shown != expected:
        missing = sorted(expected - shown)[:5]
        print(f"cnnstudio: self-check: the canvas shows {len(shown)} of the {len(expected)} "
              f"nodes of {preset_id} (missing e.g. {', '.join(missing)}).", file=sys.stderr)
        return 1
    print(f"cnnstudio self-check: {preset_id} opened, {len(shown)} nodes on the canvas")
    return 0


def run_check(app: QApplication, window: MainWindow, preset_id: str) -> int:
    """Run ``check_preset`` once the event loop runs, close the window and quit."""
    codes: list[int] = []

    def check() -> None:
        try:
            codes.append(check_preset(window, preset_id))
        finally:  # an error in the check is printed by Qt and still ends the app (status 1)
            window.close()
            app.quit()

    QTimer.singleShot(0, check)
    app.exec()
    sys.stdout.flush()
    return codes[0] if codes else 1
