"""The window stays responsive while a write waits for a lock (issue 15).

A second connection holds a lock on a call's segment (PostgreSQL: SELECT ... FOR
UPDATE on its row; SQLite: BEGIN IMMEDIATE on the file) for 2 s while the window
confirms the segment through its UI action. A QTimer ticking every 20 ms measures
the longest gap of the event loop meanwhile. When the lock is released the change
lands; when the other reviewer changed the row under the lock, the window shows a
clear conflict and what is stored.
"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from sqlalchemy import text

from gui_builders import basic_analysis, mono_analysis, settle
from reviewer_app.core.storage import find_call, load_segments, open_database, save_analysis
from reviewer_app.gui.ops import Lane

HOLD_MS = 2000
TICK_MS = 20
MAX_GAP_S = 0.2  # on a quiet machine; see allowed_gap()


class Ticker:
    """Records the gaps between the ticks of a 20 ms QTimer: how long the event loop was away."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return max(b - a for a, b in zip(self.stamps, self.stamps[1:]))


@pytest.fixture
def pg_engine(postgres_server):
    engine = open_database(postgres_server.new_database())
    save_analysis(engine, basic_analysis())
    save_analysis(engine, mono_analysis())
    yield engine
    engine.dispose()


def allowed_gap(qtbot) -> float:
    """MAX_GAP_S, or twice the longest gap of the idle event loop over 1 s when the machine is so busy
    that the GUI thread is not scheduled that often (never above a quarter of the hold: a window
    that waits for the lock on its GUI thread stops for the whole HOLD_MS)."""
    ticker = Ticker()
    ticker.start()
    qtbot.wait(1000)
    idle = ticker.stop()
    return min(max(MAX_GAP_S, 2 * idle), HOLD_MS / 4000)


def open_window(qtbot, engine, settings, tmp_path):
    from reviewer_app.gui.main_window import MainWindow

    win = MainWindow(engine, settings, str(tmp_path / "settings.toml"), db_label="locked db")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    settle(qtbot, win)
    with qtbot.waitSignal(win.callReady, timeout=20_000):
        win.open_call(find_call(engine, basic_analysis().audio.sha256))
    qtbot.wait(300)  # the debounced spectrogram request goes out...
    settle(qtbot, win)  # ...and everything the opening started has finished
    return win


def status_of(engine, call_id, sid):
    return {s.id: s.status for s in load_segments(engine, call_id)}[sid]


def confirm_behind_lock(qtbot, win, lock, release, unlock):
    """Confirm the first segment through the UI while `lock()` holds it; `release()` after HOLD_MS.
    Asserts the longest event-loop gap while locked stays under allowed_gap(); returns (segment id,
    writes still waiting at the release).
    Should the confirm block the GUI thread, a watchdog thread calls `unlock()` so the test fails
    instead of hanging."""
    sid = win.controller.session.segments[0].id
    win.state.select(sid)
    settle(qtbot, win)
    limit = allowed_gap(qtbot)
    lock(sid)
    waiting = []
    ticker = Ticker()
    held = []

    def let_go() -> None:
        held.append(ticker.stop())  # the gaps while the lock was held
        waiting.append(win.ops.pending(Lane.WRITE))
        ticker.start()
        release(sid)

    ticker.start()
    QTimer.singleShot(HOLD_MS, let_go)
    watchdog = threading.Timer(HOLD_MS / 1000 + 6, lambda: None if waiting else unlock())
    watchdog.start()
    t0 = time.perf_counter()
    win.act["confirm"].trigger()
    assert time.perf_counter() - t0 < MAX_GAP_S  # the action returned at once
    qtbot.waitUntil(lambda: bool(waiting) and win.ops.idle, timeout=HOLD_MS + 15_000)
    watchdog.cancel()
    after = ticker.stop()
    print(f"\n{win.engine.dialect.name}: max event-loop gap while the lock was held {held[0] * 1000:.0f} ms "
          f"(tick {TICK_MS} ms, held {HOLD_MS} ms); from the release until the change was shown "
          f"{after * 1000:.0f} ms; allowed {limit * 1000:.0f} ms")
    assert held[0] < limit, f"the event loop stopped for {held[0] * 1000:.0f} ms while the lock was held"
    return sid, waiting[0]


def test_confirm_behind_a_postgresql_row_lock_keeps_the_window_responsive(qtbot, pg_engine, settings, tmp_path):
    win = open_window(qtbot, pg_engine, settings, tmp_path)
    call_id = win.controller.session.call_id
    holder = pg_engine.connect()
    holder.begin()

    def lock(sid):
        holder.execute(text("SELECT id FROM segments WHERE id = :sid FOR UPDATE"), {"sid": sid})

    def release(_sid):
        assert status_of(pg_engine, call_id, _sid) == "predicted"  # not landed while the row was locked
        holder.rollback()

    try:
        sid, waiting = confirm_behind_lock(qtbot, win, lock, release, holder.rollback)
    finally:
        holder.close()
    assert waiting == 1  # the confirm was queued behind the lock while the event loop kept running
    assert status_of(pg_engine, call_id, sid) == "confirmed"  # then it landed
    assert win.controller.session.get(sid).status == "confirmed"
    assert win.segment_model.segment_at(win.segment_model.row_of(sid)).status == "confirmed"
    assert win.library_model.call_at(win.library_model.row_of(call_id)).review_status == "in_review"
    assert win.controller.undo_group.activeStack().count() == 1


def test_a_change_made_under_the_lock_is_a_clear_conflict(qtbot, pg_engine, settings, tmp_path):
    win = open_window(qtbot, pg_engine, settings, tmp_path)
    call_id = win.controller.session.call_id
    holder = pg_engine.connect()
    holder.begin()
    errors = []
    win.controller.error.connect(errors.append)

    def lock(sid):
        holder.execute(text("SELECT id FROM segments WHERE id = :sid FOR UPDATE"), {"sid": sid})

    def release(sid):  # the other reviewer rejects it, then lets go
        holder.execute(text("UPDATE segments SET status = 'rejected', reviewer = 'someone_else', "
                            "version = version + 1 WHERE id = :sid"), {"sid": sid})
        holder.commit()

    try:
        sid, _waiting = confirm_behind_lock(qtbot, win, lock, release, holder.rollback)
    finally:
        holder.close()
    assert errors and "reloaded" in errors[0], errors
    assert status_of(pg_engine, call_id, sid) == "rejected"  # not overwritten
    settle(qtbot, win)
    assert win.controller.session.get(sid).status == "rejected"  # the window shows what is stored
    assert win.controller.undo_group.activeStack().count() == 0


def test_confirm_behind_a_sqlite_write_lock_keeps_the_window_responsive(qtbot, engine, db_url, settings, tmp_path):
    win = open_window(qtbot, engine, settings, tmp_path)
    call_id = win.controller.session.call_id
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)

    def lock(_sid):
        holder.execute("BEGIN IMMEDIATE")  # another process is writing: nobody else may

    def release(sid):
        assert status_of(engine, call_id, sid) == "predicted"
        holder.execute("ROLLBACK")

    try:
        sid, waiting = confirm_behind_lock(qtbot, win, lock, release, lambda: holder.execute("ROLLBACK"))
    finally:
        holder.close()
    assert waiting == 1
    assert status_of(engine, call_id, sid) == "confirmed"
    assert win.controller.session.get(sid).status == "confirmed"


def test_a_write_repaints_only_the_rows_it_changed(qtbot, opened):
    w = opened
    model = w.segment_model
    first, second = (s.id for s in w.controller.session.segments[:2])
    painted, reset = [], []
    model.dataChanged.connect(lambda a, b: painted.append((a.row(), b.row())))
    model.modelReset.connect(lambda: reset.append(1))
    w.state.select(second)
    w.act["reject"].trigger()
    settle(qtbot, w)
    assert painted == [(1, 1)] and not reset  # one row, from the change the write returned
    assert model.segment_at(1).status == "rejected" and model.segment_at(0).id == first
    w.act["delete"].trigger()  # a removed row: the table takes the new list
    settle(qtbot, w)
    assert reset and model.rowCount() == 2
