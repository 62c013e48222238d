"""Qt services that run core work in the background lanes and report through signals:
loading a call's audio, computing the visible spectrogram, importing files, re-running rules.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import isValid

from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.review.call_audio import CallAudio, load_call_audio, visible_spectrogram
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.workers import FunctionWorker, GeneratorWorker, Lanes

SPECTROGRAM_DEBOUNCE_MS = 120  # computed once the view stops moving, not between wheel steps


class CallLoader(QObject):
    """Open a call off the GUI thread in two steps on the loading lane: its audio (decode +
    peak pyramids), then, when the window asks, its labels and transcript (a ReviewSession).

    The window asks for the session once the waveform is on screen: run side by
    side, the database reads and the decoder (or the first draw) slow each
    other down a lot, as both want the GIL. Only the latest call reports.
    """

    audioLoaded = Signal(int, object)  # call id, CallAudio
    audioFailed = Signal(int, str)  # call id, one line naming the file and the cause
    sessionLoaded = Signal(int, object)  # call id, core.review.session.ReviewSession
    failed = Signal(int, str)  # call id, why the call could not be opened at all

    def __init__(self, lanes: Lanes, parent=None) -> None:
        super().__init__(parent)
        self._lanes = lanes
        self._latest = 0
        self._cancel: CancelToken | None = None
        self._workers: set = set()

    def load_audio(self, call: CallSummary) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
        self._latest = call.id
        worker = FunctionWorker(lambda cancel: load_call_audio(call.path, (), cancel))
        self._cancel = worker.cancel
        worker.signals.result.connect(lambda audio, cid=call.id: self._emit(self.audioLoaded, cid, audio))
        worker.signals.error.connect(lambda msg, cid=call.id: self._emit(self.audioFailed, cid, msg))
        self._start(worker)

    def load_session(self, call: CallSummary, make_session: Callable[[], object]) -> None:
        worker = FunctionWorker(lambda _cancel: make_session())
        worker.signals.result.connect(lambda session, cid=call.id: self._emit(self.sessionLoaded, cid, session))
        worker.signals.error.connect(lambda msg, cid=call.id: self._emit(self.failed, cid, msg))
        self._start(worker)

    def forget(self) -> None:
        """Drop the requests in flight."""
        if self._cancel is not None:
            self._cancel.cancel()
        self._latest = 0

    def _start(self, worker) -> None:
        self._workers.add(worker.signals)
        worker.signals.finished.connect(lambda s=worker.signals: self._workers.discard(s))
        self._lanes.loading.start(worker)

    def _emit(self, signal, call_id: int, value) -> None:
        if isValid(self) and call_id == self._latest:
            signal.emit(call_id, value)


class SpectrogramService(QObject):
    """Computes the log-mel image of the visible window, debounced, dropping stale results."""

    ready = Signal(object)  # core.review.call_audio.Spectrogram

    def __init__(self, lanes: Lanes, parent=None) -> None:
        super().__init__(parent)
        self._lanes = lanes
        self._audio: CallAudio | None = None
        self._want: tuple[float, float, int] | None = None
        self._ids = itertools.count(1)
        self._latest = 0
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SPECTROGRAM_DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._workers: set = set()

    def warm_up(self) -> None:
        """Import the spectrogram code (torchaudio) in the background now, not when a call opens."""
        import numpy as np

        silence = np.zeros((1, 8000), np.float32)
        worker = FunctionWorker(lambda _c: visible_spectrogram(silence, 8000, 0.0, 1.0, 16))
        self._workers.add(worker.signals)
        worker.signals.finished.connect(lambda s=worker.signals: self._workers.discard(s))
        self._lanes.drawing.start(worker)

    def set_audio(self, audio: CallAudio | None) -> None:
        """New audio: anything in flight is stale. A view may ask for its window before or after this."""
        self._audio = audio
        self._latest = next(self._ids)
        if audio is None:
            self._want = None
        elif self._want is not None:
            self._timer.start()

    def request(self, t0: float, t1: float, columns: int) -> None:
        self._want = (t0, t1, columns)
        self._timer.start()

    def _start(self) -> None:
        if self._audio is None or self._want is None:
            return
        if self._busy:  # one at a time; the newest request runs when this one ends
            self._timer.start()
            return
        audio = self._audio
        t0, t1, columns = self._want
        job = self._latest = next(self._ids)
        worker = FunctionWorker(lambda _c: visible_spectrogram(audio.samples, audio.sample_rate, t0, t1,
                                                               min(columns, 2400)))
        worker.signals.result.connect(lambda spec, j=job: self._done(j, spec))
        worker.signals.finished.connect(self._finished)
        self._busy = True
        self._workers.add(worker.signals)
        worker.signals.finished.connect(lambda s=worker.signals: self._workers.discard(s))
        self._lanes.drawing.start(worker)

    def _finished(self) -> None:
        if isValid(self):
            self._busy = False

    def _done(self, job: int, spec) -> None:
        if isValid(self) and job == self._latest:
            self.ready.emit(spec)


class ImportRunner(QObject):
    """Runs core.batch.analyze_many on the analysis lane and reports per-file progress."""

    progress = Signal(int, int, float, str)  # file index, files, fraction of this file, message
    fileFinished = Signal(str)  # the progress message of a finished file
    finished = Signal(object)  # list[FileOutcome]
    failed = Signal(str)
    running = Signal(bool)

    def __init__(self, lanes: Lanes, engine, parent=None) -> None:
        super().__init__(parent)
        self._lanes = lanes
        self._engine = engine
        self._worker: GeneratorWorker | None = None
        self._signals = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self, paths: list[str], settings) -> bool:
        if self._worker is not None:
            return False
        from reviewer_app.core.batch import analyze_many

        engine = self._engine
        worker = GeneratorWorker(lambda cancel: analyze_many(paths, settings, engine, cancel=cancel))
        self._worker, self._signals = worker, worker.signals
        worker.signals.progress.connect(self._on_progress)
        worker.signals.result.connect(self.finished)
        worker.signals.error.connect(self.failed)
        worker.signals.cancelled.connect(lambda: self.failed.emit("Import cancelled."))
        worker.signals.finished.connect(self._on_finished)
        self.running.emit(True)
        self._lanes.analysis.start(worker)
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel.cancel()

    def _on_progress(self, p: Progress) -> None:
        n = max(1, int(round(p.total)))
        index = min(int(math.floor(p.done + 1e-9)), n)
        frac = p.done - index
        done_file = p.message.endswith((": done", ": failed", ": already analysed"))
        if done_file:
            index, frac = max(0, index - 1), 1.0
            self.fileFinished.emit(p.message)
        self.progress.emit(index, n, frac, p.message)

    def _on_finished(self) -> None:
        self._worker, self._signals = None, None
        self.running.emit(False)


def redetect_call(engine, sha256: str, settings) -> int:
    """load_analysis -> pipeline.redetect -> save_analysis (human labels are kept by save_analysis)."""
    from dataclasses import replace

    from reviewer_app.core import pipeline
    from reviewer_app.core.errors import ReviewerError
    from reviewer_app.core.storage import repository

    analysis = repository.load_analysis(engine, sha256)
    if analysis is None:
        raise ReviewerError(f"call {sha256[:12]}… is not in the database")
    segments, score = pipeline.redetect(analysis.audio.path, analysis.transcript, analysis.language, settings,
                                      db=engine, sha256=sha256)
    return repository.save_analysis(engine, replace(analysis, segments=segments, score=score))


class RedetectRunner(QObject):
    finished = Signal(int)  # call id
    failed = Signal(str)

    def __init__(self, lanes: Lanes, engine, parent=None) -> None:
        super().__init__(parent)
        self._lanes, self._engine = lanes, engine
        self._workers: set = set()

    def start(self, call: CallSummary, settings) -> None:
        engine = self._engine
        worker = FunctionWorker(lambda _c: redetect_call(engine, call.sha256, settings))
        worker.signals.result.connect(lambda call_id: isValid(self) and self.finished.emit(call_id))
        worker.signals.error.connect(lambda msg: isValid(self) and self.failed.emit(
            f"{call.path}: re-running the rules failed: {msg}"))
        self._workers.add(worker.signals)
        worker.signals.finished.connect(lambda s=worker.signals: self._workers.discard(s))
        self._lanes.analysis.start(worker)
