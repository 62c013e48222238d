"""One category palette (Okabe–Ito, core/palette.py): the window draws each category in the colour the PDFs
and the dashboard use."""
from __future__ import annotations

from PySide6.QtCore import Qt

from reviewer_app.core.palette import CATEGORY_COLOURS
from reviewer_app.gui.models.segment_model import COLUMNS


def test_window_uses_the_report_palette(opened):
    w = opened
    model = w.segment_model
    for row, seg in enumerate(w.controller.session.segments):
        colour = model.index(row, COLUMNS.index("Category")).data(Qt.ItemDataRole.DecorationRole)
        assert colour.name().lower() == CATEGORY_COLOURS[seg.category].lower()
