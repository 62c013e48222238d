"""Analyse many files into the database (and optionally JSON files), one failure at a time.

A file that fails is reported with one line naming it and the cause; the
others still run. A call whose audio is already fully analysed in the
database is not analysed again unless `force` is set, so re-running a batch
on the same folder finishes what was left.
"""
from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.analysis_json import analysis_to_dict, write_json_atomic
from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.domain import CallAnalysis
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_name
from reviewer_app.core.pipeline import analyze
from reviewer_app.core.progress import Cancelled, CancelToken, Progress, no_steps, relay, write_here
from reviewer_app.core.settings import Settings

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".webm"}


@dataclass
class FileOutcome:
    path: str
    analysis: CallAnalysis | None = None
    error: str | None = None
    skipped: bool = False  # already analysed in the database
    warnings: list[str] = field(default_factory=list)  # about this file's run, not its audio (e.g. --out name)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FileDone(Progress):
    """The Progress that ends one file: which one (`index`, from 0) and its outcome."""

    index: int = 0
    outcome: FileOutcome | None = None


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and the audio files inside given folders (sorted, recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        try:
            is_dir = p.is_dir()
        except (OSError, ValueError):  # a name too long for the system: it fails as a file, with its reason
            is_dir = False
        if is_dir:
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES))
        else:
            out.append(p)
    return out


def _one_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, ReviewerError):
        text = str(exc)
        return text if str(path) in text else f"{show_name(path)}: {text}"
    if isinstance(exc, OSError) and exc.strerror:  # the path once, not again in the OS's own words
        return f"{show_name(path)}: {exc.strerror}"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{show_name(path)}: {type(exc).__name__}: {first}" if first else f"{show_name(path)}: {type(exc).__name__}"


def json_names(files: list[Path]) -> dict[Path, str | None]:
    """The `--out` file name of each input: `<stem>.json`, unless another input has the same stem
    (a/call.flac and b/call.wav), then None: the caller names it by the audio's sha256 instead."""
    seen: dict[str, int] = {}
    for f in files:
        seen[f.stem.casefold()] = seen.get(f.stem.casefold(), 0) + 1
    return {f: (f"{f.stem}.json" if seen[f.stem.casefold()] == 1 else None) for f in files}


def _json_path(out_dir: Path, path: Path, name: str | None, sha: str | None, outcome: FileOutcome) -> Path:
    if name is not None:
        return out_dir / name
    sha = sha or sha256_of_file(path)
    name = f"{path.stem}-{sha[:12]}.json"
    outcome.warnings.append(f"{show_name(path)}: another input is also named {show_name(path.stem)}; "
                            f"its results go to {show_name(name)}")
    return out_dir / name


def analyze_many(
    paths: Iterable[str | Path],
    settings: Settings,
    engine=None,
    out_dir: str | Path | None = None,
    force: bool = False,
    cancel: CancelToken | None = None,
    run_write=write_here,
) -> Generator[Progress, None, list[FileOutcome]]:
    """Yield Progress over all files (done counts in files); return one outcome per file.
    Each call is stored through `run_write` (core.progress.write_here: in this thread)."""
    from reviewer_app.core.storage import repository

    cancel = cancel or CancelToken()
    files = expand_paths(paths)
    names = json_names(files) if out_dir is not None else {}
    outcomes: list[FileOutcome] = []
    for n, path in enumerate(files):
        outcome = FileOutcome(str(path))
        try:
            sha = sha256_of_file(path) if engine is not None and path.is_file() else None
            stored = repository.load_analysis(engine, sha) if sha and not force else None
            if stored is not None:
                outcome.analysis, outcome.skipped = stored, True
                yield Progress(n + 1, len(files), f"{path.name}: already analysed")
            else:
                outcome.analysis = yield from relay(
                    analyze(path, settings, cancel, sha256=sha, db=engine),
                    lambda step, n=n, name=path.name: Progress(n + step.fraction, len(files),
                                                               f"{name}: {step.message}"))
                if engine is not None:  # a reviewer's corrections are kept, with a warning where the ASR differs
                    analysis = outcome.analysis
                    saved = yield from run_write(no_steps(
                        lambda: repository.save_analysis_report(engine, analysis, settings.score)))
                    outcome.analysis = saved.applied_to(outcome.analysis)
            if out_dir is not None:
                target = _json_path(Path(out_dir), path, names[path], sha or outcome.analysis.audio.sha256, outcome)
                write_json_atomic(target, analysis_to_dict(outcome.analysis))
        except (Cancelled, KeyboardInterrupt):
            raise
        except Exception as exc:  # every failure of one file becomes its one-line reason
            outcome.analysis, outcome.error = None, _one_line(exc, path)
        outcomes.append(outcome)
        yield FileDone(n + 1, len(files), f"{path.name}: {'failed' if outcome.error else 'done'}", n, outcome)
    return outcomes
