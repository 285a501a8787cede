"""The colour of each layer category, shared by the canvas (gui/theme.py) and the HTML
reports (reports/design.py), so a node looks the same in the app and in a report."""

from __future__ import annotations

#: layer category (LayerSpec.category) -> fill colour
CATEGORY_COLOURS: dict[str, str] = {
    "Input": "#3f8f3a",
    "Convolution": "#2f6db5",
    "Pooling": "#15899a",
    "Dense": "#7b4fb3",
    "Normalisation": "#b7811a",
    "Activation": "#c8553d",
    "Dropout": "#6f7680",
    "Merge": "#b0407a",
    "Reshape": "#4a7f6a",
}
#: a collapsed group, or a category without a colour of its own
GROUP_COLOUR = "#5b6b8c"
