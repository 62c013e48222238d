"""Start the training worker process, read its JSON events, cancel it (for the CLI and the GUI).

    run = WorkerRun(worker_command(db_url, epochs=10))
    for event in run.events():      # blocks per line; run it off the GUI thread (or use QProcess
        ...                         # with the same command line and `parse_event`)
    run.cancel()                    # from any thread: the worker stops at its next batch

A worker that dies without a final event (a hard crash, killed for memory)
still ends the stream with {"event": "error", "kind": "crash", ...} naming its
exit status and the last lines it wrote to stderr.
"""
from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
from collections.abc import Iterator

from reviewer_app.core.progress import Progress

FINAL_EVENTS = ("done", "cancelled", "error")
WORKER_MODULE = "reviewer_app.core.training.worker"


def worker_command(db_url: str, job: str = "train", *, config: str | None = None, device: str = "auto",
                   epochs: int | None = None, promote: str = "if-better", rescore: bool = True,
                   python: str | None = None) -> list[str]:
    cmd = [python or sys.executable, "-m", WORKER_MODULE, job, "--db", db_url, "--cancel-on-stdin"]
    if config:
        cmd += ["--config", str(config)]
    if job == "train":
        cmd += ["--device", device, "--promote", promote]
        if epochs:
            cmd += ["--epochs", str(int(epochs))]
        if rescore:
            cmd.append("--rescore")
    return cmd


def parse_event(line: str) -> dict | None:
    """One stdout line -> event dict (None for anything that is not a JSON object)."""
    try:
        event = json.loads(line)
    except (json.JSONDecodeError, TypeError):
        return None
    return event if isinstance(event, dict) and "event" in event else None


def event_progress(event: dict) -> Progress | None:
    """A terminal-bar Progress for an event (None for events that carry no progress)."""
    kind = event.get("event")
    if kind == "progress":
        return Progress(float(event.get("done", 0)), float(event.get("total", 0) or 1),
                        event.get("message", event.get("stage", "")))
    if kind == "epoch":
        return Progress(event["epoch"], event["epochs"],
                        f"epoch {event['epoch']}/{event['epochs']}: loss {event['train_loss']:.3f}, "
                        f"val F1 {event['val_macro_f1']:.3f}, ~{event['eta_s']:.0f} s left")
    return None


class WorkerRun:
    def __init__(self, command: list[str], env: dict | None = None) -> None:
        self.command = command
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1, env=env)
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self.returncode: int | None = None

    def _read_stderr(self) -> None:
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    @property
    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)

    def events(self) -> Iterator[dict]:
        final = False
        for line in self._proc.stdout:
            event = parse_event(line)
            if event is None:
                continue
            final = final or event["event"] in FINAL_EVENTS
            yield event
        self.returncode = self._proc.wait()
        self._drain.join(timeout=5)
        if not final:
            tail = [line for line in self._stderr if line.strip()][-3:]
            yield {"event": "error", "kind": "crash",
                   "message": f"the training process ended with exit status {self.returncode}"
                              + (f": {' | '.join(tail)}" if tail else "")}

    def cancel(self) -> None:
        """Ask the worker to stop (it answers with a 'cancelled' event)."""
        try:
            self._proc.stdin.write("cancel\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):
            pass  # already gone

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()

    def wait(self, timeout: float | None = None) -> int:
        self.returncode = self._proc.wait(timeout)
        return self.returncode
