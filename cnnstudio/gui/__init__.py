"""The desktop app: the only package that imports PySide6 or pyqtgraph.

Importing it first guards against PySide6 6.12's reference-counting bug on ``None`` under
Python 3.11 (see ``_compat``).
"""

from cnnstudio.gui._compat import immortalise_none

immortalise_none()
