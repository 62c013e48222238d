"""Qt services that run core work through the window's Ops (gui/ops.py) and report through
typed signals: loading a call's audio and labels, computing the visible spectrogram, importing
files, re-running the rules.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from reviewer_app.core.progress import CancelToken, Progress, relay, write_here
from reviewer_app.core.review.call_audio import CallAudio, load_call_audio, visible_spectrogram
from reviewer_app.core.review.changes import LibraryRowsChanged
from reviewer_app.core.storage.repository import CallSummary
from reviewer_app.gui.ops import Lane, OpHandle, Ops

SPECTROGRAM_DEBOUNCE_MS = 120  # computed once the view stops moving, not between wheel steps


class CallLoader(QObject):
    """Open a call off the GUI thread in two steps: its audio (decode + peak pyramids) on the
    read lane, then, when the window asks, its labels and transcript (a ReviewSession).

    The window asks for the session once the waveform is on screen: run side by
    side, the database reads and the decoder (or the first draw) slow each
    other down a lot, as both want the GIL. Only the latest call reports.
    """

    audioLoaded = Signal(int, object)  # call id, CallAudio
    audioFailed = Signal(int, str)  # call id, one line naming the file and the cause
    sessionLoaded = Signal(int, object)  # call id, core.review.session.ReviewSession
    failed = Signal(int, str)  # call id, why the call could not be opened at all

    def __init__(self, ops: Ops, parent=None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._latest = 0
        self._audio: OpHandle | None = None

    def load_audio(self, call: CallSummary) -> None:
        if self._audio is not None:
            self._audio.cancel()
        self._latest = cid = call.id
        self._audio = self._ops.run(lambda cancel: load_call_audio(call.path, (), cancel), lane=Lane.READ,
                                    owner=self, on_success=lambda audio: self._emit(self.audioLoaded, cid, audio),
                                    on_failure=lambda f: self._emit(self.audioFailed, cid, f.message))

    def load_session(self, call: CallSummary, make_session: Callable[[], object], lane: Lane = Lane.READ) -> None:
        cid = call.id
        self._ops.run(lambda _c: make_session(), lane=lane, owner=self,
                      on_success=lambda session: self._emit(self.sessionLoaded, cid, session),
                      on_failure=lambda f: self._emit(self.failed, cid, f.message))

    def forget(self) -> None:
        """Drop the requests in flight."""
        if self._audio is not None:
            self._audio.cancel()
        self._latest = 0

    def _emit(self, signal, call_id: int, value) -> None:
        if call_id == self._latest:
            signal.emit(call_id, value)


class SpectrogramService(QObject):
    """Computes the log-mel image of the visible window, debounced, dropping stale results."""

    ready = Signal(object)  # core.review.call_audio.Spectrogram

    def __init__(self, ops: Ops, parent=None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._audio: CallAudio | None = None
        self._want: tuple[float, float, int] | None = None
        self._generation = 0
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SPECTROGRAM_DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)

    def warm_up(self) -> None:
        """Import the spectrogram code (torchaudio) in the background now, not when a call opens."""
        import numpy as np

        silence = np.zeros((1, 8000), np.float32)
        self._ops.run(lambda _c: visible_spectrogram(silence, 8000, 0.0, 1.0, 16), lane=Lane.DRAWING)

    def set_audio(self, audio: CallAudio | None) -> None:
        """New audio: anything in flight is stale. A view may ask for its window before or after this."""
        self._audio = audio
        self._generation += 1
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
        self._generation += 1
        job = self._generation
        self._busy = True
        self._ops.run(lambda _c: visible_spectrogram(audio.samples, audio.sample_rate, t0, t1, min(columns, 2400)),
                      lane=Lane.DRAWING, owner=self, on_success=lambda spec: self._done(job, spec),
                      on_done=self._finished)

    def _finished(self) -> None:
        self._busy = False

    def _done(self, job: int, spec) -> None:
        if job == self._generation:
            self.ready.emit(spec)


@dataclass(frozen=True)
class FileImported:
    """Import progress at the end of one file: which file, its outcome, and the library rows it
    added or changed (read on the worker, so the window never reloads the library for it)."""

    index: int  # from 0
    files: int
    outcome: object  # core.batch.FileOutcome
    rows: LibraryRowsChanged | None
    done: int = 0  # files finished with this one (index + 1 in-process; on a cluster they finish in any order)
    where: str = ""  # on a cluster, the worker that analysed it: "on NODE/pid N"


def _analysis_batch(paths: list[str], settings, engine, cancel: CancelToken, run_write):
    """core.batch.analyze_many; with settings.cluster.address, the same on that Ray cluster
    (core.cluster.driver, imported only then). Each call is stored through `run_write`."""
    if not settings.cluster.address:
        from reviewer_app.core.batch import analyze_many

        return analyze_many(paths, settings, engine, cancel=cancel, run_write=run_write)
    from reviewer_app.core.cluster.driver import ClusterOptions, analyze_on_cluster

    options = ClusterOptions(address=settings.cluster.address, ship_audio=settings.cluster.ship_audio)
    return analyze_on_cluster(paths, settings, engine, engine.url.render_as_string(hide_password=False),
                              cancel=cancel, options=options, run_write=run_write)


def import_into_library(paths: list[str], settings, engine, cancel: CancelToken, run_write=write_here):
    """The analysis batch (in-process, or on the cluster of settings.cluster), each finished file
    also as FileImported with its library row. The window passes Ops.write_steps as `run_write`:
    the analysis runs on its lane, each call's save on the write lane."""
    from reviewer_app.core.batch import FileDone
    from reviewer_app.core.storage import repository

    def imported(index: int, files: int, outcome, done: int, where: str = "") -> FileImported:
        analysis = outcome.analysis if outcome is not None else None
        call = repository.find_call(engine, analysis.audio.sha256) if analysis is not None else None
        return FileImported(index, files, outcome, LibraryRowsChanged((call,)) if call is not None else None,
                            done, where)

    reported: set[int] = set()

    def per_file(step):
        if not isinstance(step, FileDone):
            return step
        reported.add(step.index)
        verdict = step.message.rsplit(": ", 1)[-1]  # "done", or on a cluster "done on NODE/pid N"
        where = verdict.split(" ", 1)[1] if verdict.startswith(("done on ", "failed on ")) else ""
        return imported(step.index, int(round(step.total)), step.outcome, int(round(step.done)), where)

    outcomes = yield from relay(_analysis_batch(paths, settings, engine, cancel, run_write), per_file)
    # The cluster reports only the calls its workers analysed: the stored, repeated and
    # unreadable files are reported here, when the batch ends.
    for i, outcome in enumerate(outcomes or []):
        if i not in reported:
            yield imported(i, len(outcomes), outcome, len(outcomes))
    return outcomes


class ImportRunner(QObject):
    """Imports files on the analysis lane (core.batch.analyze_many, or the Ray cluster that
    settings.cluster names) and reports per file."""

    progress = Signal(int, int, float, str)  # file index, files, fraction of this file, message
    fileFinished = Signal(object)  # FileImported
    finished = Signal(object)  # list[FileOutcome]
    failed = Signal(str)
    running = Signal(bool)

    def __init__(self, ops: Ops, engine, parent=None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = engine
        self._handle: OpHandle | None = None

    @property
    def busy(self) -> bool:
        return self._handle is not None

    def start(self, paths: list[str], settings) -> bool:
        if self._handle is not None:
            return False
        engine = self._engine
        self.running.emit(True)
        run_write = self._ops.write_steps
        self._handle = self._ops.run(lambda cancel: import_into_library(paths, settings, engine, cancel, run_write),
                                     lane=Lane.ANALYSIS, owner=self, on_progress=self._on_progress,
                                     on_success=self.finished.emit,
                                     on_failure=lambda f: self.failed.emit(
                                         "Import cancelled." if f.cancelled else f.message),
                                     on_done=self._on_finished)
        return True

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _on_progress(self, step) -> None:
        if isinstance(step, FileImported):
            self.fileFinished.emit(step)
            self.progress.emit(max(step.done, 1) - 1, step.files, 1.0, f"{step.outcome.path}: "
                               f"{'failed' if step.outcome.error else 'done'}"
                               f"{' ' + step.where if step.where else ''}")
            return
        p: Progress = step
        n = max(1, int(round(p.total)))
        index = min(int(p.done + 1e-9), n - 1)
        self.progress.emit(index, n, max(0.0, p.done - index), p.message)

    def _on_finished(self) -> None:
        self._handle = None
        self.running.emit(False)


def save_redetected(engine, analysis) -> LibraryRowsChanged:
    """Store a re-detected analysis (human labels are kept by save_analysis); its library row."""
    from reviewer_app.core.storage import repository

    repository.save_analysis(engine, analysis)
    call = repository.find_call(engine, analysis.audio.sha256)
    return LibraryRowsChanged((call,) if call is not None else ())


class RedetectRunner(QObject):
    """Re-runs the rules of a call: the detection on the analysis lane, the save on the write lane."""

    finished = Signal(object)  # LibraryRowsChanged (the call's row)
    failed = Signal(str)

    def __init__(self, ops: Ops, engine, parent=None) -> None:
        super().__init__(parent)
        self._ops, self._engine = ops, engine

    def start(self, call: CallSummary, settings) -> None:
        from reviewer_app.core.pipeline import redetect_stored  # (the detection stack loads when first used)

        engine = self._engine

        def fail(failure) -> None:
            self.failed.emit(f"{call.path}: re-running the rules failed: {failure.message}")

        def save(analysis) -> None:
            self._ops.write(lambda _c: save_redetected(engine, analysis), owner=self,
                            on_success=self.finished.emit, on_failure=fail)

        self._ops.run(lambda _c: redetect_stored(engine, call.sha256, settings), lane=Lane.ANALYSIS,
                      owner=self, on_success=save, on_failure=fail)
