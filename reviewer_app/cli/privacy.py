"""`reviewer-app redact PATH... --out DIR`: personal data out of calls' audio and transcripts.

cli.commands.build_parser calls add_commands(subparsers). Each file is redacted and checked by
hearing the result again (core/privacy/run.py); a file that fails gets one line on stderr naming it
(personal data still heard, unreadable audio) and the exit status is 1, the other files still run.
Each redaction is audited: a line in DIR/redactions.jsonl (who, when, the file's sha256, how many
spans of each kind: never the data), and an entry in the library's audit log when the call is in it.
"""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from reviewer_app.cli.common import drive, open_engine, seconds_between, settings_from
from reviewer_app.core.messages import show_name

AUDIT_FILE = "redactions.jsonl"


def add_commands(sub) -> None:
    p = sub.add_parser("redact", help="remove personal data (card numbers, phones, e-mails...) from audio and transcript")
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/<stem>.redacted.<ext> and .json")
    p.add_argument("--config", metavar="FILE", help="settings TOML ([privacy] padding_s, mode, patterns; [asr])")
    p.add_argument("--asr-model", metavar="NAME|DIR", help="base (default), tiny.en, a model folder or name")
    p.add_argument("--language", metavar="auto|CODE")
    p.add_argument("--channels", metavar="ROLE,ROLE", help="roles of the left,right channels")
    p.add_argument("--mode", choices=["mute", "tone"], help="what replaces each span (default: settings, mute)")
    p.add_argument("--padding", type=seconds_between(0, 10), metavar="S",
                   help="seconds removed on each side of a span (0.25)")
    p.add_argument("--reviewer", metavar="NAME", help="who redacts, for the audit log (default: settings)")
    p.add_argument("--db", metavar="URL", help="the library whose audit log records redactions of its calls")
    p.set_defaults(func=cmd_redact)


def cmd_redact(args) -> int:
    from reviewer_app.core.batch import _one_line, expand_paths
    from reviewer_app.core.privacy.run import redact_file
    from reviewer_app.core.storage.redactions import record_for_audio

    settings = settings_from(args)
    if args.mode:
        settings.privacy.mode = args.mode
    if args.padding is not None:
        settings.privacy.padding_s = args.padding
    who = args.reviewer or settings.reviewer.name
    out = Path(args.out)
    engine = open_engine(args)
    failed = 0
    for path in expand_paths(args.paths):
        try:
            done = drive(redact_file(path, out, settings))
        except Exception as exc:  # one line per file; the other files still run
            failed += 1
            print(f"error: {_one_line(exc, path)}", file=sys.stderr)
            continue
        source = "redact command"
        in_library = record_for_audio(engine, done.sha256, done.spans, who, source)
        _append_audit(out / AUDIT_FILE, who, done, in_library)
        kinds = ", ".join(f"{n} {k}" for k, n in done.kinds.items()) or "nothing found"
        print(f"{show_name(path)}: {kinds}; {done.removed_s:.1f} s removed -> {show_name(done.audio)}")
    return 1 if failed else 0


def _append_audit(path: Path, who: str, done, in_library: bool) -> None:
    line = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "who": who, "file": done.source.name,
            "sha256": done.sha256, "redacted": done.kinds, "removed_s": round(done.removed_s, 2),
            "checked_by_asr": True, "in_library": in_library}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
