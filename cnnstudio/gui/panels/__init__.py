"""Dock panels around the canvas: palette, inspector, summary, and the Tab quick-add."""
