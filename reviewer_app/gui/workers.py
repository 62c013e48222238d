"""Background work on QThreadPool. Workers only emit signals; they never touch a widget.

`GeneratorWorker` drives a core generator (core.pipeline / core.batch style):
every yielded Progress becomes `progress`, the return value `result`, any
exception one readable line on `error`. `FunctionWorker` runs one call.
Results arrive on the GUI thread through queued signal connections.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable, Generator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import Cancelled, CancelToken


class WorkerSignals(QObject):
    progress = Signal(object)  # core.progress.Progress
    result = Signal(object)
    error = Signal(str)  # one line naming the file and the cause when known
    cancelled = Signal()
    finished = Signal()  # always last


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ReviewerError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class _Worker(QRunnable):
    def __init__(self, cancel: CancelToken | None = None) -> None:
        super().__init__()
        self.signals = WorkerSignals()
        self.cancel = cancel or CancelToken()
        self.setAutoDelete(True)

    def _guard(self, body: Callable[[], Any]) -> None:
        try:
            value = body()
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            traceback.print_exc()
            self.signals.error.emit(describe_error(exc))
        else:
            self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class GeneratorWorker(_Worker):
    def __init__(self, make: Callable[[CancelToken], Generator[Any, None, Any]],
                 cancel: CancelToken | None = None) -> None:
        super().__init__(cancel)
        self._make = make

    def run(self) -> None:
        def body() -> Any:
            gen = self._make(self.cancel)
            while True:
                try:
                    step = next(gen)
                except StopIteration as stop:
                    return stop.value
                self.signals.progress.emit(step)
                self.cancel.raise_if_cancelled()

        self._guard(body)


class FunctionWorker(_Worker):
    def __init__(self, fn: Callable[[CancelToken], Any], cancel: CancelToken | None = None) -> None:
        super().__init__(cancel)
        self._fn = fn

    def run(self) -> None:
        self._guard(lambda: self._fn(self.cancel))


class Lanes:
    """One pool per kind of work, so a long import never delays opening a call or a spectrogram."""

    def __init__(self) -> None:
        self.analysis = QThreadPool()
        self.analysis.setMaxThreadCount(1)  # one import batch at a time; whisper uses the cores
        self.loading = QThreadPool()
        self.loading.setMaxThreadCount(1)
        self.drawing = QThreadPool()
        self.drawing.setMaxThreadCount(1)  # spectrogram tiles; stale ones are dropped
        self.team = QThreadPool()
        self.team.setMaxThreadCount(1)  # library-wide reads: exports, queue, dashboard data, quality, previews

    def wait(self, msecs: int = 10_000) -> None:
        for pool in (self.analysis, self.loading, self.drawing, self.team):
            pool.waitForDone(msecs)
