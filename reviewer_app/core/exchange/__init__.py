"""Export the library to the formats QA teams use, and import human labels back.

    export_library(engine, "labelstudio", out_dir)          -> [written paths]
    import_labels(engine, "audacity", path, reviewer="ana") -> ImportReport
    import_steps(engine, "labels", path, reviewer="ana", settings=s)  -> generator of Progress -> ImportReport
    import_label_file(engine, path, "ana", s)                 -> the same, for a labels JSON (labels_io)

One module per format. Exports: csv, json, labelstudio, audacity, textgrid,
rttm, srt. Imports: labelstudio, audacity, textgrid, and the labels JSON of
labels_io ("labels"). Every import goes the same way: the format's reader turns
the whole file into checked CallPlans (nothing is written if any entry is bad),
and exchange.apply puts them in the library in one transaction (see its
docstring for the rule, and for conflicts with other reviewers).
"""
from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import audacity, csv_export, json_export, labelstudio, rttm, srt, textgrid
from reviewer_app.core.exchange.apply import CallPlan, Entry, ImportReport, apply_plans, check_plans
from reviewer_app.core.exchange.library import CallRecord, Label, iter_records, resolve_call
from reviewer_app.core.exchange.limits import MAX_LABELS
from reviewer_app.core.messages import show_name
from reviewer_app.core.progress import CancelToken, Progress, relay, run_to_end, write_here
from reviewer_app.core.storage.models import utcnow
from reviewer_app.core.storage.repository import CallSummary

EXPORT_FORMATS = {
    "csv": ("CSV tables of calls and segments (spreadsheets)", csv_export.export),
    "json": ("one JSON file per call: transcript, segments with review state", json_export.export),
    "labelstudio": ("Label Studio tasks with predictions and annotations, plus the labelling config",
                    labelstudio.export),
    "audacity": ("Audacity label tracks, one .txt per call", audacity.export),
    "textgrid": ("Praat TextGrids: a tier per speaker and a tier of problems", textgrid.export),
    "rttm": ("RTTM speaker turns, one .rttm per call", rttm.export),
    "srt": ("SRT subtitles of the transcript, one .srt per call", srt.export),
}
IMPORT_FORMATS = ("labelstudio", "audacity", "textgrid")
LABEL_FILE = "labels"  # labels_io's JSON label file
STAMPED = ("labelstudio", "audacity", "textgrid")  # exports that record their time for the import's conflict check
MAX_FILES = 100_000
READING = 0.2  # the share of an import's progress bar for reading the files (and analysing new audio)

__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS", "CallPlan", "CallRecord", "Entry", "ImportReport", "Label",
           "apply_plans", "export_library", "import_label_file", "import_labels", "import_steps"]


def export_library(engine: Engine, fmt: str, out_dir: str | Path, calls: Iterable[CallSummary] | None = None,
                   **options) -> list[Path]:
    """Write `calls` (default: the whole library) in format `fmt` under `out_dir`; return the files written.

    Options: labelstudio `audio_prefix` (put before each audio path, e.g. Label
    Studio's "/data/local-files/?d="); audacity `which` (findings | human | predictions).
    """
    if fmt not in EXPORT_FORMATS:
        raise ReviewerError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if fmt in STAMPED:
        options.setdefault("exported_at", utcnow())  # before reading: a change racing the export is a conflict
    records = list(iter_records(engine, calls))
    return EXPORT_FORMATS[fmt][1](records, out, **options)


def import_labels(engine: Engine, fmt: str, path: str | Path, reviewer: str, *, call: str | None = None,
                  reject_missing: bool | None = None, settings=None, progress=None,
                  cancel: CancelToken | None = None, run_write=write_here) -> ImportReport:
    """Import human labels from a file (or, for audacity and textgrid, a folder of files); see import_steps.

    `progress`, when given, is called with each Progress.
    """
    return run_to_end(import_steps(engine, fmt, path, reviewer, call=call, reject_missing=reject_missing,
                                   settings=settings, cancel=cancel, run_write=run_write), progress)


def import_label_file(engine: Engine, path: str | Path, reviewer: str, settings,
                      cancel: CancelToken | None = None) -> Generator[Progress, None, ImportReport]:
    """Apply a labels JSON (labels_io's format) to the library: import_steps with the "labels" format."""
    return import_steps(engine, LABEL_FILE, path, reviewer, settings=settings, cancel=cancel)


def import_steps(engine: Engine, fmt: str, path: str | Path, reviewer: str, *, call: str | None = None,
                 reject_missing: bool | None = None, settings=None,
                 cancel: CancelToken | None = None, run_write=write_here
                 ) -> Generator[Progress, None, ImportReport]:
    """The one label import: read and check the whole file, then apply it in one transaction.

    Audacity and TextGrid files find their call by file stem (as exported),
    or `call` names it (call id, sha256 or audio path) for a single file.
    `reject_missing` (default: True for the exchange formats, False for a labels
    JSON) rejects the stored findings a file leaves out. A labels JSON may name
    audio not yet in the library: it is analysed first with `settings`.
    Raises ReviewerError, naming the file and the entry, when anything in the
    file is wrong; then nothing is applied. The writes (the one transaction applying the file, and
    any analysis stored first) run through `run_write` (core.progress.write_here: in this thread).
    """
    from reviewer_app.core.storage.labels import _check_reviewer

    _check_reviewer(reviewer)
    cancel = cancel or CancelToken()
    if fmt not in IMPORT_FORMATS and fmt != LABEL_FILE:
        raise ReviewerError(f"cannot import {fmt!r}: use one of {', '.join(IMPORT_FORMATS + (LABEL_FILE,))}")
    path = Path(path)
    if not path.exists():
        raise ReviewerError(f"{show_name(path)}: no such file or folder")
    yield Progress(0, 1, f"reading {show_name(path.name, 60)}")
    try:
        analysed = 0
        if fmt == LABEL_FILE:
            from reviewer_app.core import labels_io
            from reviewer_app.core.settings import Settings

            plans, analysed = yield from _scaled(labels_io.read_plans(
                engine, path, settings or Settings(), cancel, reject_missing=reject_missing is True,
                run_write=run_write), 0.0, READING)
        elif fmt == "labelstudio":
            plans = labelstudio.read_plans(engine, path, reject_missing=reject_missing is not False)
        else:
            suffix, reader = {"audacity": (".txt", audacity.read_plan),
                              "textgrid": (".textgrid", textgrid.read_plan)}[fmt]
            if path.is_dir():
                files = []
                for p in sorted(path.iterdir()):
                    if p.suffix.lower() == suffix:
                        files.append(p)
                        if len(files) > MAX_FILES:
                            raise ReviewerError(f"{show_name(path)}: over {MAX_FILES} {suffix} files: import fewer")
            else:
                files = [path]
            if not files:
                raise ReviewerError(f"{show_name(path)}: no {suffix} files")
            if call is not None and len(files) > 1:
                raise ReviewerError("name a call only when importing a single file")
            target = resolve_call(engine, call) if call is not None else None
            plans, total = [], 0
            for n, f in enumerate(files):
                cancel.raise_if_cancelled()
                plans.append(reader(engine, f, call=target, reject_missing=reject_missing is not False))
                total += len(plans[-1].entries)
                if total > MAX_LABELS:
                    break  # check_plans names the limit
                yield Progress(READING * (n + 1) / (len(files) + 1), 1, f"reading {show_name(f.name, 60)}")
        check_plans(plans)
    except ReviewerError as exc:
        if "nothing was imported" in str(exc):
            raise
        raise ReviewerError(f"{exc} (nothing was imported)") from None
    report = yield from _scaled(run_write(apply_plans(engine, plans, reviewer, cancel)), READING, 1.0)
    report.analysed = analysed
    return report


def _scaled(gen, lo: float, hi: float):
    """Pass on a step's progress as the stretch lo..hi of the whole import's; return its value."""
    return relay(gen, lambda p: Progress(lo + (hi - lo) * p.fraction, 1, p.message))
