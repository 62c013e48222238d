"""`reviewer-app train | models | labels`: the learning half of the command line.

Training runs in the worker process (reviewer_app/core/training/worker.py);
this side shows its progress on the terminal and, at the end, the before/after
table. Ctrl-C cancels the run and leaves the model in use as it was.
"""
from __future__ import annotations

import json
import sys

from reviewer_app.cli.common import db_url, drive, open_engine, settings_from
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import one_line


def print_before_after(validation: dict, out=sys.stdout) -> None:
    before, after, new = validation.get("before", {}), validation.get("after", {}), validation.get("new", {})
    print(f"validation: {validation.get('calls')} calls, {validation.get('windows')} windows "
          f"(model in use: {validation.get('old_version')})", file=out)
    print(f"{'category':<18} {'before':>14} {'after':>14} {'new model':>10} {'support':>8}", file=out)
    for cat in sorted(set(before) | set(after)):
        b, a, n = before.get(cat, {}), after.get(cat, {}), new.get(cat, {})
        print(f"{cat:<18} {b.get('f1', 0):6.3f} {b.get('source', '-'):>7} {a.get('f1', 0):6.3f} "
              f"{a.get('source', '-'):>7} {n.get('f1', 0):10.3f} {n.get('support', 0):8d}", file=out)
    m = validation.get("macro_f1", {})
    print(f"{'macro F1':<18} {m.get('before', 0):6.3f} {'':>7} {m.get('after', 0):6.3f}", file=out)


def cmd_train(args) -> int:
    from reviewer_app.core.settings import load_settings
    from reviewer_app.core.training.runner import WorkerRun, event_progress, worker_command
    from reviewer_app.terminal import TerminalBar

    load_settings(args.config)  # a bad setting (lr = nan) is named here, before a worker starts
    command = worker_command(db_url(args), config=args.config, device=args.device, epochs=args.epochs,
                             promote=args.promote, rescore=not args.no_rescore)
    run = WorkerRun(command)
    bar = TerminalBar()
    final: dict = {}
    history: list[dict] = []
    try:
        events = run.events()
        while True:
            try:
                event = next(events)
            except StopIteration:
                break
            except KeyboardInterrupt:
                run.cancel()
                continue
            kind = event["event"]
            if kind == "start":
                counts = ", ".join(f"{k} {v}" for k, v in event["label_counts"].items()) or "none"
                print(f"device: {event['device']}; labelled calls: {event['labelled_calls']}; "
                      f"reviewed labels: {counts}", file=sys.stderr)
            elif kind == "epoch":
                history.append(event)
            elif kind == "rescore" and event.get("cancelled"):
                print("re-scoring cancelled; the new model stays in use", file=sys.stderr)
            elif kind == "rescore":
                print(f"re-scored {event['rescored']} unreviewed calls ({event['detector']})", file=sys.stderr)
                for line in event["skipped"]:
                    print(f"warning: not re-scored: {one_line(line)}", file=sys.stderr)
            if kind in ("done", "cancelled", "error"):
                final = event
            progress = event_progress(event)
            if progress is not None:
                bar(progress)
    finally:
        bar.close()
    kind = final.get("event")
    if kind == "cancelled":
        print("cancelled: the model in use is unchanged", file=sys.stderr)
        return 130
    if kind != "done":
        raise ReviewerError(final.get("message", "training failed"))
    print_before_after(final["validation"])
    print(f"model version {final['version']}: {final['decision']}")
    if args.json:
        data = {k: v for k, v in final.items() if k not in ("event", "t", "job")}
        data["history"] = [{k: v for k, v in h.items() if k not in ("event", "t")} for h in history]
        from reviewer_app.core.atomic import write_text_atomic

        write_text_atomic(args.json, json.dumps(data, indent=1))
    return 0


def _rescore_after(args, engine) -> None:
    if args.no_rescore:
        return
    from reviewer_app.core.training.rescore import rescore_unreviewed

    report = drive(rescore_unreviewed(engine, settings_from(args)))
    print(f"re-scored {report.rescored} unreviewed calls ({report.detector})", file=sys.stderr)
    for line in report.skipped:
        print(f"warning: not re-scored: {one_line(line)}", file=sys.stderr)


def cmd_models(args) -> int:
    from reviewer_app.core.storage import model_versions as mv
    from reviewer_app.core.model import registry

    engine = open_engine(args)
    if args.action == "list":
        rows = mv.list_versions(engine)
        active = next((r.version for r in rows if r.is_active), mv.DEFAULT_VERSION)
        if args.json:
            print(json.dumps([{"version": mv.DEFAULT_VERSION, "active": active == mv.DEFAULT_VERSION,
                               "path": str(registry.default_checkpoint())}] +
                             [{"version": r.version, "active": r.is_active, "created_at": r.created_at.isoformat(),
                               "path": r.path, "metrics": r.metrics} for r in rows], indent=1))
            return 0
        mark = "*" if active == mv.DEFAULT_VERSION else " "
        print(f"{mark} {mv.DEFAULT_VERSION:<22} bundled            {registry.default_checkpoint()}")
        for r in rows:
            macro = (r.metrics.get("validation") or {}).get("macro_f1", {})
            counts = sum((r.metrics.get("label_counts") or {}).values())
            print(f"{'*' if r.is_active else ' '} {r.version:<22} {r.created_at:%Y-%m-%d %H:%M}   "
                  f"labels {counts:<5} before {macro.get('before', 0):.3f} after {macro.get('after', 0):.3f}")
        return 0
    if args.action == "promote":
        registry.promote(engine, args.version)
        print(f"model in use: {args.version}")
    else:
        row = registry.rollback(engine)
        print(f"model in use: {row.version if row else mv.DEFAULT_VERSION}")
    _rescore_after(args, engine)
    return 0


def cmd_labels(args) -> int:
    from reviewer_app.core.exchange import import_label_file
    from reviewer_app.core.labels_io import export_labels

    engine = open_engine(args)
    if args.action == "export":
        n = export_labels(engine, args.file)
        print(f"wrote {n} label entries to {args.file}")
        return 0
    settings = settings_from(args)
    reviewer = args.reviewer or settings.reviewer.name
    report = drive(import_label_file(engine, args.file, reviewer, settings))
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    for line in report.conflicts:
        print(f"conflict: {line}", file=sys.stderr)
    print(f"labels: {report.applied} applied, {report.unchanged} already there, {report.reviewed} calls "
          f"marked reviewed, {report.analysed} files analysed first, {len(report.conflicts)} conflicts")
    return 1 if report.errors or report.conflicts else 0


def add_commands(sub) -> None:
    """Register `train`, `models` and `labels` on the main parser's subparsers."""
    p = sub.add_parser("train", help="fine-tune the problem model on reviewed labels (own process)")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite in the user data dir)")
    p.add_argument("--config", metavar="FILE", help="settings TOML ([model] section)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--epochs", type=int, metavar="N")
    p.add_argument("--promote", default="if-better", choices=["if-better", "always", "never"])
    p.add_argument("--json", metavar="FILE", help="write the before/after metrics and the new version")
    p.add_argument("--no-rescore", action="store_true", help="do not re-score unreviewed calls after promotion")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("models", help="list, promote or roll back model versions")
    msub = p.add_subparsers(dest="action", required=True)
    for name, helptext in (("list", "every version; * marks the one in use"),
                           ("promote", "put VERSION in use ('default': the bundled model)"),
                           ("rollback", "back to the version before the one in use")):
        m = msub.add_parser(name, help=helptext)
        if name == "promote":
            m.add_argument("version", metavar="VERSION")
        m.add_argument("--db", metavar="URL")
        m.add_argument("--config", metavar="FILE")
        if name == "list":
            m.add_argument("--json", action="store_true")
        else:
            m.add_argument("--no-rescore", action="store_true", help="do not re-score unreviewed calls")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("labels", help="import or export reviewer labels (JSON)")
    lsub = p.add_subparsers(dest="action", required=True)
    for name in ("import", "export"):
        m = lsub.add_parser(name, help=f"{name} a label file")
        m.add_argument("file", metavar="FILE")
        m.add_argument("--db", metavar="URL")
        m.add_argument("--reviewer", metavar="NAME", help="who the imported labels are from (default: settings)")
        if name == "import":
            m.add_argument("--config", metavar="FILE")
            m.add_argument("--asr-model", metavar="NAME|DIR", help="for audio not yet in the library")
            m.add_argument("--language", metavar="auto|CODE")
    p.set_defaults(func=cmd_labels)
