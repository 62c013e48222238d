"""The details pane of the selected finding: its evidence and, for the learned model's findings,
why it flagged them (each branch's share, the words and the stretch that mattered) and where it
disagrees with the rule. The lines come from core/review/model_lane.py."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from reviewer_app.core.review.model_lane import why_lines
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import CATEGORY_LABELS


class FindingDetails(QLabel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setStyleSheet("QLabel { font-family: monospace; padding: 2px 4px; }")
        self.show_segment(None)

    def show_segment(self, segment: StoredSegment | None) -> None:
        if segment is None:
            self.setText("")
            self.setToolTip("")
            self.setVisible(False)
            return
        evidence = segment.evidence.removeprefix(f"{segment.source}: ")  # a model's evidence starts with it
        head = f"{CATEGORY_LABELS.get(segment.category, segment.category)} · {segment.source}: {evidence}"
        lines = why_lines(segment.details)
        self.setText("\n".join([head, *lines]))
        self.setVisible(True)
