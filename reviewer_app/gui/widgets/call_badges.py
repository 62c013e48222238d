"""Call-level findings (missing greeting, missing closing) as badges above the signal views.

They are about the whole call, not a stretch of it, so they are not drawn as 20–30 s spans:
each is a button with its category, review status and evidence; a click selects it (the
table, C / R and the History work on it as on any finding).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from reviewer_app.gui.theme import CATEGORY_COLORS, CATEGORY_LABELS

CALL_LEVEL = ("missing_greeting", "missing_closing")
STATUS_TEXT = {"predicted": "", "confirmed": " ✔", "rejected": " ✘ rejected", "edited": " ✎", "added": " +"}


def is_call_level(segment) -> bool:
    return segment.category in CALL_LEVEL


def shown_segments(segments, hide_rejected: bool):
    """The spans the views draw: all but the call-level findings (badges instead), without the
    rejected ones when Hide rejected findings is on."""
    return [s for s in segments if not is_call_level(s) and not (hide_rejected and s.status == "rejected")]


class CallBadges(QWidget):
    segmentClicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self._layout.setSpacing(6)
        self.title = QLabel("Whole call:")
        self._layout.addWidget(self.title)
        self._layout.addStretch(1)
        self.buttons: dict[int, QToolButton] = {}
        self.setVisible(False)

    def set_findings(self, segments, selected: int | None = None) -> None:
        for button in self.buttons.values():
            button.deleteLater()
        self.buttons = {}
        for i, seg in enumerate(s for s in segments if is_call_level(s)):
            button = QToolButton(self)
            evidence = " ".join((seg.evidence or "").split())
            short = evidence if len(evidence) <= 48 else evidence[:47] + "…"
            button.setText(CATEGORY_LABELS.get(seg.category, seg.category).capitalize()
                           + (f": {short}" if short else "") + STATUS_TEXT.get(seg.status, ""))
            button.setToolTip(seg.evidence or "no evidence recorded")
            button.setCheckable(True)
            button.setChecked(seg.id == selected)
            colour = CATEGORY_COLORS.get(seg.category, "#888888")
            dim = "color: #888; text-decoration: line-through;" if seg.status == "rejected" else ""
            button.setStyleSheet(f"QToolButton {{ border: 2px solid {colour}; border-radius: 8px; padding: 1px 8px;"
                                 f" {dim} }}")
            button.clicked.connect(lambda _=False, sid=seg.id: self.segmentClicked.emit(sid))
            self._layout.insertWidget(1 + i, button)
            self.buttons[seg.id] = button
        self.setVisible(bool(self.buttons))

    def set_selected(self, segment_id: int | None) -> None:
        for sid, button in self.buttons.items():
            button.setChecked(sid == segment_id)
