"""Small background operations with success and failure callbacks (Anki's QueryOp / CollectionOp).

    run_query(lanes.team, lambda cancel: rank_clips(engine), owner=self,
              on_result=self._show, on_error=self.show_error)

`Job` drives one core generator at a time (what-if, re-scoring) and reports
its Progress; a second start while one runs is refused. Callbacks reach the
GUI thread through queued signals and are dropped once their owner is gone.
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal
from shiboken6 import isValid

from reviewer_app.core.progress import CancelToken
from reviewer_app.gui.workers import FunctionWorker, GeneratorWorker

_alive: set = set()  # worker signal objects in flight (a QRunnable's Python side must outlive run())


def _keep(worker) -> None:
    _alive.add(worker.signals)
    worker.signals.finished.connect(lambda s=worker.signals: _alive.discard(s))


def run_query(pool: QThreadPool, fn: Callable[[CancelToken], Any], owner: QObject,
              on_result: Callable[[Any], None], on_error: Callable[[str], None] | None = None,
              on_finished: Callable[[], None] | None = None) -> CancelToken:
    """Run `fn(cancel)` on `pool`; its value goes to `on_result`, a failure (one line) to `on_error`."""
    worker = FunctionWorker(fn)
    worker.signals.result.connect(lambda value: isValid(owner) and on_result(value))
    if on_error is not None:
        worker.signals.error.connect(lambda message: isValid(owner) and on_error(message))
    if on_finished is not None:
        worker.signals.finished.connect(lambda: isValid(owner) and on_finished())
    _keep(worker)
    pool.start(worker)
    return worker.cancel


class Job(QObject):
    """One core generator job at a time on a lane, with progress, result, failure and cancel."""

    progress = Signal(object)  # core.progress.Progress
    succeeded = Signal(object)  # the generator's return value
    failed = Signal(str)
    cancelled = Signal()
    running = Signal(bool)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._worker: GeneratorWorker | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self, make: Callable[[CancelToken], Generator[Any, None, Any]]) -> bool:
        if self._worker is not None:
            return False
        worker = GeneratorWorker(make)
        self._worker = worker
        worker.signals.progress.connect(lambda p: isValid(self) and self.progress.emit(p))
        worker.signals.result.connect(lambda value: isValid(self) and self.succeeded.emit(value))
        worker.signals.error.connect(lambda message: isValid(self) and self.failed.emit(message))
        worker.signals.cancelled.connect(lambda: isValid(self) and self.cancelled.emit())
        worker.signals.finished.connect(self._finished_slot())
        _keep(worker)
        self.running.emit(True)
        self._pool.start(worker)
        return True

    def _finished_slot(self):
        def done() -> None:
            if isValid(self):
                self._worker = None
                self.running.emit(False)
        return done

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel.cancel()
