"""`reviewer-app` commands for the QA team's day: export, import, report, dashboard, queue, quality,
whatif. cli.commands.build_parser calls add_commands(subparsers). Errors are ReviewerErrors, shown by
cli.commands.main as one line."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from reviewer_app.core.errors import ReviewerError
from reviewer_app.cli.common import drive, open_engine, settings_from, table
from reviewer_app.core.messages import one_line, show_name


def _meta_args(p) -> None:
    p.add_argument("--pattern", metavar="REGEX",
                   help="file-name pattern with (?P<agent>...), optional (?P<team>...) and (?P<date>...)")
    p.add_argument("--agents-csv", metavar="FILE", help="call metadata CSV: sha256 or path, agent, team, date")


def _metadata(engine, args):
    from reviewer_app.core.team.agents import load_metadata

    if not args.pattern and not args.agents_csv:
        return None
    return load_metadata(engine, pattern=args.pattern, csv_path=args.agents_csv)


def cmd_export(args) -> int:
    from reviewer_app.core.exchange import export_library
    from reviewer_app.core.exchange.library import resolve_call

    engine = open_engine(args)
    calls = [resolve_call(engine, ref) for ref in args.call] if args.call else None
    options = {}
    if args.format == "labelstudio" and args.audio_prefix:
        options["audio_prefix"] = args.audio_prefix
    if args.format == "audacity":
        options["which"] = args.which
    from reviewer_app.core.atomic import staged_folder

    with staged_folder(args.out) as stage:  # every file written, or none: never a partial set
        paths = export_library(engine, args.format, stage, calls, **options)
    print(f"wrote {len(paths)} {args.format} file(s) to {show_name(args.out)}")
    return 0


def cmd_import(args) -> int:
    from reviewer_app.core.exchange import import_labels
    from reviewer_app.terminal import TerminalBar

    engine = open_engine(args)
    reviewer = args.reviewer or settings_from(args).reviewer.name
    bar = TerminalBar()
    try:
        report = import_labels(engine, args.format, args.path, reviewer, call=args.call,
                               reject_missing=not args.keep_unmatched, progress=bar)
    finally:
        bar.close()
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for conflict in report.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    print(f"imported as {reviewer}: {report.describe()}")
    return 1 if report.conflicts else 0


def _call_for_report(engine, args):
    """The stored call named by args.call; an audio file not analysed yet is analysed first."""
    from reviewer_app.core.exchange.library import resolve_call

    try:
        return resolve_call(engine, args.call)
    except ReviewerError:
        if not Path(args.call).is_file():
            raise
    from reviewer_app.core.batch import analyze_many

    outcomes = drive(analyze_many([args.call], settings_from(args), engine))
    if outcomes[0].error:
        raise ReviewerError(outcomes[0].error)
    return resolve_call(engine, args.call)


def cmd_report(args) -> int:
    from reviewer_app.core.reports.scorecard import build_scorecard, write_scorecard_pdf

    engine = open_engine(args)
    call = _call_for_report(engine, args)
    meta = _metadata(engine, args)
    card = build_scorecard(engine, call, settings_from(args), meta.get(call.id) if meta else None)
    write_scorecard_pdf(card, args.pdf)
    print(f"wrote {show_name(args.pdf)}: {show_name(card.title)} scores {card.score.value} ({card.score.grade}), "
          f"{len(card.problems)} problem(s)")
    return 0


def cmd_dashboard(args) -> int:
    from reviewer_app.core.reports.dashboard import write_dashboard_pdf
    from reviewer_app.core.team.agents import build_dashboard

    engine = open_engine(args)
    meta = _metadata(engine, args)
    if meta is None:
        raise ReviewerError("dashboard: give --pattern REGEX or --agents-csv FILE to tell who handled each call")
    settings = settings_from(args)
    board = build_dashboard(engine, meta, settings)
    if not board.agents:
        raise ReviewerError("dashboard: the pattern or CSV names no agent for any stored call")
    rows = []
    for a in board.agents:
        rate, unit = a.speech_rate
        rows.append([a.agent, a.team or "", a.n_calls, f"{a.mean_score:.1f}",
                     "" if a.talk_share is None else f"{100 * a.talk_share:.0f}%",
                     "" if rate is None else f"{rate:.0f} {unit}", f"{100 * a.dead_air_share:.1f}%",
                     f"{100 * a.overtalk_share:.1f}%"])
    print(table(["agent", "team", "calls", "score", "talk", "rate", "dead air", "overtalk"], rows, {2, 3, 4, 5, 6, 7}))
    if board.unassigned:
        print(f"{len(board.unassigned)} call(s) without an agent were left out")
    if args.pdf:
        write_dashboard_pdf(board, args.pdf, settings)
        print(f"wrote {show_name(args.pdf)}")
    return 0


def cmd_queue(args) -> int:
    from reviewer_app.core.team.queue import review_queue

    items = review_queue(open_engine(args), args.strategy, args.limit, args.seed)
    if args.json:
        print(json.dumps([asdict(i) for i in items], indent=1, ensure_ascii=False))
        return 0
    if not items:
        print("nothing to review: every call is marked reviewed")
        return 0
    rows = [[n, i.call_id, Path(i.path).name, i.segment_id or "", i.category or "(whole call)",
             "" if i.start is None else f"{i.start:.1f}-{i.end:.1f}", i.reason] for n, i in enumerate(items, 1)]
    print(table(["#", "call", "file", "segment", "category", "seconds", "why"], rows, {0, 1, 3}))
    return 0


def cmd_quality(args) -> int:
    from reviewer_app.core.team.quality import rank_clips, write_clip_list

    clips = rank_clips(open_engine(args))
    if args.json:
        print(json.dumps([{**asdict(c), "reasons": c.reasons} for c in clips], indent=1, ensure_ascii=False))
    else:
        rows = [[Path(c.path).name, c.grade, f"{c.score:.0f}", f"{c.duration_s:.1f}",
                 "" if c.asr_confidence is None else f"{c.asr_confidence:.2f}", ", ".join(c.reasons) or "clean"]
                for c in clips]
        print(table(["clip", "grade", "score", "seconds", "asr conf", "what costs"], rows, {2, 3, 4}))
    if args.export:
        grades = [g.strip() for g in args.grades.split(",") if g.strip()]
        bad = set(grades) - {"high", "medium", "low"}
        if bad:
            raise ReviewerError(f"--grades: unknown grade(s) {', '.join(sorted(bad))} (use high, medium, low)")
        write_clip_list(clips, args.export, grades)
        chosen = sum(1 for c in clips if c.grade in grades)
        print(f"wrote {chosen} {'/'.join(grades)} clip(s) of {len(clips)} to {show_name(args.export)}",
              file=sys.stderr)
    return 0


def cmd_whatif(args) -> int:
    from reviewer_app.core.team.whatif import what_if

    engine = open_engine(args)
    settings = settings_from(args)
    result = drive(what_if(engine, settings))
    for line in result.skipped:
        print(f"warning: skipped {one_line(line)}", file=sys.stderr)
    if args.json:
        print(json.dumps({"categories": {k: {**asdict(v), "net": v.net} for k, v in result.categories.items()},
                          "calls": [asdict(c) for c in result.calls], "skipped": result.skipped}, indent=1))
        return 0
    rows = [[c.category, c.kept + c.removed, c.kept + c.added, f"+{c.added}", f"-{c.removed}",
             c.removed_rejected, c.removed_confirmed, c.added_found_by_reviewer]
            for c in result.categories.values()]
    print(table(["category", "now", "after", "added", "removed", "removed: reviewer rejected",
                  "removed: reviewer confirmed", "added: reviewer added"], rows, set(range(1, 8))))
    print(f"{len(result.calls)} call(s) compared: {result.added} finding(s) added, {result.removed} removed; "
          f"{result.grade_changes} call(s) would change grade")
    for c in result.calls:
        if c.grade_before != c.grade_after:
            print(f"  {show_name(Path(c.path).name)}: {c.score_before} ({c.grade_before}) -> "
                  f"{c.score_after} ({c.grade_after})")
    return 0


def format_batch_summary(rows) -> str:
    """The table `analyze` prints at the end of a batch."""
    from reviewer_app.core.team.batch_summary import batch_totals

    rows_text = table(["file", "state", "seconds", "score", "grade", "problems"], [
        [r.file, r.state, "" if r.duration_s is None else f"{r.duration_s:.1f}", r.score, r.grade,
         r.error if r.error else ", ".join(f"{k} {v}" for k, v in r.problems.items()) or "none"]
        for r in rows], {2, 3})
    t = batch_totals(rows)
    mean = "" if t.mean_score is None else f"; mean score {t.mean_score:.1f}"
    grades = ", ".join(f"{t.grades[g]} {g}" for g in ("high", "medium", "low") if t.grades.get(g))
    return (f"{rows_text}\n{t.files} file(s): {t.analysed} analysed, {t.skipped} already analysed, {t.failed} failed; "
            f"{t.audio_s / 60:.1f} min of audio{mean}" + (f" ({grades})" if grades else ""))


# Spelled out so building the parser imports no storage code (a test checks they match the core's).
EXPORT_FORMATS = ("csv", "json", "labelstudio", "audacity", "textgrid", "rttm", "srt")
IMPORT_FORMATS = ("labelstudio", "audacity", "textgrid")
STRATEGIES = ("mixed", "disagreement", "uncertain", "lowest", "random")


def add_commands(sub) -> None:
    db_help = "SQLAlchemy database URL (default: SQLite in the user data dir)"

    p = sub.add_parser("export", help="export the library: " + ", ".join(EXPORT_FORMATS))
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--format", required=True, choices=list(EXPORT_FORMATS))
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--call", action="append", metavar="REF", help="only this call (id, sha256 or path); repeatable")
    p.add_argument("--audio-prefix", metavar="TEXT", help="labelstudio: put before each audio path "
                                                          "(e.g. /data/local-files/?d=)")
    p.add_argument("--which", choices=["findings", "human", "predictions"], default="findings",
                   help="audacity: what the label tracks hold (human: reviewed calls only)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="import human labels: " + ", ".join(IMPORT_FORMATS))
    p.add_argument("path", metavar="FILE_OR_DIR")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--format", required=True, choices=list(IMPORT_FORMATS))
    p.add_argument("--reviewer", metavar="NAME", help="recorded as the reviewer (default: settings reviewer.name)")
    p.add_argument("--call", metavar="REF", help="the call a single label file belongs to (default: by file name)")
    p.add_argument("--keep-unmatched", action="store_true",
                   help="do not reject stored findings the imported labels leave out")
    p.add_argument("--config", metavar="FILE", help="settings TOML")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("report", help="a call's scorecard as a PDF")
    p.add_argument("call", metavar="AUDIO_OR_CALL", help="audio file (analysed first if new), call id or sha256")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--pdf", required=True, metavar="FILE")
    p.add_argument("--config", metavar="FILE", help="settings TOML (score weights; analysis of a new file)")
    p.add_argument("--asr-model", metavar="NAME|DIR")
    p.add_argument("--language", metavar="auto|CODE")
    _meta_args(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("dashboard", help="per-agent scores and habits, as a table and a PDF")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--pdf", metavar="FILE")
    p.add_argument("--config", metavar="FILE", help="settings TOML (score weights, speech-rate thresholds)")
    _meta_args(p)
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("queue", help="what to review next")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--strategy", choices=STRATEGIES, default="mixed")
    p.add_argument("--limit", type=int, default=20, metavar="N")
    p.add_argument("--seed", type=int, metavar="N", help="random strategy: the same seed gives the same sample")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue)

    p = sub.add_parser("quality", help="rank clips by speech-data quality; export the clean ones")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--export", metavar="FILE", help="write the chosen clips: paths, or a CSV if FILE ends in .csv")
    p.add_argument("--grades", default="high", metavar="G[,G]", help="grades to export (default: high)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_quality)

    p = sub.add_parser("whatif", help="what new rule settings would add and remove, per category")
    p.add_argument("--config", required=True, metavar="FILE", help="the new settings TOML")
    p.add_argument("--db", metavar="URL", help=db_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_whatif)
