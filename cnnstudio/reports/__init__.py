"""Self-contained HTML reports of runs (issue #11): Qt-free and torch-free.

``build_report(paths)`` reads one run folder (a report) or several (a comparison) and returns
one HTML page with inline SVG charts and the design's picture: no script, no external
resource. ``write_report`` writes it atomically and refuses to replace a file unless told.
``data.py`` reads the run folders (within ``core.limits``), ``charts.py`` draws the curves,
``design.py`` the design, ``page.py`` holds the escaping and the page frame, ``html.py`` the
sections. Every text from a run folder or project reaches the page through ``page.esc``.
"""

from cnnstudio.reports.html import build_report, write_report

__all__ = ["build_report", "write_report"]
