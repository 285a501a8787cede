"""Garbage collection on the GUI thread only.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a
threshold is crossed: in the app that is often a worker thread (an export or an inspection
allocating many objects). If the cycles it frees hold Qt wrappers, their C++ objects are then
destroyed off the GUI thread, which can crash or deadlock Qt (seen as a worker stuck in a
collection while the GUI thread waits for the GIL). ``GuiGarbageCollector`` turns automatic
collection off and collects on a timer in the GUI thread instead, generation by generation
with the interpreter's own thresholds (the approach of pyqtgraph's GarbageCollector).
Reference counting, which frees almost everything, is unaffected.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

INTERVAL_MS = 500


class GuiGarbageCollector(QObject):
    """While it runs, cyclic garbage is collected only by its timer (create it in the GUI
    thread); ``stop`` collects once more and gives collection back to the interpreter."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    @Slot()
    def check(self) -> None:
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self.threshold[generation]:
                break
            gc.collect(generation)

    def stop(self) -> None:
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()
