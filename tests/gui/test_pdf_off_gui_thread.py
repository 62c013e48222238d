"""Scorecard and dashboard PDFs are drawn on the drawing lane, not on the GUI thread: the event loop
keeps running while a PDF is drawn, a busy label shows it, and a failure names the file."""
from __future__ import annotations

import time

from PySide6.QtCore import QTimer

JOB_MS = 60_000


def test_the_scorecard_pdf_is_drawn_while_the_event_loop_runs(qtbot, opened, tmp_path):
    import matplotlib

    w = opened
    rc_before = dict(matplotlib.rcParams)
    stamps, busy = [], []
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: (stamps.append(time.perf_counter()), busy.append(w.team.busy_label.isVisible())))
    w.team.ask_save_path = lambda *a: str(tmp_path / "card.pdf")
    with qtbot.waitSignal(w.team.events.scorecardWritten, timeout=JOB_MS):
        ticker.start()
        w.act["scorecard"].trigger()
    ticker.stop()
    assert (tmp_path / "card.pdf").read_bytes()[:5] == b"%PDF-"
    drawing = [t for t, b in zip(stamps, busy) if b]  # the ticks while the PDF was being drawn
    assert len(drawing) >= 3, "the event loop did not run while the PDF was drawn"
    assert "writing card.pdf" in w.team.busy_label.text()
    qtbot.waitUntil(lambda: not w.team.busy_label.isVisible(), timeout=JOB_MS)
    assert dict(matplotlib.rcParams) == rc_before  # drawing a report changed nothing global


def test_a_scorecard_that_cannot_be_written_names_the_file(qtbot, opened, tmp_path):
    w = opened
    (tmp_path / "a file").write_text("not a folder")
    target = tmp_path / "a file" / "card.pdf"
    w.team.ask_save_path = lambda *a: str(target)
    w.act["scorecard"].trigger()
    qtbot.waitUntil(lambda: "cannot write the scorecard" in w.statusBar().currentMessage(), timeout=JOB_MS)
    assert str(target) in w.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not w.team.busy_label.isVisible(), timeout=JOB_MS)
    assert not target.exists()


def test_a_dashboard_pdf_that_cannot_be_written_names_the_file(qtbot, window, calls, tmp_path):
    meta = tmp_path / "agents.csv"
    meta.write_text(f"agent,sha256\nana,{calls['basic'].sha256}\nben,{calls['mono'].sha256}\n")
    window.act["dashboard"].trigger()
    dialog = window.team._dashboard_dialog
    dialog.csv_edit.setText(str(meta))
    dialog.use_csv.setChecked(True)
    dialog.show_button.click()
    qtbot.waitUntil(lambda: dialog.board is not None, timeout=JOB_MS)
    (tmp_path / "a file").write_text("not a folder")
    target = tmp_path / "a file" / "dash.pdf"
    assert dialog.save_pdf(str(target))
    assert dialog.status.text() == "Writing dash.pdf…" and not dialog.pdf_button.isEnabled()
    qtbot.waitUntil(lambda: "cannot write the PDF" in dialog.status.text(), timeout=JOB_MS)
    assert str(target) in dialog.status.text()
    qtbot.waitUntil(lambda: dialog.pdf_button.isEnabled(), timeout=JOB_MS)
