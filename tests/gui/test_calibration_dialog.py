"""The Team menu's calibration dialog: a lead makes a session from the library, reads the report once
the reviewers have submitted, saves its PDF and adopts the majority into the labels of record."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from reviewer_app.core.calibration.sessions import list_sessions, record, submit
from reviewer_app.core.storage.repository import load_segments


@pytest.fixture
def dialog(qtbot, engine):
    from reviewer_app.gui.dialogs.calibration_dialog import CalibrationDialog
    from reviewer_app.gui.ops import Ops

    ops = Ops()
    dlg = CalibrationDialog(engine, ops, "lea")
    qtbot.addWidget(dlg)
    dlg.show()
    with qtbot.waitSignal(dlg.loaded, timeout=20_000):
        dlg.refresh()
    yield dlg
    qtbot.waitUntil(lambda: ops.idle, timeout=20_000)
    ops.wait(10_000)


def test_lead_creates_reads_and_adopts(qtbot, dialog, engine, calls, tmp_path):
    basic, mono = calls["basic"].id, calls["mono"].id
    assert dialog.calls_list.count() == 2
    for i in range(2):
        dialog.calls_list.item(i).setCheckState(Qt.CheckState.Checked)
    dialog.reviewers_edit.setText("ana, bob, chen")
    dialog.name_edit.setText("week 48")
    with qtbot.waitSignal(dialog.sessionCreated, timeout=20_000) as created:
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    session_id = created.args[0]
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1 and "No reviewer" in dialog.report_text, timeout=20_000)
    assert [dialog.table.item(0, c).text() for c in range(6)] == [
        str(session_id), "week 48", "lea", "2", "ana 0/2, bob 0/2, chen 0/2", "open"]
    [summary] = list_sessions(engine)
    assert summary.reviewers == ("ana", "bob", "chen") and summary.call_ids == (basic, mono)

    # the reviewers label the calls (the window's blind mode writes the same way) and submit
    dead_air, overtalk, phrase = [s.id for s in load_segments(engine, basic)]
    [noise] = [s.id for s in load_segments(engine, mono)]
    for name, kept in (("ana", {dead_air, overtalk, phrase}), ("bob", {dead_air, phrase}), ("chen", {dead_air})):
        record(engine, session_id, basic, name, confirm=sorted(kept),
               reject=sorted({dead_air, overtalk, phrase} - kept))
        record(engine, session_id, mono, name, reject=[noise])
        submit(engine, session_id, name)
    with qtbot.waitSignal(dialog.reportShown, timeout=20_000):
        dialog.refresh(select=session_id)
    assert "Pairs of raters" in dialog.report_text and "ana 2/2, bob 2/2, chen 2/2" in \
        dialog.table.item(0, 4).text()
    assert [dialog.adopt_from.itemText(i) for i in range(dialog.adopt_from.count())] == ["majority", "ana", "bob",
                                                                                         "chen"]
    pdf = tmp_path / "calibration.pdf"
    dialog.save_pdf(str(pdf))
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Wrote"), timeout=20_000)
    assert pdf.read_bytes()[:5] == b"%PDF-"

    # majority: dead air kept (3 of 3), the phrase kept (2 of 3), overtalk (1 of 3) and the noise rejected
    with qtbot.waitSignal(dialog.adopted, timeout=20_000):
        dialog.adopt_from.setCurrentText("majority")
        qtbot.mouseClick(dialog.adopt_button, Qt.MouseButton.LeftButton)
    status = {s.id: (s.status, s.reviewer) for s in load_segments(engine, basic) + load_segments(engine, mono)}
    assert status == {dead_air: ("confirmed", "lea"), overtalk: ("rejected", "lea"), phrase: ("confirmed", "lea"),
                      noise: ("rejected", "lea")}
    qtbot.waitUntil(lambda: dialog.table.item(0, 5).text() == "adopted from majority", timeout=20_000)
    assert not dialog.adopt_button.isEnabled()


def test_a_reviewer_who_has_not_submitted_sees_no_report(qtbot, dialog, engine, calls, tmp_path):
    from reviewer_app.core.calibration.sessions import create_session

    basic = calls["basic"].id
    session_id = create_session(engine, [basic], ["lea", "bob"], "lea")
    record(engine, session_id, basic, "bob", confirm=[s.id for s in load_segments(engine, basic)])
    submit(engine, session_id, "bob")
    with qtbot.waitSignal(dialog.reportShown, timeout=20_000):
        dialog.refresh(select=session_id)
    assert dialog.report_text.startswith(f"Hidden from you (lea): lea reviews in calibration session {session_id} "
                                         "and has submitted 0 of 1 calls")
    assert "bob" not in dialog.report_text
    pdf = tmp_path / "hidden.pdf"
    dialog.save_pdf(str(pdf))
    qtbot.waitUntil(lambda: "no PDF written" in dialog.status.text(), timeout=20_000)
    assert not pdf.exists()


def test_a_mistake_is_shown_in_one_line(qtbot, dialog):
    dialog.create([], ["ana"])
    assert dialog.status.text() == "Tick the calls and name the reviewers (comma-separated) first."
    dialog.create([1], ["ana", "model"])
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Failed:"), timeout=20_000)
    assert "'model' cannot be a reviewer's name" in dialog.status.text() and dialog.create_button.isEnabled()


def test_only_the_sessions_lead_may_adopt(qtbot, dialog, engine, calls):
    """The dialog's user (lea) did not make the session (ana did): Adopt is off, says why, and adopting
    anyway is refused with the labels of record unchanged."""
    from reviewer_app.core.calibration.sessions import create_session

    basic = calls["basic"].id
    session_id = create_session(engine, [basic], ["bob"], "ana")
    record(engine, session_id, basic, "bob", confirm=[s.id for s in load_segments(engine, basic)])
    submit(engine, session_id, "bob")
    before = [(s.id, s.status, s.reviewer) for s in load_segments(engine, basic)]
    with qtbot.waitSignal(dialog.reportShown, timeout=20_000):
        dialog.refresh(select=session_id)
    assert "Pairs of raters" in dialog.report_text  # everyone submitted: the report is open to lea
    assert not dialog.adopt_button.isEnabled()
    assert f"only its lead, ana, may adopt an outcome of calibration session {session_id} (not lea)" in \
        dialog.adopt_button.toolTip()
    dialog.adopt(session_id, "majority")
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Failed:"), timeout=20_000)
    assert "only its lead, ana, may adopt" in dialog.status.text() and not dialog.adopt_button.isEnabled()
    assert [(s.id, s.status, s.reviewer) for s in load_segments(engine, basic)] == before
    [summary] = list_sessions(engine)
    assert summary.state == "open"
