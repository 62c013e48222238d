"""Export the library to the formats QA teams use, and import human labels back.

    export_library(engine, "labelstudio", out_dir)          -> [written paths]
    import_labels(engine, "audacity", path, reviewer="ana") -> ImportReport

One module per format. Exports: csv, json, labelstudio, audacity, textgrid,
rttm, srt. Imports (as human labels, through the LabelStore): labelstudio,
audacity, textgrid.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import audacity, csv_export, json_export, labelstudio, rttm, srt, textgrid
from reviewer_app.core.exchange.apply import ImportReport, apply_labels
from reviewer_app.core.exchange.library import CallRecord, Label, iter_records, resolve_call
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

__all__ = ["EXPORT_FORMATS", "IMPORT_FORMATS", "CallRecord", "ImportReport", "Label", "apply_labels",
           "export_library", "import_labels"]


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
    records = list(iter_records(engine, calls))
    return EXPORT_FORMATS[fmt][1](records, out, **options)


def import_labels(engine: Engine, fmt: str, path: str | Path, reviewer: str, *, call: str | None = None,
                  reject_missing: bool = True) -> ImportReport:
    """Import human labels from a file (or, for audacity and textgrid, a folder of files).

    Audacity and TextGrid files find their call by file stem (as exported),
    or `call` names it (call id, sha256 or audio path) for a single file.
    """
    if fmt not in IMPORT_FORMATS:
        raise ReviewerError(f"cannot import {fmt!r}: use one of {', '.join(IMPORT_FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise ReviewerError(f"{path}: no such file or folder")
    if fmt == "labelstudio":
        return labelstudio.import_export(engine, path, reviewer, reject_missing=reject_missing)
    suffix, importer = {"audacity": (".txt", audacity.import_track),
                        "textgrid": (".textgrid", textgrid.import_textgrid)}[fmt]
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == suffix) if path.is_dir() else [path]
    if not files:
        raise ReviewerError(f"{path}: no {suffix} files")
    if call is not None and len(files) > 1:
        raise ReviewerError("name a call only when importing a single file")
    target = resolve_call(engine, call) if call is not None else None
    report = ImportReport()
    for f in files:
        try:
            report += importer(engine, f, reviewer, call=target, reject_missing=reject_missing)
        except ReviewerError as exc:
            if len(files) == 1:
                raise
            report.problems.append(str(exc) if str(f) in str(exc) else f"{f}: {exc}")
    return report
