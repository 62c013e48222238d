"""Transcript: click a word to seek, follow the playhead, marks in problem segments, edit a turn."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from gui_builders import settle
from reviewer_app.core.storage import LabelStore
from reviewer_app.core.storage.repository import load_analysis

LEFT = Qt.MouseButton.LeftButton


def word_point(view, number):
    start, _end = view._word_span(number)
    cursor = QTextCursor(view.document())
    cursor.setPosition(start + 1)
    view._ensure_visible(cursor)
    return view.cursorRect(cursor).center()


def test_click_a_word_to_seek(qtbot, opened):
    w, view = opened, opened.transcript
    index = w.controller.session.index
    target = next(n for n, ref in enumerate(index.words) if ref.word.word == "technician")
    qtbot.mouseClick(view.viewport(), LEFT, pos=word_point(view, target))
    assert w.state.playhead == pytest.approx(index.words[target].word.start, abs=1e-6)
    assert "technician" in view.current_words()  # (the customer talks over it: "that" is lit too)


def test_current_word_follows_the_playhead(qtbot, opened):
    w = opened
    w.review.seek(0.6)
    assert w.transcript.current_words() == ["thank"]
    w.review.seek(25.0)  # agent and customer overlap here: one word of each is lit
    assert len(w.transcript.current_words()) == 2


def test_words_in_problem_segments_are_marked(qtbot, opened):
    w, view = opened, opened.transcript
    index = w.controller.session.index

    def underlined(word):
        n = next(k for k, ref in enumerate(index.words) if ref.word.word == word)
        cursor = QTextCursor(view.document())
        cursor.setPosition(view._word_span(n)[0] + 1)
        return cursor.charFormat().underlineStyle() != cursor.charFormat().UnderlineStyle.NoUnderline

    assert underlined("problem") and not underlined("thank")
    sid = next(s.id for s in w.controller.session.segments if s.category == "forbidden_phrase")
    w.state.select(sid)
    w.review.do_reject()  # rejected findings are not marked any more
    settle(qtbot, w)
    assert not underlined("problem")


def test_edit_a_turn_in_place_and_undo(qtbot, opened):
    w = opened
    call_id, sha = w.controller.session.call_id, w.controller.session.call.sha256

    def stored_turn(index):
        return load_analysis(w.engine, sha).transcript[index]

    w.transcript.editable = True
    w.review.seek(30.5)  # the last agent turn
    w.act["edit_turn"].trigger()
    editor = w.transcript._editor
    assert editor is not None and editor.toPlainText() == "look, that's not my problem"
    editor.selectAll()
    qtbot.keyClicks(editor, "look, that is not my department")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    settle(qtbot, w)
    assert stored_turn(5).text == "look, that is not my department"
    assert [x.word for x in stored_turn(5).words][-1] == "department"
    assert "not my department" in w.transcript.toPlainText()
    [event] = LabelStore(w.engine).events(call_id)
    assert (event.action, event.reviewer, event.before["text"], event.after["text"]) == (
        "turn_edit", "tester", "look, that's not my problem", "look, that is not my department")
    w.act["undo"].trigger()
    settle(qtbot, w)
    assert stored_turn(5).text == "look, that's not my problem"
    assert "that's not my problem" in w.transcript.toPlainText()
    assert [e.action for e in LabelStore(w.engine).events(call_id)] == ["turn_edit", "undo"]


def test_escape_cancels_an_edit(qtbot, opened):
    w = opened
    before = w.transcript.toPlainText()
    w.transcript.editable = True
    w.transcript.begin_edit(0)
    qtbot.keyClick(w.transcript._editor, Qt.Key.Key_Escape)
    assert w.transcript._editor is None
    assert w.transcript.toPlainText() == before
    assert LabelStore(w.engine).events(w.controller.session.call_id) == []
