"""gui/ops.py: operations run off the GUI thread, writes one at a time in order, typed progress,
callbacks on the GUI thread, failures as one line, callbacks of a deleted owner dropped."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QObject

from reviewer_app.core.errors import ReviewerError
from reviewer_app.gui.ops import Lane, Ops


@dataclass(frozen=True)
class Step:
    n: int


def test_writes_run_serially_in_order_and_report_on_the_gui_thread(qtbot):
    ops = Ops()
    gui = threading.get_ident()
    running, order, threads, results = [], [], set(), []

    def write(i):
        def fn(_cancel):
            running.append(i)
            assert len(running) == 1, "two writes at once"
            threads.add(threading.get_ident())
            time.sleep(0.02)
            order.append(i)
            running.remove(i)
            return i * 10
        return fn

    for i in range(5):
        ops.write(write(i), on_success=lambda v: results.append((v, threading.get_ident())))
    assert ops.pending(Lane.WRITE) == 5
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    assert order == [0, 1, 2, 3, 4]
    assert gui not in threads
    assert [v for v, _ in results] == [0, 10, 20, 30, 40] and {t for _, t in results} == {gui}


def test_a_generator_reports_typed_progress_then_its_result(qtbot):
    ops = Ops()
    seen, result = [], []

    def work(cancel):
        for n in range(3):
            yield Step(n)
        return "done"

    ops.run(work, lane=Lane.ANALYSIS, on_progress=seen.append, on_success=result.append)
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    assert seen == [Step(0), Step(1), Step(2)] and result == ["done"]


def test_failure_and_cancel_come_back_as_failures(qtbot):
    ops = Ops()
    failures, cancels, done = [], [], []

    def boom(_c):
        raise ReviewerError("call.wav: the row is locked")

    ops.write(boom, on_failure=failures.append, on_done=lambda: done.append(1))

    def slow(cancel):
        for n in range(1000):
            time.sleep(0.005)
            yield n

    handle = ops.run(slow, lane=Lane.ANALYSIS, on_failure=cancels.append)  # another lane: runs beside it
    handle.cancel()
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    [failure] = failures
    assert failure.message == "call.wav: the row is locked" and not failure.cancelled
    assert isinstance(failure.error, ReviewerError) and not failure.conflict
    [cancelled] = cancels
    assert cancelled.cancelled and handle.done and done == [1]


def test_callbacks_of_a_deleted_owner_are_dropped(qtbot):
    ops = Ops()
    owner = QObject()
    got = []
    gate = threading.Event()
    ops.query(lambda _c: gate.wait(5) and "late", owner=owner, on_success=got.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=2000)
    gate.set()
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    assert got == []


def _alive(obj) -> bool:
    from shiboken6 import isValid

    return isValid(obj)


def test_a_write_from_the_analysis_lane_waits_its_turn_on_the_write_lane(qtbot):
    """An import computes on the analysis lane and stores through write_steps: its write runs on
    the write lane behind the writes already queued there, never beside them, and its progress
    comes back through the import's own."""
    ops = Ops()
    order, lanes, got, steps, failures = [], {}, [], [], []
    gate = threading.Event()

    def queued_write(_cancel):
        lanes["queued write"] = threading.get_ident()
        gate.wait(5)
        order.append("queued write")

    def its_write():
        lanes["its write"] = threading.get_ident()
        order.append("its write")
        yield Step(1)
        return 42

    def analysis(_cancel):
        lanes["analysis"] = threading.get_ident()
        order.append("computed")
        value = yield from ops.write_steps(its_write())
        order.append("after its write")
        return value

    def failing_write():
        yield Step(1)
        raise ReviewerError("calls.sqlite3: disk full")

    def failing_analysis(_cancel):
        return (yield from ops.write_steps(failing_write()))

    ops.write(queued_write)
    ops.run(analysis, lane=Lane.ANALYSIS, on_success=got.append, on_progress=steps.append)
    qtbot.waitUntil(lambda: "computed" in order, timeout=5000)
    qtbot.wait(200)
    assert order == ["computed"]  # its write waits behind the queued one
    assert ops.pending(Lane.WRITE) == 2  # the queued write and the one lent to the analysis
    gate.set()
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    assert got == [42] and steps == [Step(1)]
    assert ops.pending(Lane.WRITE) == 0
    assert order == ["computed", "queued write", "its write", "after its write"]
    assert lanes["its write"] == lanes["queued write"] != lanes["analysis"]
    ops.run(failing_analysis, lane=Lane.ANALYSIS, on_failure=failures.append)
    qtbot.waitUntil(lambda: ops.idle, timeout=5000)
    assert [f.message for f in failures] == ["calls.sqlite3: disk full"]
    with pytest.raises(RuntimeError, match="not the GUI thread"):
        next(ops.write_steps(its_write()))  # it would wait on the GUI thread
