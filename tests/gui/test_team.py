"""The team's features in the window, on a real database: export, import labels, scorecard PDF, the agent
dashboard's plots and PDF, the review queue opening a call at its segment, the threshold what-if, and
the speech-data quality view."""
from __future__ import annotations

from pathlib import Path

import pytest

from reviewer_app.core.storage import load_segments
from reviewer_app.gui.dialogs.exchange_dialogs import ExportDialog, ExportRequest, ImportLabelsDialog, ImportRequest

JOB_MS = 60_000


def wait_job(qtbot, window, signal: str, timeout: int = JOB_MS):
    """Wait for one of TeamEvents' typed signals (exported, labelsImported, scorecardWritten, queueLoaded)."""
    return qtbot.waitSignal(getattr(window.team.events, signal), timeout=timeout)


def test_export_dialog_builds_the_request(qtbot, opened, tmp_path):
    from reviewer_app.core.exchange import EXPORT_FORMATS

    dialog = ExportDialog(EXPORT_FORMATS, 2, "call_basic.wav")
    qtbot.addWidget(dialog)
    assert dialog.request() is None  # no folder yet
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("audacity"))
    dialog.folder_edit.setText(str(tmp_path))
    dialog.scope_box.setCurrentIndex(1)
    assert dialog.request() == ExportRequest("audacity", str(tmp_path), True, {"which": "findings"})
    assert not dialog.prefix_edit.isVisibleTo(dialog) and dialog.which_box.isVisibleTo(dialog)


@pytest.mark.parametrize("fmt, pattern", [("csv", "*.csv"), ("labelstudio", "*.json"), ("textgrid", "*.TextGrid")])
def test_export_writes_files(qtbot, window, tmp_path, fmt, pattern):
    out = tmp_path / "out"
    window.team.ask_export = lambda: ExportRequest(fmt, str(out))
    with wait_job(qtbot, window, "exported") as blocker:
        window.act["export"].trigger()
    paths = blocker.args[0]
    assert paths and all(Path(p).is_file() for p in paths)
    assert list(out.glob(pattern))
    assert "Exported" in window.statusBar().currentMessage()


def test_a_failed_export_leaves_no_partial_set(qtbot, window, tmp_path):
    out = tmp_path / "out"
    (out / "segments.csv").mkdir(parents=True)  # the second file cannot be written
    window.team.ask_export = lambda: ExportRequest("csv", str(out))
    window.act["export"].trigger()
    qtbot.waitUntil(lambda: "Export failed" in window.statusBar().currentMessage() or window.ops.idle, timeout=20_000)
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)
    assert not (out / "calls.csv").exists()  # the first file is not left behind on its own
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # and no staging folder either


def test_import_labels_applies_them_to_the_open_call(qtbot, opened, tmp_path):
    w = opened
    track = tmp_path / "call_basic.txt"  # an Audacity label track, found by its file name
    track.write_text("15.380000\t22.380000\tdead_air [both]\n33.000000\t35.000000\trepetition [agent]\n")
    w.team.ask_label_import = lambda: ImportRequest("audacity", str(track))
    bar, seen = w.team.label_import_progress, []
    bar.valueChanged.connect(lambda v: seen.append((v, bar.isVisibleTo(w), bar.format())))
    with wait_job(qtbot, w, "labelsImported") as blocker:
        w.act["import_labels"].trigger()
    report = blocker.args[0]
    qtbot.waitUntil(lambda: not bar.isVisibleTo(w), timeout=10_000)  # hidden once the import is over
    assert seen and all(shown for _, shown, _ in seen) and max(v for v, _, _ in seen) > 0, seen
    assert seen[-1][2] == "labels %p%" and "call_basic.txt" in bar.toolTip()
    assert (report.confirmed, report.added, report.rejected) == (1, 1, 2)
    stored = {(s.category, s.status) for s in load_segments(w.engine, w.controller.session.call_id)}
    assert stored == {("dead_air", "confirmed"), ("repetition", "added"), ("overtalk", "rejected"),
                      ("forbidden_phrase", "rejected")}
    qtbot.waitUntil(lambda: w.segment_model.rowCount() == 4, timeout=10_000)  # the open call was reloaded
    assert "1 added" in w.statusBar().currentMessage()

    dialog = ImportLabelsDialog((w.controller.session.call_id, "call_basic.wav"))
    qtbot.addWidget(dialog)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("labelstudio"))
    assert not dialog.to_open_call.isEnabled() and not dialog.folder_button.isEnabled()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("textgrid"))
    dialog.path_edit.setText(str(tmp_path / "other_name.TextGrid"))
    dialog.to_open_call.setChecked(True)
    assert dialog.request() == ImportRequest("textgrid", str(tmp_path / "other_name.TextGrid"),
                                             str(w.controller.session.call_id), True)


def test_a_bad_label_file_is_one_message(qtbot, window, tmp_path):
    bad = tmp_path / "call_basic.txt"
    bad.write_text("1.0\t2.0\tnot a category\n")
    window.team.ask_label_import = lambda: ImportRequest("audacity", str(bad))
    window.act["import_labels"].trigger()
    qtbot.waitUntil(lambda: "Import failed" in window.statusBar().currentMessage(), timeout=JOB_MS)
    assert "not a problem category" in window.statusBar().currentMessage()
    assert window.isVisible()


def test_scorecard_pdf_of_the_open_call(qtbot, opened, tmp_path):
    opened.team.ask_save_path = lambda *a: str(tmp_path / "card.pdf")
    with wait_job(qtbot, opened, "scorecardWritten") as blocker:
        opened.act["scorecard"].trigger()
    pdf = Path(blocker.args[0])
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    assert "card.pdf" in opened.statusBar().currentMessage()


def test_dashboard_plots_the_agents_and_saves_a_pdf(qtbot, window, calls, tmp_path):
    meta = tmp_path / "agents.csv"
    meta.write_text("agent,team,date,sha256\n"
                    f"ana,north,2024-03-01,{calls['basic'].sha256}\n"
                    f"ben,south,2024-03-02,{calls['mono'].sha256}\n")
    window.act["dashboard"].trigger()
    dialog = window.team._dashboard_dialog
    assert dialog.isVisible()
    dialog.csv_edit.setText(str(meta))
    dialog.use_csv.setChecked(True)
    dialog.show_button.click()
    qtbot.waitUntil(lambda: dialog.board is not None, timeout=JOB_MS)
    assert dialog.table.rowCount() == 2 and dialog.table.item(0, 0).text() == "ana"
    assert "2 agent(s), 2 call(s)" in dialog.status.text()
    (trend,) = dialog.trend.figure.axes
    assert len(trend.get_lines()) == 2 and "Score trend" in trend.get_title(loc="left")
    habits = dialog.habits.figure.axes
    assert len(habits) == 4 and all(ax.patches for ax in habits)  # the bars of each chart
    dialog.ask_pdf_path = lambda: str(tmp_path / "dash.pdf")
    with qtbot.waitSignal(dialog.pdfWritten, timeout=JOB_MS):  # drawn on the drawing lane
        dialog.pdf_button.click()
    assert (tmp_path / "dash.pdf").read_bytes()[:5] == b"%PDF-"

    dialog.use_pattern.setChecked(True)
    dialog.pattern_edit.setText(r"(?P<team>\w+)")  # no agent group: one readable line
    dialog.show_button.click()
    qtbot.waitUntil(lambda: "agent" in dialog.status.text() and "(?P<agent>" in dialog.status.text(),
                    timeout=JOB_MS)


def test_review_queue_opens_the_call_at_the_segment(qtbot, window, calls):
    with wait_job(qtbot, window, "queueLoaded") as blocker:
        window.act["review_queue"].trigger()
    assert window.queue_dock.isVisible()
    items = blocker.args[0]
    panel = window.team.queue_panel
    assert panel.table.rowCount() == len(items) > 0
    row = next(r for r, item in enumerate(items) if item.segment_id is not None)
    item = items[row]
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        panel.table.doubleClicked.emit(panel.table.model().index(row, 1))
    assert window.controller.session.call_id == item.call_id
    qtbot.waitUntil(lambda: window.state.selected == item.segment_id, timeout=5000)
    assert window.state.viewport.start <= item.start and item.end <= window.state.viewport.end
    assert "Queue:" in window.statusBar().currentMessage()

    panel.strategy_box.setCurrentIndex(panel.strategy_box.findData("lowest"))
    with wait_job(qtbot, window, "queueLoaded") as blocker:
        panel.refresh_button.click()
    assert [i.call_id for i in blocker.args[0]] == [calls["basic"].id, calls["mono"].id]  # 71 before 98


def test_what_if_shows_added_and_removed_before_saving(qtbot, window, tmp_path):
    from reviewer_app.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, str(tmp_path / "s.toml"), engine=window.engine,
                            ops=window.ops)
    qtbot.addWidget(dialog)
    dialog.show()
    panel = dialog.what_if
    dialog._rule_boxes["dead_air_min_s"].setValue(8.0)  # the stored 7 s dead air would go
    with qtbot.waitSignal(panel.job.succeeded, timeout=120_000):
        panel.run_button.click()
        assert panel.progress.isVisibleTo(panel) and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=5000)
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in range(8)]
            for r in range(panel.table.rowCount())}
    assert rows["dead air"][4] == "−1" and rows["dead air"][3] == "0" and rows["dead air"][1] == "1" and rows["dead air"][2] == "0"
    assert "call(s) compared" in panel.message.text() and "Nothing was saved" in panel.message.text()
    assert not (tmp_path / "s.toml").exists()
    assert len(load_segments(window.engine, window.library_model.call_at(0).id)) > 0  # nothing written


def test_quality_view_ranks_and_exports_clean_clips(qtbot, window, tmp_path):
    window.act["quality"].trigger()
    dialog = window.team._quality_dialog
    qtbot.waitUntil(lambda: len(dialog.clips) == 2, timeout=JOB_MS)
    assert dialog.table.rowCount() == 2
    grades = [dialog.table.item(r, 2).text() for r in range(2)]
    assert set(grades) <= {"high", "medium", "low"}
    assert "2 clip(s)" in dialog.summary.text()
    for g, box in dialog.grade_boxes.items():
        box.setChecked(True)
    out = dialog.export(str(tmp_path / "clips.txt"))
    assert Path(out).read_text().count("\n") == 2
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        dialog.table.doubleClicked.emit(dialog.table.model().index(1, 1))
    assert window.controller.session.call_id == dialog.clips[1].call_id


def test_export_and_import_dialogs_refuse_ok_until_they_have_a_place(qtbot, tmp_path):
    from reviewer_app.core.exchange import EXPORT_FORMATS

    export = ExportDialog(EXPORT_FORMATS, 2, None)
    labels = ImportLabelsDialog((7, "call_basic.wav"))
    for dialog, missing in ((export, "Choose a folder to export into."),
                            (labels, "Choose a file or folder to import.")):
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.accept()
        assert dialog.isVisible() and dialog.error_label.text() == missing
    labels.format_box.setCurrentIndex(labels.format_box.findData("labelstudio"))
    assert not labels.folder_button.isEnabled() and not labels.to_open_call.isEnabled()
    labels.path_edit.setText(str(tmp_path / "tasks.json"))
    labels.accept()
    assert not labels.isVisible() and labels.request() == ImportRequest("labelstudio", str(tmp_path / "tasks.json"))
