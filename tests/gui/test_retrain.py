"""Retrain from the window: the preview of reviewed labels, a real (tiny) run in the worker process with
the live curve and the before/after table, Promote and the re-scoring, Cancel, and a crashing worker."""
from __future__ import annotations

import shutil
import sys

import pytest

from reviewer_app.core.storage import model_versions as mv
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.model import registry
from reviewer_app.core.training.runner import worker_command
from reviewer_app.gui.models import training_tables as tt
from tests.core.test_training_support import (  # noqa: F401  (the feature-cache fixture is autouse)
    _private_feature_cache,
    build_library,
    tiny_model,
)

RUN_TIMEOUT_MS = 240_000  # the machine is slow and shared


@pytest.fixture(scope="module")
def labelled_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled")
    build_library(f"sqlite:///{folder / 'lib.sqlite3'}").dispose()
    return folder / "lib.sqlite3"


@pytest.fixture
def labelled_engine(labelled_file, tmp_path):
    shutil.copy(labelled_file, tmp_path / "lib.sqlite3")
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    row = registry.register(engine, tiny_model().model, {"label_counts": {}, "version": "tiny-1"})
    registry.promote(engine, row.version)  # a small model in use: no Whisper encoder needed
    yield engine
    engine.dispose()


@pytest.fixture
def train_window(qtbot, labelled_engine, settings, tmp_path):
    from reviewer_app.gui.main_window import MainWindow

    win = MainWindow(labelled_engine, settings, str(tmp_path / "settings.toml"), db_label="labelled db")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.team._stop_team_work()
    win.ops.wait(20_000)


def open_retrain(qtbot, window):
    window.act["retrain"].trigger()
    dialog = window.team._retrain_dialog
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=60_000)
    return dialog


def cell(table, row, col):
    return table.item(row, col).text()


def test_preview_shows_labels_per_category_device_and_policy(qtbot, train_window):
    dialog = open_retrain(qtbot, train_window)
    assert dialog.isVisible() and not dialog.isModal()
    preview = dialog.preview
    assert preview["labelled_calls"] == 4 and preview["ready"]
    assert "device: cpu" in dialog.headline.text() and "tiny-1" in dialog.headline.text()
    rows = {cell(dialog.preview_table, r, 0): r for r in range(dialog.preview_table.rowCount())}
    assert cell(dialog.preview_table, rows["dead air"], 1) == str(preview["label_counts"]["dead_air"])
    assert cell(dialog.preview_table, rows["missing greeting"], 3) == "rules"
    assert dialog.policy_label.text() == "detector: rules"
    assert train_window.team.policy_label.text() == "detector: rules"
    assert dialog.start_button.isEnabled() and not dialog.promote_button.isVisible()


def test_a_real_run_streams_the_curve_then_promote_rescored(qtbot, train_window, labelled_engine):
    from sqlalchemy import text

    with labelled_engine.begin() as con:  # one call nobody reviewed yet: it is re-scored after the promotion
        con.execute(text("update calls set review_status='new' where id=(select min(id) from calls)"))
    dialog = open_retrain(qtbot, train_window)
    dialog.epochs_box.setValue(1)
    dialog.device_box.setCurrentText("cpu")
    events = []
    dialog.process.event.connect(lambda e: events.append(e["event"]))
    with qtbot.waitSignal(dialog.finishedRun, timeout=RUN_TIMEOUT_MS) as blocker:
        dialog.start_button.click()
        assert dialog.cancel_button.isVisible() and not dialog.start_button.isEnabled()
        assert train_window.isEnabled()  # the window stays usable while it trains
    done = blocker.args[0]
    assert done["event"] == "done", done
    assert events[0] == "start" and "epoch" in events and events[-1] == "done"
    assert dialog.curve.epochs == [1] and len(dialog.curve.val) == 1
    assert dialog.pages.currentIndex() == 1 and dialog.promote_button.isVisible()
    table = dialog.result_table
    assert cell(table, table.rowCount() - 1, 0) == "macro-F1"
    assert table.rowCount() >= 2 and "device" in dialog.result_info.text()
    assert "cpu" in dialog.result_info.text()
    assert mv.active_version(labelled_engine).version == "tiny-1"  # --promote never: nothing changed yet

    with qtbot.waitSignal(train_window.team.events.rescored, timeout=RUN_TIMEOUT_MS) as rescored:
        dialog.promote_button.click()
    assert mv.active_version(labelled_engine).version == done["version"]
    assert rescored.args[0].rescored == 1
    assert "Re-scored 1" in dialog.message.text()


def test_discard_runs_on_the_write_lane(qtbot, train_window, labelled_engine, tmp_path):
    """Discard deletes a trained version through the window's write lane; one in use is refused."""
    from gui_builders import settle

    dialog = open_retrain(qtbot, train_window)
    mv.add_version(labelled_engine, "tiny-2", str(tmp_path / "tiny-2" / "model.pt"), "0" * 64, {})
    discarded = []
    dialog.discarded.connect(discarded.append)
    for version, said in (("tiny-1", "Could not discard tiny-1"), ("tiny-2", "Discarded tiny-2")):
        dialog.result = {"version": version}
        dialog._buttons("result")
        dialog.discard_button.click()
        assert not dialog.discard_button.isVisible()  # on its way: the buttons wait for the outcome
        settle(qtbot, train_window)
        assert said in dialog.message.text(), dialog.message.text()
    assert discarded == ["tiny-2"]
    assert [r.version for r in mv.list_versions(labelled_engine)] == ["tiny-1"]


def test_cancel_leaves_the_model_in_use(qtbot, train_window, labelled_engine):
    dialog = open_retrain(qtbot, train_window)
    dialog.epochs_box.setValue(50)
    dialog.device_box.setCurrentText("cpu")
    with qtbot.waitSignal(dialog.process.event, timeout=RUN_TIMEOUT_MS):
        dialog.start_button.click()
    with qtbot.waitSignal(dialog.finishedRun, timeout=RUN_TIMEOUT_MS) as blocker:
        dialog.cancel_button.click()
    assert blocker.args[0]["event"] == "cancelled"
    assert "untouched" in dialog.message.text() and "tiny-1" in dialog.message.text()
    assert mv.active_version(labelled_engine).version == "tiny-1"
    assert [r.version for r in mv.list_versions(labelled_engine)] == ["tiny-1"]
    assert dialog.start_button.isEnabled() and not dialog.promote_button.isVisible()


def test_a_crashing_or_failing_worker_is_shown_not_raised(qtbot, train_window):
    dialog = open_retrain(qtbot, train_window)
    crash = [sys.executable, "-c", "import sys; sys.stderr.write('boom: segfault in a kernel\\n'); sys.exit(1)"]
    with qtbot.waitSignal(dialog.finishedRun, timeout=60_000) as blocker:
        dialog.start(crash)
    assert blocker.args[0]["kind"] == "crash"
    text = dialog.message.text()
    assert "crashed" in text and "exit status 1" in text and "boom: segfault" in text
    assert "untouched" in text and dialog.start_button.isEnabled()

    with qtbot.waitSignal(dialog.finishedRun, timeout=120_000) as blocker:
        dialog.start(worker_command("nosuchdriver://nowhere/db", device="cpu", epochs=1, promote="never",
                                    rescore=False))
    assert blocker.args[0]["event"] == "error" and blocker.args[0]["kind"] == "error"
    assert "Training failed" in dialog.message.text()

    oom = [sys.executable, "-c", "print('{\"event\": \"error\", \"kind\": \"oom\", \"message\": \"CUDA out of "
                                 "memory\"}'); raise SystemExit(3)"]
    with qtbot.waitSignal(dialog.finishedRun, timeout=60_000):
        dialog.start(oom)
    assert "ran out of memory" in dialog.message.text()
    assert train_window.isVisible() and "Training failed" in train_window.statusBar().currentMessage()


def test_policy_and_before_after_text():
    policy = {"model_version": "v3", "min_labels_per_category": 20,
              "categories": {"dead_air": {"source": "model", "labels": 40, "reason": "40 reviewed labels"},
                             "overtalk": {"source": "model", "labels": 22, "reason": "22 reviewed labels"},
                             "fast_speech": {"source": "rules", "labels": 3, "reason": "3 reviewed labels, fewer"}}}
    assert tt.policy_summary(policy) == "detector: model v3 for dead air, overtalk; rules for the rest"
    assert "fast speech: rules" in tt.policy_tooltip(policy)
    m = {"precision": 0.5, "recall": 1.0, "f1": 0.667, "support": 4}
    done = {"label_counts": {"dead_air": 30}, "validation": {
        "before": {"dead_air": dict(m, source="rules")},
        "after": {"dead_air": dict(m, f1=0.8, source="new")},
        "macro_f1": {"before": 0.667, "after": 0.8}}}
    rows = tt.before_after_rows(done)
    assert rows[0].cells[:4] == ("dead air", "30", "4", "rule") and rows[0].cells[7] == "new model"
    assert rows[0].cells[11] == "+0.13" and rows[0].cells[12:] == ("—", "—")  # no 'old'/'new' alone figures
    assert rows[-1].cells[0] == "macro-F1" and tt.better(done)
    assert tt.overall_fraction({"event": "epoch", "epoch": 5, "epochs": 10}) == pytest.approx(0.575)
