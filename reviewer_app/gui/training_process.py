"""The training worker process seen from the window: a QProcess whose stdout lines are JSON events.

Training never runs in the GUI process: `core.training.runner.worker_command`
starts `python -m reviewer_app.core.training.worker train ...` and this class
reads its events as they come (no thread, no blocking read), so a crash or an
out-of-memory in the worker ends that process only. A worker that dies
without its final line (done / cancelled / error) is reported as
{"event": "error", "kind": "crash"} with its exit status and the last lines
it wrote to stderr; one that cannot even start, likewise.
"""
from __future__ import annotations

import collections

from PySide6.QtCore import QObject, QProcess, Signal

from reviewer_app.core.training.runner import FINAL_EVENTS, parse_event

STDERR_LINES = 40


class TrainingProcess(QObject):
    event = Signal(dict)  # every event, the final one included
    ended = Signal(dict)  # the final event (done / cancelled / error), once
    stderrLine = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc: QProcess | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._err_tail = ""
        self._final: dict | None = None
        self.command: list[str] = []

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    @property
    def busy(self) -> bool:
        """Running and its final event not yet read (a process that reported may still be exiting)."""
        return self.running and self._final is None

    @property
    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    def start(self, command: list[str]) -> None:
        if self.busy:
            raise RuntimeError("a training process is already running")
        if self.running:  # it has reported its end and is exiting: let it go
            if not self._proc.waitForFinished(5000):
                self._proc.kill()
                self._proc.waitForFinished(2000)
        if self._proc is not None:
            self._proc.deleteLater()
        self.command = list(command)
        self._stderr.clear()
        self._err_tail = ""
        self._final = None
        proc = QProcess(self)
        proc.setProgram(command[0])
        proc.setArguments(command[1:])
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._proc = proc
        proc.start()

    def cancel(self) -> None:
        """Ask the worker to stop at its next batch (it answers with a 'cancelled' event)."""
        if self.busy:
            self._proc.write(b"cancel\n")

    def kill(self) -> None:
        if self.running:
            self._proc.kill()

    def wait(self, msecs: int = 10_000) -> bool:
        return self._proc is None or self._proc.waitForFinished(msecs)

    # --- reading --------------------------------------------------------------------------

    def _read_stdout(self) -> None:
        proc = self._proc
        while proc is not None and proc.canReadLine():
            self._line(bytes(proc.readLine()).decode("utf-8", "replace"))

    def _line(self, line: str) -> None:
        event = parse_event(line)
        if event is None or self._final is not None:
            return
        if event["event"] in FINAL_EVENTS:
            self._final = event
        self.event.emit(event)
        if self._final is event:
            self.ended.emit(event)

    def _read_stderr(self) -> None:
        if self._proc is None:
            return
        text = self._err_tail + bytes(self._proc.readAllStandardError()).decode("utf-8", "replace")
        *lines, self._err_tail = text.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            self._stderr.append(line)
            if line.strip():
                self.stderrLine.emit(line)

    def _on_finished(self, exit_code: int, exit_status) -> None:
        self._read_stdout()
        self._read_stderr()
        rest = bytes(self._proc.readAllStandardOutput()).decode("utf-8", "replace") if self._proc else ""
        if rest.strip():
            self._line(rest)  # a last line without its newline
        if self._err_tail.strip():
            self._stderr.append(self._err_tail)
            self._err_tail = ""
        if self._final is None:
            crashed = exit_status == QProcess.ExitStatus.CrashExit
            how = "was killed or crashed" if crashed else f"ended with exit status {exit_code}"
            self._crash(f"the training process {how} without a final report")

    def _on_error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._final is None:
            detail = self._proc.errorString() if self._proc is not None else ""
            self._crash(f"the training process could not start: {detail} ({' '.join(self.command[:3])} …)")

    def _crash(self, message: str) -> None:
        tail = [line for line in self._stderr if line.strip()][-4:]
        event = {"event": "error", "kind": "crash", "message": message, "stderr": tail}
        self._final = event
        self.event.emit(event)
        self.ended.emit(event)
