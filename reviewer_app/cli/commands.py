"""`reviewer-app`: every headless command. Errors are one line on stderr, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys

from reviewer_app import __version__
from reviewer_app.cli.common import drive, open_db, seconds_between, settings_from
from reviewer_app.cli.calibrate import add_commands as add_calibrate_commands
from reviewer_app.cli.learning import add_commands as add_learning_commands
from reviewer_app.cli.privacy import add_commands as add_privacy_commands
from reviewer_app.cli.team import add_commands as add_team_commands
from reviewer_app.core.errors import ReviewerError


def _analysis_batch(args, settings, engine):
    """The in-process batch; with --cluster or --workers the same on Ray workers (only then is Ray imported)."""
    if args.cluster is None and args.workers is None:
        if args.ship_audio or args.worker_gpus:
            raise ReviewerError("--ship-audio and --worker-gpus need --cluster ADDRESS or --workers N")
        from reviewer_app.core.batch import analyze_many

        return analyze_many(args.paths, settings, engine, args.out, args.force)
    from reviewer_app.core import paths
    from reviewer_app.core.cluster.driver import ClusterOptions, analyze_on_cluster

    options = ClusterOptions(address=args.cluster, workers=args.workers, ship_audio=args.ship_audio,
                             worker_gpus=args.worker_gpus, worker_timeout_s=args.worker_timeout)
    return analyze_on_cluster(args.paths, settings, engine, args.db or paths.default_db_url(), args.out,
                              args.force, options)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {text}")
    return value


def _gpu_share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 64:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a GPU count or share from 0 to 64, got {text}")
    return value


def cmd_analyze(args) -> int:
    from reviewer_app.cli.team import format_batch_summary
    from reviewer_app.core.messages import one_line
    from reviewer_app.core.team.batch_summary import batch_rows

    settings = settings_from(args)
    engine = open_db(args.db)
    outcomes = drive(_analysis_batch(args, settings, engine))
    for o in outcomes:
        for warning in o.warnings:
            print(f"warning: {one_line(warning)}", file=sys.stderr)
        if o.analysis is not None:
            for warning in o.analysis.warnings:
                print(f"warning: {one_line(warning)}", file=sys.stderr)
        if o.error:
            print(f"error: {one_line(o.error)}", file=sys.stderr)
    if not outcomes:
        print("error: no audio files found in the given paths", file=sys.stderr)
        return 1
    print(format_batch_summary(batch_rows(outcomes)))
    return 1 if any(o.error for o in outcomes) else 0


def cmd_gui(args) -> int:
    """The reviewer window; with no arguments on the default library (bundled demo calls when empty)."""
    from reviewer_app.gui.app import run_gui

    return run_gui(list(getattr(args, "paths", None) or []), getattr(args, "db", None), getattr(args, "config", None),
                   getattr(args, "reviewer", None))


def cmd_info(args) -> int:
    from reviewer_app.core.info import collect_info

    info = collect_info(args.db)
    if getattr(args, "cluster", None):  # what each node's worker sees: device, GPU, model (Ray imported only here)
        from reviewer_app.core.cluster.driver import ClusterOptions, workers_info

        options = ClusterOptions(address=args.cluster, worker_gpus=getattr(args, "worker_gpus", 0.0))
        info["cluster_workers"] = workers_info(options, settings_from(args))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def cmd_evaluate(args) -> int:
    from reviewer_app.core.evaluate import evaluate_dirs

    scores = evaluate_dirs(args.truth, args.pred)
    if args.json:
        print(json.dumps({c: s.as_dict() for c, s in scores.items()}, indent=2))
        return 0
    print(f"{'category':<18} {'P':>6} {'R':>6} {'F1':>6} {'TP':>4} {'pred':>5} {'truth':>5}")
    for cat, s in scores.items():
        print(f"{cat:<18} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.true_positives:4d} "
              f"{s.predicted:5d} {s.truth:5d}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reviewer-app", description="Call-centre speech quality review.")
    parser.add_argument("--version", action="version", version=f"reviewer-app {__version__}")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("analyze", help="analyse audio files or folders into the library")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite in the user data dir)")
    p.add_argument("--out", metavar="DIR", help="also write DIR/<audio stem>.json per call")
    p.add_argument("--config", metavar="FILE", help="settings TOML")
    p.add_argument("--asr-model", metavar="NAME|DIR", help="base (default), tiny.en, a model folder or name")
    p.add_argument("--language", metavar="auto|CODE")
    p.add_argument("--channels", metavar="ROLE,ROLE", help="roles of the left,right channels")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--force", action="store_true", help="analyse again calls already in the library")
    p.add_argument("--cluster", metavar="ADDRESS", help="analyse on a Ray cluster: auto, HOST:PORT or ray://HOST:PORT")
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="Ray workers (default with --cluster: one per CPU); without --cluster, a local Ray with N")
    p.add_argument("--ship-audio", action="store_true",
                   help="send the audio through Ray's object store (workers need no shared storage)")
    p.add_argument("--worker-gpus", type=_gpu_share, default=0.0, metavar="SHARE",
                   help="GPUs per worker (e.g. 1 or 0.5): ASR and the learned model run on CUDA")
    p.add_argument("--worker-timeout", type=seconds_between(1, 86_400), default=120.0, metavar="S",
                   help="a busy worker silent this long (no answer to a liveness ping) is restarted and its "
                        "call retried elsewhere (default 120)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("gui", help="open the reviewer window (and analyse FILEs in the background)")
    p.add_argument("paths", nargs="*", metavar="FILE")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite in the user data dir)")
    p.add_argument("--config", metavar="FILE", help="settings TOML (default: settings.toml in the user data dir)")
    p.add_argument("--reviewer", metavar="NAME", help="record label changes under this name (overrides the settings)")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("info", help="versions, folders, model and device in use")
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", metavar="URL")
    p.add_argument("--cluster", metavar="ADDRESS", help="also ask a worker on each node of this Ray cluster")
    p.add_argument("--worker-gpus", type=_gpu_share, default=0.0, metavar="SHARE",
                   help="with --cluster: the GPU share a worker takes (nodes without a GPU are left out)")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("evaluate", help="per-category precision, recall and F1 of predictions against truth")
    p.add_argument("--truth", required=True, metavar="DIR")
    p.add_argument("--pred", required=True, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)
    add_team_commands(sub)
    add_learning_commands(sub)
    add_privacy_commands(sub)
    add_calibrate_commands(sub)
    return parser


def _sqlite_file(url: str):
    """The file of a sqlite:/// URL, else None."""
    from pathlib import Path

    if not url.startswith("sqlite:///") or url in ("sqlite://", "sqlite:///:memory:"):
        return None
    return Path(url[len("sqlite:///"):].split("?", 1)[0])


def _read_only(path) -> bool:
    """Whether the database file or its folder cannot be written (a read-only mount counts, also for root)."""
    import os

    for p in (path, path.parent):
        if p.exists():
            try:
                if os.statvfs(p).f_flag & os.ST_RDONLY or not os.access(p, os.W_OK):
                    return True
            except OSError:
                return True
    return False


def _database_message(text: str, args) -> str:
    """`text` about the database, naming it, and saying plainly when it is read-only or damaged."""
    from reviewer_app.core import paths
    from reviewer_app.core.messages import show_name
    from reviewer_app.core.storage.db import mask_url

    url = getattr(args, "db", None) or paths.default_db_url()
    shown = mask_url(url)
    lowered = text.lower()
    path = _sqlite_file(url)
    if path is not None and ("readonly" in lowered or "read-only" in lowered or "unable to open" in lowered):
        if _read_only(path):
            return f"database {show_name(path)} is read-only (the file or its folder cannot be written): {text}"
    if "malformed" in lowered or "not a database" in lowered:
        return f"database {shown} is damaged: {text} (restore it from a backup, or try `sqlite3 FILE .recover`)"
    return text if shown in text else f"database {shown}: {text}"


def _is_database_error(exc: BaseException) -> bool:
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.DBAPIError)


def _os_error_behind(exc: BaseException) -> OSError | None:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno is not None:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def describe_failure(exc: BaseException, args=None) -> str:
    """The one line the CLI prints for an exception that ends a command."""
    from reviewer_app.core.messages import one_line, show_name

    if isinstance(exc, ReviewerError):
        text = str(exc)
        if "database" in text.lower() and ("unable to open" in text.lower() or "readonly" in text.lower()):
            text = _database_message(text, args)
        return one_line(text)
    if _is_database_error(exc):
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        return one_line(_database_message(first, args))
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or str(exc) or type(exc).__name__
        return one_line(f"{show_name(name)}: {reason}" if name != "" else reason)
    cause = _os_error_behind(exc)
    if cause is not None:  # a library that failed after a write error (a zlib stream, a PDF) hides the cause
        return describe_failure(cause, args)
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return "out of memory"
    first = (str(exc).strip().splitlines() or [""])[0]
    return one_line(f"unexpected {type(exc).__name__}: {first} (set REVIEWER_APP_TRACEBACK=1 to see where)")


def _quiet_stdout() -> None:
    """After a broken pipe (`... | head`): send what is left to /dev/null so the exit flush is silent."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    import os

    args = None
    try:
        args = build_parser().parse_args(argv)
        func = getattr(args, "func", cmd_gui)
        code = func(args)
        sys.stdout.flush()  # a reader that went away is noticed here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 141  # as if killed by SIGPIPE, what the shell expects of `... | head`
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # every failure is one line; the traceback only on request
        if os.environ.get("REVIEWER_APP_TRACEBACK") and not isinstance(exc, ReviewerError):
            raise
        try:
            print(f"error: {describe_failure(exc, args)}", file=sys.stderr)
        except BrokenPipeError:
            pass
        return 1
