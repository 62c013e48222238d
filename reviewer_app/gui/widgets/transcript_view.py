"""The transcript: one paragraph per turn (time, speaker in its colour, words).

The document is built once per call; the current word, the selected
segment's words and the problem marks are QTextEdit extra selections and char
formats, so following the playhead never rebuilds anything. Click a word to
seek to it; double-click a turn (or F2) to edit its text in place: Enter
saves, Escape cancels, leaving the editor saves too (an edit is never lost
silently).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from reviewer_app.core.domain import Turn
from reviewer_app.core.review.transcript import TranscriptIndex, turn_display
from reviewer_app.core.review.viewport import mmss
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import CATEGORY_COLORS, CATEGORY_LABELS, ROLE_COLORS, role_label


@dataclass
class _TurnLayout:
    block: int
    text_pos: int  # document position where the words start
    word_starts: list[int]  # offsets of each word inside the block text
    word_ends: list[int]
    text_len: int
    first_word: int  # transcript-wide number of its first word


class _TurnEditor(QPlainTextEdit):
    committed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.setStyleSheet("QPlainTextEdit { background: #fffbe6; border: 2px solid #e0a800; }")
        self._done = False

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._finish(commit=True)
            return
        if event.key() == Qt.Key.Key_Escape:
            self._finish(commit=False)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._finish(commit=True)

    def _finish(self, commit: bool) -> None:
        if self._done:
            return
        self._done = True
        if commit:
            self.committed.emit(self.toPlainText())
        else:
            self.cancelled.emit()


class TranscriptView(QTextEdit):
    seekRequested = Signal(float)
    turnEdited = Signal(int, str)  # turn index, new text
    editRefused = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF(), 10.5))
        self.setFont(font)
        self._turns: list[Turn] = []
        self._index: TranscriptIndex | None = None
        self._layouts: list[_TurnLayout] = []
        self._block_to_turn: dict[int, int] = {}
        self._current: list[QTextEdit.ExtraSelection] = []
        self._selection: list[QTextEdit.ExtraSelection] = []
        self._editor: _TurnEditor | None = None
        self._follow = True
        self.editable = True
        self.verticalScrollBar().sliderPressed.connect(lambda: setattr(self, "_follow", False))

    # --- building ---------------------------------------------------------------

    def set_transcript(self, turns: list[Turn], index: TranscriptIndex) -> None:
        self._close_editor()
        self._turns, self._index = list(turns), index
        self._layouts, self._block_to_turn = [], {}
        doc = self.document()
        doc.clear()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(QColor("#777777"))
        body = QTextCharFormat()
        body.setForeground(QColor("#1a1a1a"))
        block_fmt = QTextBlockFormat()
        block_fmt.setBottomMargin(5)
        first_word = 0
        for ti, turn in enumerate(turns):
            if ti:
                cursor.insertBlock(block_fmt)
            else:
                cursor.setBlockFormat(block_fmt)
            role_fmt = QTextCharFormat()
            role_fmt.setForeground(QColor(ROLE_COLORS.get(turn.role, "#333333")))
            role_fmt.setFontWeight(QFont.Weight.Bold)
            cursor.insertText(f"{mmss(turn.start)}  ", time_fmt)
            cursor.insertText(f"{role_label(turn.role)}:  ", role_fmt)
            block = cursor.block()
            text_pos = cursor.position()
            text, starts, ends = turn_display(turn)
            base = text_pos - block.position()
            starts = [base + k if k >= 0 else -1 for k in starts]
            ends = [base + k if k >= 0 else -1 for k in ends]
            cursor.insertText(text, body)
            self._layouts.append(_TurnLayout(block.blockNumber(), text_pos, starts, ends, len(text), first_word))
            self._block_to_turn[block.blockNumber()] = ti
            first_word += len(turn.words)
        cursor.endEditBlock()
        self._current, self._selection = [], []
        self._apply_extra()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def set_segments(self, segments: list[StoredSegment]) -> None:
        """Underline the words inside live (not rejected) problem segments in the category colour."""
        if self._index is None:
            return
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        plain = QTextCharFormat()
        plain.setUnderlineStyle(QTextCharFormat.UnderlineStyle.NoUnderline)
        plain.setToolTip("")
        for lay in self._layouts:
            if lay.text_len:
                cursor.setPosition(lay.text_pos)
                cursor.setPosition(lay.text_pos + lay.text_len, QTextCursor.MoveMode.KeepAnchor)
                cursor.mergeCharFormat(plain)
        marked = self._index.words_in_segments(s.segment for s in segments if s.status != "rejected")
        for number, category in marked.items():
            span = self._word_span(number)
            if span is None:
                continue
            fmt = QTextCharFormat()
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(QColor(CATEGORY_COLORS.get(category, "#cc0000")))
            fmt.setToolTip(CATEGORY_LABELS.get(category, category))
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        cursor.endEditBlock()

    def _word_span(self, number: int) -> tuple[int, int] | None:
        if self._index is None or not (0 <= number < len(self._index.words)):
            return None
        ref = self._index.words[number]
        lay = self._layouts[ref.turn]
        if lay.word_starts[ref.index] < 0:
            return None
        block = self.document().findBlockByNumber(lay.block)
        return block.position() + lay.word_starts[ref.index], block.position() + lay.word_ends[ref.index]

    # --- following ---------------------------------------------------------------------

    def set_current_time(self, t: float) -> None:
        if self._index is None:
            return
        numbers = self._index.words_at(t)
        sels = []
        for number in numbers:
            span = self._word_span(number)
            if span is None:
                continue
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor("#ffe066"))
            cursor = QTextCursor(self.document())
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            sels.append(sel)
        if [s.cursor.position() for s in sels] == [s.cursor.position() for s in self._current]:
            return
        self._current = sels
        self._apply_extra()
        if sels and self._follow and self._editor is None:
            self._ensure_visible(sels[0].cursor)

    def current_words(self) -> list[str]:
        return [s.cursor.selectedText() for s in self._current]

    def show_segment(self, seg: StoredSegment | None) -> None:
        """Shade the turns' text inside the selected segment and scroll to it."""
        self._selection = []
        if seg is not None and self._index is not None:
            numbers = self._index.words_in_segments([seg.segment])
            for number in sorted(numbers):
                span = self._word_span(number)
                if span is None:
                    continue
                sel = QTextEdit.ExtraSelection()
                sel.format.setBackground(QColor(CATEGORY_COLORS.get(seg.category, "#cccccc")).lighter(165))
                cursor = QTextCursor(self.document())
                cursor.setPosition(span[0])
                cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
                sel.cursor = cursor
                self._selection.append(sel)
            turn = self._index.turn_at(seg.start)
            if self._selection:
                self._ensure_visible(self._selection[0].cursor)
            elif turn is not None:
                self._ensure_visible(self._turn_cursor(turn))
        self._follow = True
        self._apply_extra()

    def _apply_extra(self) -> None:
        self.setExtraSelections(self._selection + self._current)

    def _turn_cursor(self, turn: int) -> QTextCursor:
        cursor = QTextCursor(self.document().findBlockByNumber(self._layouts[turn].block))
        return cursor

    def _ensure_visible(self, cursor: QTextCursor) -> None:
        rect = self.cursorRect(cursor)
        view = self.viewport().rect()
        if rect.top() < view.top() + 10 or rect.bottom() > view.bottom() - 10:
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + rect.top() - view.height() // 3)

    # --- clicks -------------------------------------------------------------------------

    def word_at_position(self, pos) -> int | None:
        """Transcript-wide number of the word under a viewport position, if any."""
        cursor = self.cursorForPosition(pos)
        block = cursor.block().blockNumber()
        ti = self._block_to_turn.get(block)
        if ti is None or self._index is None:
            return None
        lay = self._layouts[ti]
        offset = cursor.position() - cursor.block().position()
        for k, (a, b) in enumerate(zip(lay.word_starts, lay.word_ends)):
            if a <= offset <= b and a >= 0:
                return lay.first_word + k
        return None

    def turn_at_position(self, pos) -> int | None:
        return self._block_to_turn.get(self.cursorForPosition(pos).block().blockNumber())

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or self.textCursor().hasSelection():
            return
        pos = event.position().toPoint()
        number = self.word_at_position(pos)
        if number is not None:
            self._follow = True
            self.seekRequested.emit(self._index.words[number].word.start)
            return
        turn = self.turn_at_position(pos)
        if turn is not None:
            self.seekRequested.emit(self._turns[turn].start)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        turn = self.turn_at_position(event.position().toPoint())
        if turn is not None:
            self.begin_edit(turn)

    def wheelEvent(self, event) -> None:  # noqa: N802
        self._follow = False  # the user is reading elsewhere: stop following until they click
        super().wheelEvent(event)

    # --- editing --------------------------------------------------------------------------

    def begin_edit(self, turn: int) -> None:
        if not (0 <= turn < len(self._turns)):
            return
        if not self.editable:
            self.editRefused.emit("Transcript editing is not available: the storage function is missing.")
            return
        self._close_editor()
        lay = self._layouts[turn]
        block = self.document().findBlockByNumber(lay.block)
        rect = self.document().documentLayout().blockBoundingRect(block)
        offset = self.verticalScrollBar().value()
        editor = _TurnEditor(self.viewport())
        editor.setPlainText(self._turns[turn].text.strip() or turn_display(self._turns[turn])[0])
        editor.setFont(self.font())
        height = max(int(rect.height()) + 16, 56)
        editor.setGeometry(int(rect.left()), int(rect.top()) - offset - 4, self.viewport().width() - 8, height)
        editor.committed.connect(lambda text, t=turn: self._commit(t, text))
        editor.cancelled.connect(self._close_editor)
        editor.show()
        editor.setFocus()
        editor.selectAll()
        self._editor = editor

    def editing_turn(self) -> bool:
        return self._editor is not None

    def _commit(self, turn: int, text: str) -> None:
        self._close_editor()
        if text.split() != self._turns[turn].text.split():
            self.turnEdited.emit(turn, text)

    def _close_editor(self) -> None:
        editor, self._editor = self._editor, None
        if editor is not None:
            editor._done = True
            editor.hide()
            editor.deleteLater()
            self.setFocus()
