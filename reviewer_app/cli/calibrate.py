"""`reviewer-app calibrate ...`: calibration sessions from the terminal. A lead makes a session
(`new`), each reviewer reviews its calls blind (`show`, `review`, `submit`), the lead reads the
agreement (`report`, `trend`) and adopts one outcome into the labels of record (`adopt`).
cli.commands.build_parser calls add_commands(subparsers)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from reviewer_app.cli.common import open_engine, settings_from, table
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_name, show_value

_TIME = r"(\d+(?:\.\d*)?|\.\d+)"
_EDIT = re.compile(rf"(\d+):{_TIME}-{_TIME}(?::([a-z_]+))?(?::([a-z]+))?")
_ADD = re.compile(rf"{_TIME}-{_TIME}:([a-z_]+)(?::([a-z]+))?")


def _session_calls(engine, data, refs: list[str] | None) -> list[int]:
    """The session's calls named by `refs` (ids, sha256s or paths); all of them without refs."""
    from reviewer_app.core.exchange.library import resolve_call

    if not refs:
        return list(data.summary.call_ids)
    out = []
    for ref in refs:
        call = resolve_call(engine, ref)
        if call.id not in data.summary.call_ids:
            raise ReviewerError(f"call {show_value(ref)} is not in calibration session {data.summary.id} "
                                f"(its calls: {', '.join(map(str, data.summary.call_ids))})")
        out.append(call.id)
    return out


def _split_list(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _lead(args) -> str:
    return args.lead or settings_from(args).reviewer.name


def cmd_new(args) -> int:
    from reviewer_app.core.calibration.sessions import create_session
    from reviewer_app.core.exchange.library import resolve_call

    engine = open_engine(args)
    calls = [resolve_call(engine, ref).id for ref in _split_list(args.calls)]
    reviewers = _split_list(args.reviewers)
    session_id = create_session(engine, calls, reviewers, _lead(args), args.name)
    print(f"calibration session {session_id}: {len(set(calls))} call(s), reviewers {', '.join(reviewers)}")
    return 0


def cmd_list(args) -> int:
    from reviewer_app.core.calibration.sessions import list_sessions

    sessions = list_sessions(open_engine(args))
    if args.json:
        print(json.dumps([{"id": s.id, "name": s.name, "created_by": s.created_by,
                           "created_at": s.created_at.isoformat(),
                           "state": s.state, "adopted_from": s.adopted_from, "calls": list(s.call_ids),
                           "reviewers": list(s.reviewers), "submitted": s.submitted} for s in sessions], indent=1))
        return 0
    if not sessions:
        print("no calibration sessions yet: make one with `reviewer-app calibrate new`")
        return 0
    rows = [[s.id, s.name, s.created_by, f"{s.created_at:%Y-%m-%d %H:%M}", len(s.call_ids),
             ", ".join(f"{r} {s.submitted.get(r, 0)}/{len(s.call_ids)}" for r in s.reviewers),
             s.state if s.state == "open" else f"adopted from {s.adopted_from}"] for s in sessions]
    print(table(["id", "name", "lead", "created (UTC)", "calls", "submitted", "state"], rows, {0, 4}))
    return 0


def _decision_text(decision) -> str:
    if decision is None:
        return "–"
    if decision.decision == "edit":
        return f"edit {decision.start:.2f}-{decision.end:.2f} {decision.category} {decision.role}"
    return decision.decision


def _view_json(view) -> dict:
    def review(r):
        return {"score": r.score, "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "decisions": [{"segment": d.segment_id, "decision": d.decision, "start": d.start, "end": d.end,
                               "category": d.category, "role": d.role} for d in r.decisions]}

    return {"session": view.session.id, "call": view.call.call_id, "path": view.call.path,
            "reviewer": view.reviewer, "revealed": view.revealed, "model_score": view.model_score,
            "findings": [{"segment": f.segment_id, "start": f.start, "end": f.end, "role": f.role,
                          "category": f.category, "evidence": f.evidence,
                          **({"confidence": f.score} if view.revealed else {})} for f in view.call.findings],
            "own": review(view.own), "others": {name: review(r) for name, r in view.others.items()}}


def _print_view(view) -> None:
    call, own = view.call, view.own
    state = "submitted" if view.revealed else "blind: the model's score and the other reviewers' are hidden " \
                                              "until you submit"
    print(f"call {call.call_id} {show_name(Path(call.path).name)} ({call.duration_s:.1f} s), {state}")
    others = list(view.others)
    headers = ["finding", "seconds", "category", "role", "evidence", "you", *others]
    if view.revealed:
        headers.insert(5, "model conf")
    rows = []
    for f in call.findings:
        row = [f.segment_id, f"{f.start:.2f}-{f.end:.2f}", f.category, f.role, f.evidence[:40]]
        if view.revealed:
            row.append(f"{f.score:.2f}")
        row.append(_decision_text(own.decision_on(f.segment_id)))
        row += [_decision_text(view.others[o].decision_on(f.segment_id)) for o in others]
        rows.append(row)
    print(table(headers, rows, {0}) if rows else "  no findings of the model on this call")
    for who, review in [("you", own), *view.others.items()]:
        for n, d in enumerate(review.added):
            print(f"  added by {who} [{n}]: {d.start:.2f}-{d.end:.2f} {d.category} {d.role}")
    score = "not given (your labels' score is used when you submit)" if own.score is None else own.score
    print(f"  your score: {score}")
    if view.revealed:
        print(f"  model's score: {view.model_score}; "
              + "; ".join(f"{name}: {r.score}" for name, r in view.others.items()) if view.others else
              f"  model's score: {view.model_score}; no other reviewer has submitted this call yet")


def cmd_show(args) -> int:
    from reviewer_app.core.calibration.sessions import blind_view, load_session

    engine = open_engine(args)
    data = load_session(engine, args.session)
    views = [blind_view(engine, args.session, c, args.reviewer)
             for c in _session_calls(engine, data, [args.call] if args.call else None)]
    if args.json:
        print(json.dumps([_view_json(v) for v in views], indent=1, ensure_ascii=False))
        return 0
    print(f"calibration session {data.summary.id} \"{data.summary.name}\" ({data.summary.state}), "
          f"as {views[0].reviewer}")
    for view in views:
        print()
        _print_view(view)
    return 0


def _edits(values: list[str] | None):
    from reviewer_app.core.calibration.units import Decision

    out = []
    for text in values or []:
        m = _EDIT.fullmatch(text.strip())
        if not m:
            raise ReviewerError(f"--edit {show_value(text)}: write FINDING:START-END[:CATEGORY[:ROLE]], "
                                "e.g. 17:12.5-14:overtalk")
        out.append(Decision(int(m[1]), "edit", float(m[2]), float(m[3]), m[5], m[4]))
    return out


def _adds(values: list[str] | None):
    from reviewer_app.core.calibration.units import Decision
    from reviewer_app.core.domain import BOTH

    out = []
    for text in values or []:
        m = _ADD.fullmatch(text.strip())
        if not m:
            raise ReviewerError(f"--add {show_value(text)}: write START-END:CATEGORY[:ROLE], "
                                "e.g. 30-33:repetition:agent")
        out.append(Decision(None, "add", float(m[1]), float(m[2]), m[4] or BOTH, m[3]))
    return out


def _ids(values: list[str] | None) -> list[int]:
    out = []
    for v in _split_list(values):
        if not v.isdigit():
            raise ReviewerError(f"finding {show_value(v)}: give finding ids as `calibrate show` lists them")
        out.append(int(v))
    return out


def cmd_review(args) -> int:
    from reviewer_app.core.calibration.label_file import decisions_from_label_file
    from reviewer_app.core.calibration.sessions import load_session, record

    engine = open_engine(args)
    data = load_session(engine, args.session)
    if args.labels:
        if args.call or args.confirm or args.reject or args.edit or args.add or args.confirm_rest:
            raise ReviewerError("--labels FILE holds the decisions: give no --call, --confirm, --reject, --edit "
                                "or --add with it")
        per_call = decisions_from_label_file(engine, data, args.labels)
        if not per_call:
            raise ReviewerError(f"{show_name(args.labels)}: no labels for the calls of session {args.session}")
        for call_id, d in per_call.items():
            review = record(engine, args.session, call_id, args.reviewer, confirm=d.confirm, reject=d.reject,
                            edit=d.edit, add=d.add, replace=True, score=args.score)
            print(f"call {call_id}: {_decided(data.call(call_id), review)}")
        return 0
    if not args.call:
        raise ReviewerError("name the call with --call (a call id, sha256 or path), or give --labels FILE")
    [call_id] = _session_calls(engine, data, [args.call])
    confirm, reject, edits = _ids(args.confirm), _ids(args.reject), _edits(args.edit)
    if args.confirm_rest:
        named = set(confirm) | set(reject) | {e.segment_id for e in edits}
        decided = {d.segment_id for d in data.reviews[(call_id, args.reviewer)].decisions} \
            if (call_id, args.reviewer) in data.reviews else set()
        confirm += [f.segment_id for f in data.call(call_id).findings
                    if f.segment_id not in named and f.segment_id not in decided]
    remove = []
    if args.remove_added:
        added = data.reviews[(call_id, args.reviewer)].added if (call_id, args.reviewer) in data.reviews else []
        for n in _ids(args.remove_added):
            if n >= len(added):
                raise ReviewerError(f"--remove-added {n}: {args.reviewer} has {len(added)} added segment(s) on "
                                    f"call {call_id} (numbered from 0 in `calibrate show`)")
            remove.append(added[n].row_id)
    review = record(engine, args.session, call_id, args.reviewer, confirm=confirm, reject=reject, edit=edits,
                    add=_adds(args.add), undecide=_ids(args.undecide), remove_added=remove, score=args.score)
    print(f"call {call_id}: {_decided(data.call(call_id), review)}")
    return 0


def _decided(call, review) -> str:
    decided = sum(1 for f in call.findings if review.decision_on(f.segment_id) is not None)
    score = "no score yet" if review.score is None else f"score {review.score}"
    return f"{decided} of {len(call.findings)} finding(s) decided, {len(review.added)} added, {score}"


def cmd_submit(args) -> int:
    from reviewer_app.core.calibration.sessions import load_session, submit

    engine = open_engine(args)
    data = load_session(engine, args.session)
    calls = _session_calls(engine, data, [args.call] if args.call else None)
    done = submit(engine, args.session, args.reviewer, calls, settings_from(args).score)
    if not done:
        print(f"{args.reviewer} had already submitted {'that call' if args.call else 'every call'}")
        return 0
    print(f"{args.reviewer} submitted call(s) {', '.join(map(str, done))} of session {args.session}: "
          "the other reviewers' decisions and the model's score are shown now (`calibrate show`)")
    return 0


def cmd_report(args) -> int:
    from reviewer_app.core.calibration.agreement import session_agreement
    from reviewer_app.core.calibration.sessions import load_session, report_refusal
    from reviewer_app.core.calibration.trend import trend
    from reviewer_app.core.reports.calibration import render_tables, report_json, write_calibration_pdf

    engine = open_engine(args)
    data = load_session(engine, args.session)
    refusal = report_refusal(data.summary, args.lead)
    if refusal:
        raise ReviewerError(refusal + ("" if args.lead else " (the lead gives --lead NAME)"))
    agreement = session_agreement(data, include_model=not args.no_model)
    if not any(r for r in agreement.raters if r != "model"):
        raise ReviewerError(f"calibration session {args.session}: no reviewer has submitted every call yet")
    seen = trend(engine, args.lead)
    points = [p for p in seen.points if p.session_id <= args.session]
    if args.format == "json":
        print(json.dumps({**report_json(agreement, points), "trend_left_out": seen.left_out}, indent=1,
                         ensure_ascii=False))
    else:
        print(render_tables(agreement, points, markdown=args.format == "markdown"), end="")
        if seen.left_out:
            print(_left_out_line(seen.left_out, args.lead))
    if args.pdf:
        write_calibration_pdf(agreement, points, args.pdf)
        print(f"wrote {show_name(args.pdf)}")
    return 0


def cmd_adopt(args) -> int:
    from reviewer_app.core.calibration.adopt import adopt

    engine = open_engine(args)
    lead = _lead(args)
    done = adopt(engine, args.session, args.source, lead, settings_from(args).score)
    print(f"adopted {done.adopted_from}'s labels of session {args.session} into the library as {lead}: "
          f"{done.describe()}")
    return 0


def _left_out_line(count: int, asker: str | None) -> str:
    return (f"{count} open session(s) left out of the trend: their reports are hidden from "
            f"{asker or 'an unnamed asker'} until every reviewer has submitted"
            + ("" if asker else " (name yourself with --reviewer NAME or --lead NAME)"))


def cmd_trend(args) -> int:
    from reviewer_app.core.calibration.trend import trend

    seen = trend(open_engine(args), args.asker)
    points = seen.points
    if args.json:
        print(json.dumps([{"session": p.session_id, "name": p.session_name, "reference": p.reference,
                           "rater": p.rater, "agreement": p.agreement, "kappa": p.kappa,
                           "score_gap": p.score_gap} for p in points], indent=1))
        if seen.left_out:
            print(_left_out_line(seen.left_out, args.asker), file=sys.stderr)
        return 0
    if not points:
        print("no session you may read has a complete review yet")
        if seen.left_out:
            print(_left_out_line(seen.left_out, args.asker))
        return 0
    rows = [[p.session_id, p.session_name, p.reference, p.rater,
             "–" if p.agreement is None else f"{100 * p.agreement:.0f}%",
             "–" if p.kappa is None else f"{p.kappa:.2f}", "–" if p.score_gap is None else f"{p.score_gap:.1f}"]
            for p in points]
    print(table(["session", "name", "reference", "rater", "units as reference", "kappa", "score gap"], rows,
                {0, 4, 5, 6}))
    if seen.left_out:
        print(_left_out_line(seen.left_out, args.asker))
    return 0


def add_commands(sub) -> None:
    db_help = "SQLAlchemy database URL (default: SQLite in the user data dir)"
    top = sub.add_parser("calibrate", help="calibration sessions: reviewers label the same calls blind, then "
                                           "compare (new, list, show, review, submit, report, adopt, trend)")
    cal = top.add_subparsers(dest="calibrate_command", required=True, metavar="ACTION")

    def parser(name: str, text: str, session: bool = True):
        p = cal.add_parser(name, help=text)
        if session:
            p.add_argument("session", type=int, metavar="SESSION", help="the session's id (`calibrate list`)")
        p.add_argument("--db", metavar="URL", help=db_help)
        p.add_argument("--config", metavar="FILE", help="settings TOML (reviewer name, score weights)")
        return p

    p = parser("new", "make a session: calls and reviewers", session=False)
    p.add_argument("--calls", required=True, action="append", metavar="REF[,REF]",
                   help="call ids, sha256s or audio paths (comma-separated or repeated)")
    p.add_argument("--reviewers", required=True, action="append", metavar="NAME[,NAME]")
    p.add_argument("--name", metavar="TEXT", help="the session's name (default: calibration and the date)")
    p.add_argument("--lead", metavar="NAME", help="who runs the session (default: settings reviewer.name)")
    p.set_defaults(func=cmd_new)

    p = parser("list", "the sessions, who has submitted, what was adopted", session=False)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)

    p = parser("show", "a reviewer's blind view of the session's calls")
    p.add_argument("--reviewer", required=True, metavar="NAME")
    p.add_argument("--call", metavar="REF", help="only this call")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = parser("review", "record a reviewer's decisions on one call (or from a labels JSON)")
    p.add_argument("--reviewer", required=True, metavar="NAME")
    p.add_argument("--call", metavar="REF")
    p.add_argument("--confirm", action="append", metavar="ID[,ID]", help="findings that are right")
    p.add_argument("--reject", action="append", metavar="ID[,ID]", help="findings that are wrong")
    p.add_argument("--edit", action="append", metavar="ID:START-END[:CATEGORY[:ROLE]]",
                   help="a finding with other bounds (or category, role)")
    p.add_argument("--add", action="append", metavar="START-END:CATEGORY[:ROLE]", help="a problem the model missed")
    p.add_argument("--confirm-rest", action="store_true", help="confirm every finding not decided yet")
    p.add_argument("--undecide", action="append", metavar="ID[,ID]", help="forget the decision on these findings")
    p.add_argument("--remove-added", action="append", metavar="N[,N]",
                   help="drop segments you added (their [N] in `calibrate show`)")
    p.add_argument("--score", type=int, metavar="0-100", help="your score for the call")
    p.add_argument("--labels", metavar="FILE", help="a labels JSON (as `export --format json` writes) holding "
                                                    "your decisions; replaces those recorded for its calls")
    p.set_defaults(func=cmd_review)

    p = parser("submit", "submit a reviewer's reviews: final, and then the others' are shown")
    p.add_argument("--reviewer", required=True, metavar="NAME")
    p.add_argument("--call", metavar="REF", help="only this call (default: every call)")
    p.set_defaults(func=cmd_submit)

    p = parser("report", "agreement of the session's reviewers and the model, as a table and a PDF")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument("--pdf", metavar="FILE", help="also write the report with its charts as a PDF")
    p.add_argument("--no-model", action="store_true", help="leave the model out of the raters")
    p.add_argument("--lead", metavar="NAME", help="the session's lead (who made it): may read an open session's "
                                                  "report before every reviewer has submitted")
    p.set_defaults(func=cmd_report)

    p = parser("adopt", "write one outcome into the library's labels of record")
    p.add_argument("--from", dest="source", required=True, metavar="NAME|majority",
                   help="a reviewer of the session, or majority")
    p.add_argument("--lead", metavar="NAME", help="the session's lead (who made it; only they may adopt), "
                                                  "recorded in the audit log (default: settings reviewer.name)")
    p.set_defaults(func=cmd_adopt)

    p = parser("trend", "each reviewer's agreement with the outcome, session after session", session=False)
    p.add_argument("--json", action="store_true")
    p.add_argument("--reviewer", "--lead", dest="asker", metavar="NAME",
                   help="who asks: an open session is shown only if they may read its report (`report`)")
    p.set_defaults(func=cmd_trend)
