"""One way to run work off the GUI thread (Anki's CollectionOp / QueryOp, napari's thread_worker).

An operation is a plain function of a CancelToken, run on a worker thread of
one lane. It returns its result, or it is a generator: each value it yields is
its progress (of whatever type the caller expects: core.progress.Progress,
batch.FileDone, ...) and its return value is the result. The callbacks run on
the GUI thread: `on_progress(p)` for each step, then `on_success(result)` or
`on_failure(Failure)`, then `on_done()`. A callback whose `owner` QObject has
been deleted is dropped.

    ops.write(lambda _c: review_change(session, command), on_success=apply, on_failure=report)
    ops.query(lambda _c: repository.list_calls(engine), on_success=model.set_calls)
    ops.run(lambda c: analyze_many(paths, settings, engine, cancel=c), lane=Lane.ANALYSIS,
            on_progress=show, on_success=finished)

Lanes (Anki's taskman: one serial database lane, the rest beside it):

* WRITE    — every database write of the window, one at a time in the order submitted,
             so two writes never race each other and a slow one (a row lock held by
             another reviewer) only delays the writes behind it, never the window.
* READ     — opening a call (decoding, its labels) and slow reads.
* ANALYSIS — imports, re-running the rules, re-scoring (whisper wants the cores); what they
             store goes through the write lane (write_steps, or a write when they end).
* DRAWING  — spectrogram tiles.
* TEAM     — library-wide reads and exports.

Every write returns what it changed (see core.review.changes); the window
applies that change to its views instead of reloading everything.
"""
from __future__ import annotations

import inspect
import queue
import threading
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot
from shiboken6 import isValid

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import Cancelled, CancelToken, run_to_end


class Lane(str, Enum):
    WRITE = "write"
    READ = "read"
    ANALYSIS = "analysis"
    DRAWING = "drawing"
    TEAM = "team"


@dataclass(frozen=True)
class Failure:
    """Why an operation did not succeed: one readable line, and the exception itself."""

    message: str
    error: BaseException | None = None

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)

    @property
    def conflict(self) -> bool:
        from reviewer_app.core.storage.labels import ConflictError

        return isinstance(self.error, ConflictError)

    def __str__(self) -> str:
        return self.message


def describe_error(exc: BaseException) -> str:
    """One line for the user: a ReviewerError's own text, else the type and the first line."""
    if isinstance(exc, ReviewerError):
        return str(exc)
    if isinstance(exc, Cancelled):
        return "cancelled"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class OpHandle:
    """What `Ops.run` returns: cancel the operation, or ask whether it has ended."""

    def __init__(self, cancel: CancelToken) -> None:
        self.token = cancel
        self.done = False

    def cancel(self) -> None:
        self.token.cancel()


class _Delivery(QObject):
    """Lives on the GUI thread; the worker emits, the slots run the callbacks there (queued)."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)  # Failure
    finished = Signal()

    def __init__(self, ops: "Ops", handle: OpHandle, owner: QObject | None, on_success, on_failure,
                 on_progress, on_done) -> None:
        super().__init__()
        self._ops, self._handle, self._owner = ops, handle, owner
        self._on = {"success": on_success, "failure": on_failure, "progress": on_progress, "done": on_done}
        self.progress.connect(self._progress)
        self.succeeded.connect(self._succeeded)
        self.failed.connect(self._failed)
        self.finished.connect(self._finished)

    def _call(self, which: str, *args) -> None:
        fn = self._on[which]
        if fn is not None and (self._owner is None or isValid(self._owner)):
            fn(*args)

    @Slot(object)
    def _progress(self, step) -> None:
        self._call("progress", step)

    @Slot(object)
    def _succeeded(self, value) -> None:
        self._call("success", value)

    @Slot(object)
    def _failed(self, failure) -> None:
        self._call("failure", failure)

    @Slot()
    def _finished(self) -> None:
        self._handle.done = True
        try:
            self._call("done")
        finally:
            self._ops._ended(self)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[CancelToken], Any], token: CancelToken, delivery: _Delivery) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._token, self._out = fn, token, delivery

    def run(self) -> None:
        out = self._out
        try:
            self._token.raise_if_cancelled()
            value = self._fn(self._token)
            if inspect.isgenerator(value):
                value = self._drive(value)
        except Cancelled as exc:
            out.failed.emit(Failure("cancelled", exc))
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            if not isinstance(exc, ReviewerError):
                traceback.print_exc()
            out.failed.emit(Failure(describe_error(exc), exc))
        else:
            out.succeeded.emit(value)
        finally:
            out.finished.emit()

    def _drive(self, gen):
        while True:
            try:
                step = next(gen)
            except StopIteration as stop:
                return stop.value
            self._out.progress.emit(step)
            self._token.raise_if_cancelled()


class _LaneWrite(QRunnable):
    """A write run on the write lane for a worker of another lane: each of its progress steps, then
    its value (or its exception), is put on `out` for that worker."""

    def __init__(self, steps, on_end: Callable[[], None]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._steps, self._on_end = steps, on_end
        self.out: queue.SimpleQueue = queue.SimpleQueue()

    def run(self) -> None:
        try:
            value = run_to_end(self._steps, lambda step: self.out.put(("step", step)))
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting worker
            self.out.put(("error", exc))
        else:
            self.out.put(("value", value))
        finally:
            self._on_end()


class Ops(QObject):
    """The window's one runner: a thread pool per lane, the operations in flight kept alive here."""

    settled = Signal()  # no operation is left in flight (all callbacks have run)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[Lane, QThreadPool] = {}
        for lane in Lane:
            pool = QThreadPool()  # owned here, not by the window: wait() still works after it is gone
            pool.setMaxThreadCount(1)
            self._pools[lane] = pool
        self._in_flight: dict[_Delivery, Lane] = {}
        self._lent_writes = 0  # writes run on the write lane for another lane's operation (write_steps)
        self._lent_lock = threading.Lock()

    def pool(self, lane: Lane) -> QThreadPool:
        return self._pools[Lane(lane)]

    def run(self, fn: Callable[[CancelToken], Any], *, lane: Lane = Lane.READ, owner: QObject | None = None,
            on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[Failure], None] | None = None,
            on_progress: Callable[[Any], None] | None = None,
            on_done: Callable[[], None] | None = None, cancel: CancelToken | None = None) -> OpHandle:
        """Run `fn(cancel)` on `lane`; see the module docstring for the callbacks."""
        handle = OpHandle(cancel or CancelToken())
        delivery = _Delivery(self, handle, owner, on_success, on_failure, on_progress, on_done)
        self._in_flight[delivery] = Lane(lane)
        self._pools[Lane(lane)].start(_Runnable(fn, handle.token, delivery))
        return handle

    def write(self, fn: Callable[[CancelToken], Any], **callbacks) -> OpHandle:
        """A database write (CollectionOp): on the serial write lane."""
        return self.run(fn, lane=Lane.WRITE, **callbacks)

    def write_steps(self, steps: Generator[Any, None, Any]) -> Generator[Any, None, Any]:
        """From an operation on another lane (an import, a re-scoring): run a database write, given as
        the generator of its progress steps and value, on the serial write lane behind the writes
        already queued; pass its steps on and return its value (or raise its exception):
        ``value = yield from ops.write_steps(steps)`` (the `run_write` of core.progress.write_here).
        Computing stays on that lane; only the write takes its turn here. Never on the GUI thread:
        it waits."""
        if QThread.currentThread() is self.thread():
            raise RuntimeError("Ops.write_steps waits for the write: run it on a worker, not the GUI thread")
        job = _LaneWrite(steps, self._lent_write_ended)
        with self._lent_lock:
            self._lent_writes += 1
        out = job.out
        self._pools[Lane.WRITE].start(job)
        while True:
            kind, item = out.get()
            if kind == "step":
                yield item
            elif kind == "value":
                return item
            else:
                raise item

    def query(self, fn: Callable[[CancelToken], Any], lane: Lane = Lane.READ, **callbacks) -> OpHandle:
        """A read (QueryOp): on the read lane unless told otherwise."""
        return self.run(fn, lane=lane, **callbacks)

    def _lent_write_ended(self) -> None:
        with self._lent_lock:
            self._lent_writes -= 1

    def pending(self, lane: Lane | None = None) -> int:
        """Operations submitted whose callbacks have not all run yet (on `lane`, or on all); on the
        write lane, the writes it runs for other lanes' operations (write_steps) count too."""
        own = sum(1 for ln in self._in_flight.values() if lane is None or ln == lane)
        with self._lent_lock:
            return own + (self._lent_writes if lane == Lane.WRITE else 0)

    @property
    def idle(self) -> bool:
        return not self._in_flight

    def _ended(self, delivery: _Delivery) -> None:
        self._in_flight.pop(delivery, None)
        delivery.deleteLater()
        if not self._in_flight and isValid(self):  # (a closed window's Ops may be gone by now)
            self.settled.emit()

    def wait(self, msecs: int = 10_000) -> None:
        """Block until the workers are done (closing the window); queued callbacks are not run."""
        for pool in self._pools.values():
            if isValid(pool):
                pool.waitForDone(msecs)


class SingleJob(QObject):
    """One long operation at a time on a lane (what-if, re-scoring), with typed signals; a second
    start while one runs is refused."""

    progress = Signal(object)  # whatever the operation yields (core.progress.Progress)
    succeeded = Signal(object)  # its result
    failed = Signal(str)
    cancelled = Signal()
    running = Signal(bool)

    def __init__(self, ops: Ops, lane: Lane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops, self._lane = ops, lane
        self._handle: OpHandle | None = None

    @property
    def busy(self) -> bool:
        return self._handle is not None

    def start(self, fn: Callable[[CancelToken], Any]) -> bool:
        if self._handle is not None:
            return False
        self.running.emit(True)
        self._handle = self._ops.run(fn, lane=self._lane, owner=self, on_progress=self.progress.emit,
                                     on_success=self.succeeded.emit, on_failure=self._failed,
                                     on_done=self._done)
        return True

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _failed(self, failure: Failure) -> None:
        if failure.cancelled:
            self.cancelled.emit()
        else:
            self.failed.emit(failure.message)

    def _done(self) -> None:
        self._handle = None
        self.running.emit(False)
