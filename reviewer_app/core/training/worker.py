"""The training process: `python -m reviewer_app.core.training.worker train|rescore ...`.

Training runs in its own process so a crash or a GPU out-of-memory never takes
the window (or the CLI) down. stdout carries only JSON lines, one event each
(anything else the libraries print goes to stderr):

    {"event": "start", "device": "cpu (2 threads)", "labelled_calls": 69, "label_counts": {...}, "t": 0.4}
    {"event": "progress", "stage": "features", "done": 3, "total": 52, "message": "...", "t": 1.2}
    {"event": "data", "train_calls": 52, "val_calls": 17, "train_windows": 104, "val_windows": 34, ...}
    {"event": "epoch", "epoch": 1, "epochs": 20, "train_loss": 0.61, "val_loss": 0.55,
     "val_macro_f1": 0.71, "seconds": 2.3, "compute_seconds": 2.0, "eta_s": 43.7, "best": true, "t": 9.9}
    {"event": "rescore", "cancelled": false, "rescored": 12, "skipped": [], "detector": "rules + model ..."}
    {"event": "done", "job": "train", "version": "20250101-120000-ab12", "promoted": true,
     "decision": "...", "validation": {...}, "label_counts": {...}, "device": "...", "duration_s": 41.2, ...}
    {"event": "cancelled", "message": "..."}                     exit status 2
    {"event": "error", "kind": "oom" | "error", "message": "..."}  exit status 3 (oom) or 1

Exactly one of done / cancelled / error ends the stream, as its last line
(`rescore` comes before `done`, only after a promotion with --rescore).

Cancel: SIGTERM or SIGINT, or (with --cancel-on-stdin) a line "cancel" on
stdin or stdin closing (the parent went away). Cancelling during training
stops at the next batch: nothing is registered or promoted, the model in use
is untouched. Cancelling the re-scoring after a promotion stops it there (the
calls done so far keep their new scores) and still ends with `done`.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

from reviewer_app.core.progress import Cancelled, CancelToken, run_to_end

EXIT_OK, EXIT_ERROR, EXIT_CANCELLED, EXIT_OOM = 0, 1, 2, 3


class EventStream:
    """JSON lines on the real stdout; sys.stdout is pointed at stderr so nothing else lands there."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
        sys.stdout = sys.stderr
        self._t0 = time.perf_counter()
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        line = json.dumps(dict(event, t=round(time.perf_counter() - self._t0, 3)), ensure_ascii=False)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


def _watch_stdin(cancel: CancelToken) -> None:
    def run() -> None:
        for line in sys.stdin:
            if line.strip().lower() == "cancel":
                break
        cancel.cancel()

    threading.Thread(target=run, name="cancel-on-stdin", daemon=True).start()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m reviewer_app.core.training.worker")
    sub = p.add_subparsers(dest="job", required=True)
    for name in ("train", "rescore"):
        s = sub.add_parser(name)
        s.add_argument("--db", required=True, metavar="URL")
        s.add_argument("--config", metavar="FILE")
        s.add_argument("--cancel-on-stdin", action="store_true")
        if name == "train":
            s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
            s.add_argument("--epochs", type=int)
            s.add_argument("--promote", default="if-better", choices=["if-better", "always", "never"])
            s.add_argument("--rescore", action="store_true", help="re-score unreviewed calls after a promotion")
    return p


def _rescore(engine, settings, cancel, emit) -> bool:
    """Re-score unreviewed calls, reporting progress; False when cancelled midway."""
    from reviewer_app.core.training.rescore import rescore_unreviewed

    try:
        report = run_to_end(rescore_unreviewed(engine, settings, cancel), lambda p: emit(
            {"event": "progress", "stage": "rescore", "done": p.done, "total": p.total, "message": p.message}))
    except Cancelled:
        emit({"event": "rescore", "cancelled": True, "rescored": None, "skipped": [], "detector": None})
        return False
    emit({"event": "rescore", "cancelled": False, "rescored": report.rescored, "skipped": report.skipped,
          "detector": report.detector})
    return True


def run(args, emit, cancel: CancelToken) -> int:
    from reviewer_app.core.settings import load_settings
    from reviewer_app.core.storage.db import open_database

    settings = load_settings(args.config)
    engine = open_database(args.db)
    if args.job == "rescore":
        finished = _rescore(engine, settings, cancel, emit)
        if not finished:
            raise Cancelled()
        emit({"event": "done", "job": "rescore"})
        return EXIT_OK
    from reviewer_app.core.training.finetune import finetune

    held: dict = {}

    def hold_done(event: dict) -> None:  # "done" is always the last line: after the re-scoring
        if event["event"] == "done":
            held.update(event)
        else:
            emit(event)

    summary = finetune(engine, settings, hold_done, device=args.device, epochs=args.epochs,
                       promote=args.promote, cancel=cancel)
    if summary["promoted"] and args.rescore:
        _rescore(engine, settings, cancel, emit)  # cancelling it keeps the promotion: unlike training
    emit(dict(held, job="train"))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    emit = EventStream()
    cancel = CancelToken()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: cancel.cancel())
    if args.cancel_on_stdin:
        _watch_stdin(cancel)
    try:
        return run(args, emit, cancel)
    except Cancelled:
        emit({"event": "cancelled", "message": "cancelled; the model in use is unchanged"})
        return EXIT_CANCELLED
    except Exception as exc:  # every failure becomes one event; the parent decides what to show
        from reviewer_app.core.errors import ReviewerError

        oom = type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        message = first if isinstance(exc, ReviewerError) else f"{type(exc).__name__}: {first}"
        if oom:
            message = f"out of memory on the training device ({first}); try --device cpu or fewer windows"
        emit({"event": "error", "kind": "oom" if oom else "error", "message": message})
        if not isinstance(exc, ReviewerError):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return EXIT_OOM if oom else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
