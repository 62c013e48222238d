"""Three reviewers review the same calls blind through the CLI; the library's labels of record stay
as they were until the lead adopts an outcome. The library holds the two bundled demo calls, stored
from their truth files (no ASR), on SQLite and on PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer_app.cli import main
from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.domain import AudioInfo, CallAnalysis, Segment, Turn
from reviewer_app.core.scoring import score_call
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.models import CallRow, LabelEventRow, SegmentRow
from reviewer_app.core.storage.repository import load_segments, save_analysis
from tests.conftest import ROOT

DEMO = ROOT / "resources" / "demo_calls"


def demo_analysis(name: str, extra: list[Segment] = ()) -> CallAnalysis:
    """A demo call as the analysis would store it: transcript and findings from its truth file."""
    path = DEMO / f"{name}.wav"
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    turns = [Turn(u["role"], u["start"], u["end"], u["text"]) for u in truth["utterances"]]
    segments = [Segment(s["start"], s["end"], s["role"], s["category"], 0.9, f"rule:{s['category']}",
                        f"{s['category']} (demo truth)") for s in truth["segments"]] + list(extra)
    return CallAnalysis(AudioInfo(str(path), sha256_of_file(path), truth["duration_s"], truth["sample_rate"], 2,
                                  tuple(truth["roles"])), "en", turns, segments,
                        score_call(segments, Settings().score), {"total": 1.0}, {"app": "test"})


@pytest.fixture
def library(db_url):
    engine = open_database(db_url)
    support = save_analysis(engine, demo_analysis("demo_support_call"))
    # the model's false alarm on the good call: a poor-audio finding the reviewers must judge
    good = save_analysis(engine, demo_analysis("demo_good_call", [Segment(10.0, 12.0, "agent", "poor_audio", 0.55,
                                                                          "model:v1", "noise floor -31 dBFS")]))
    yield db_url, engine, support, good
    engine.dispose()


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def confirm_and_submit(capsys, db: str, session, reviewer: str, call) -> None:
    """`reviewer` confirms every finding of `call` in the calibration session, then submits."""
    assert run(capsys, "calibrate", "review", session, "--db", db, "--reviewer", reviewer, "--call", call,
               "--confirm-rest")[0] == 0
    assert run(capsys, "calibrate", "submit", session, "--db", db, "--reviewer", reviewer)[0] == 0


def record_state(engine) -> tuple:
    """The labels of record: every segment's review fields, the audit log's size, the calls' review state."""
    with Session(engine) as s:
        segments = s.execute(select(SegmentRow.id, SegmentRow.status, SegmentRow.start, SegmentRow.end,
                                    SegmentRow.category, SegmentRow.reviewer, SegmentRow.version,
                                    SegmentRow.deleted_at).order_by(SegmentRow.id)).all()
        events = s.scalar(select(func.count()).select_from(LabelEventRow))
        calls = s.execute(select(CallRow.id, CallRow.review_status, CallRow.score_value).order_by(CallRow.id)).all()
    return [tuple(r) for r in segments], events, [tuple(c) for c in calls]


def test_three_reviewers_blind_then_adopt(library, capsys, tmp_path):
    db, engine, support, good = library
    f1, f2, f3, f4, f5 = [g.id for g in load_segments(engine, support)]  # repetition, dead air, overtalk,
    [g1] = [g.id for g in load_segments(engine, good)]                     # fast speech, forbidden phrase
    before = record_state(engine)

    code, out, _ = run(capsys, "calibrate", "new", "--db", db, "--calls", f"{support},{good}",
                       "--reviewers", "ana,bob,chen", "--name", "week 48", "--lead", "lea")
    assert code == 0 and out.strip() == "calibration session 1: 2 call(s), reviewers ana, bob, chen"

    # ana reviews blind: the findings, no confidences, no model score, nobody else's decisions
    code, out, _ = run(capsys, "calibrate", "show", 1, "--db", db, "--reviewer", "ana", "--json")
    views = json.loads(out)
    assert [v["call"] for v in views] == [support, good]
    assert views[0]["model_score"] is None and views[0]["others"] == {} and not views[0]["revealed"]
    assert [f["segment"] for f in views[0]["findings"]] == [f1, f2, f3, f4, f5]
    assert all("confidence" not in f for f in views[0]["findings"])
    assert run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "ana", "--call", support,
               "--confirm", f"{f1},{f2},{f3},{f4}", "--reject", f5, "--score", 70)[1].strip() == \
        f"call {support}: 5 of 5 finding(s) decided, 0 added, score 70"
    assert run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "ana", "--call", good,
               "--reject", g1, "--score", 100)[0] == 0
    code, out, _ = run(capsys, "calibrate", "submit", 1, "--db", db, "--reviewer", "ana")
    assert code == 0 and out.startswith(f"ana submitted call(s) {support}, {good} of session 1")

    # bob still sees nobody's decisions (ana has submitted, bob has not); he labels in another tool
    code, out, _ = run(capsys, "calibrate", "show", 1, "--db", db, "--reviewer", "bob", "--call", good)
    header = next(line for line in out.splitlines() if line.startswith("finding"))
    assert code == 0 and "blind" in out and header.split() == ["finding", "seconds", "category", "role", "evidence",
                                                               "you"]
    assert "model's score:" not in out and "added by ana" not in out
    labels = tmp_path / "bob.json"
    support_wav, good_wav = str(DEMO / "demo_support_call.wav"), str(DEMO / "demo_good_call.wav")
    seg = {g.id: g for g in load_segments(engine, support)}
    labels.write_text(json.dumps(
        [{"audio": support_wav, "segment": i, "version": 1, "start": seg[i].start, "end": seg[i].end,
          "category": seg[i].category, "role": seg[i].role, "status": status}
         for i, status in [(f1, "confirmed"), (f2, "confirmed"), (f3, "confirmed"), (f4, "rejected"),
                           (f5, "confirmed")]]
        + [{"audio": good_wav, "start": 10.2, "end": 11.8, "category": "poor_audio", "role": "agent",
            "status": "rejected"},  # no segment id: matched to the finding by overlap
           {"audio": good_wav, "start": 30.0, "end": 32.0, "category": "overtalk", "role": "both",
            "status": "added"}]))
    code, out, _ = run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "bob", "--labels", labels)
    assert code == 0 and out.splitlines() == [f"call {support}: 5 of 5 finding(s) decided, 0 added, no score yet",
                                              f"call {good}: 1 of 1 finding(s) decided, 1 added, no score yet"]
    assert run(capsys, "calibrate", "submit", 1, "--db", db, "--reviewer", "bob")[0] == 0

    # chen moves the overtalk a little and forgets the good call: submitting is refused, then done
    assert run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "chen", "--call", support,
               "--edit", f"{f3}:29.2-30.9", "--reject", f5, "--confirm-rest", "--score", 75)[0] == 0
    code, _, err = run(capsys, "calibrate", "submit", 1, "--db", db, "--reviewer", "chen")
    assert code == 1 and f"chen has not decided on finding(s) {g1} of call {good}" in err
    assert run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "chen", "--call", good,
               "--confirm-rest", "--score", 90)[0] == 0
    assert run(capsys, "calibrate", "submit", 1, "--db", db, "--reviewer", "chen")[0] == 0

    # a submitted review is final; once submitted, ana sees the others and the model
    code, _, err = run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "ana", "--call", good,
                       "--confirm", g1)
    assert code == 1 and "a submitted review is final" in err
    views = json.loads(run(capsys, "calibrate", "show", 1, "--db", db, "--reviewer", "ana", "--json")[1])
    assert views[1]["revealed"] and set(views[1]["others"]) == {"bob", "chen"}
    assert views[1]["model_score"] == engine_score(engine, good)

    # nothing of this reached the labels of record
    assert record_state(engine) == before

    # agreement, by hand. Units (model, ana, bob, chen): f1 f2 f3 Y Y Y Y; f4 Y Y N Y; f5 Y N Y N;
    # g1 Y N N Y; bob's added overtalk N N Y N.
    # ana  Y Y Y Y N N N, bob Y Y Y N Y N Y: alike 4/7; yes 4/7 and 5/7:
    #   p_e = (4*5 + 3*2) / 49 = 26/49; kappa = (28/49 - 26/49) / (23/49) = 2/23
    # ana vs chen (Y Y Y Y N Y N): alike 6/7, p_e = 26/49: kappa = (42 - 26) / 23 = 16/23
    # Fleiss: P_i = 1, 1, 1, 1/2, 1/3, 1/3, 1/2 -> P = 2/3; Y 20 of 28: P_e = (5/7)^2 + (2/7)^2 = 29/49;
    #   kappa = (2/3 - 29/49) / (20/49) = 11/60
    code, out, _ = run(capsys, "calibrate", "report", 1, "--db", db, "--format", "json")
    report = json.loads(out)
    pairs = {(p["a"], p["b"]): p["kappa"] for p in report["overall"]["pairs"]}
    assert pairs[("ana", "bob")] == pytest.approx(2 / 23)
    assert pairs[("ana", "chen")] == pytest.approx(16 / 23)
    assert report["overall"]["fleiss_kappa"] == pytest.approx(11 / 60)
    assert report["raters"] == ["model", "ana", "bob", "chen"]
    assert report["calls"][0]["scores"]["ana"] == 70 and report["calls"][1]["scores"]["chen"] == 90
    assert report["worst_categories"][0] == "forbidden_phrase"  # f5: 2 of 4 say present
    code, out, _ = run(capsys, "calibrate", "report", 1, "--db", db, "--pdf", tmp_path / "cal.pdf")
    assert code == 0 and "Pairs of raters" in out and (tmp_path / "cal.pdf").read_bytes()[:5] == b"%PDF-"

    # the lead adopts the majority: f1-f4 kept (f3's median bounds are the finding's), f5 and g1 rejected
    code, out, err = run(capsys, "calibrate", "adopt", 1, "--db", db, "--from", "majority", "--lead", "lea")
    assert code == 0 and out.strip().endswith("4 confirmed, 0 edited, 2 rejected, 0 added"), err
    after = {g.id: g for g in load_segments(engine, support) + load_segments(engine, good)}
    assert {i: (after[i].status, after[i].reviewer) for i in (f1, f2, f3, f4, f5, g1)} == {
        f1: ("confirmed", "lea"), f2: ("confirmed", "lea"), f3: ("confirmed", "lea"), f4: ("confirmed", "lea"),
        f5: ("rejected", "lea"), g1: ("rejected", "lea")}
    segments, events, calls = record_state(engine)
    assert events > before[1] and [c[1] for c in calls] == ["reviewed", "reviewed"]
    with Session(engine) as s:
        assert set(s.scalars(select(LabelEventRow.reviewer).where(LabelEventRow.id > before[1]))) == {"lea"}
    code, _, err = run(capsys, "calibrate", "adopt", 1, "--db", db, "--from", "ana", "--lead", "lea")
    assert code == 1 and "already adopted" in err

    # the trend against the adopted outcome Y Y Y Y N N N: ana 7/7, bob 4/7, chen 6/7, model 5/7
    code, out, _ = run(capsys, "calibrate", "trend", "--db", db, "--json")
    share = {p["rater"]: p["agreement"] for p in json.loads(out)}
    assert share == pytest.approx({"model": 5 / 7, "ana": 1.0, "bob": 4 / 7, "chen": 6 / 7})
    code, out, _ = run(capsys, "calibrate", "list", "--db", db)
    assert "adopted from majority" in out and "ana 2/2, bob 2/2, chen 2/2" in out


def engine_score(engine, call_id: int) -> int:
    with Session(engine) as s:
        return s.get(CallRow, call_id).detector_score


def test_mistakes_are_one_line(library, capsys):
    db, engine, support, good = library
    code, _, err = run(capsys, "calibrate", "new", "--db", db, "--calls", support, "--reviewers", "ana,model")
    assert code == 1 and "'model' cannot be a reviewer's name" in err
    code, _, err = run(capsys, "calibrate", "new", "--db", db, "--calls", "99", "--reviewers", "ana")
    assert code == 1 and err.count("\n") == 1
    code, _, _ = run(capsys, "calibrate", "new", "--db", db, "--calls", support, "--reviewers", "ana", "--lead", "lea")
    assert code == 0
    code, _, err = run(capsys, "calibrate", "show", 1, "--db", db, "--reviewer", "zoe")
    assert code == 1 and "zoe is not a reviewer of calibration session 1 (ana)" in err
    code, _, err = run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "ana", "--call", support,
                       "--add", "30-99999:overtalk")
    assert code == 1 and "past the call's end" in err
    code, _, err = run(capsys, "calibrate", "review", 1, "--db", db, "--reviewer", "ana", "--call", good)
    assert code == 1 and f"is not in calibration session 1" in err
    code, _, err = run(capsys, "calibrate", "adopt", 1, "--db", db, "--from", "ana", "--lead", "lea")
    assert code == 1 and "ana has submitted 0 of 1 calls" in err
    code, _, err = run(capsys, "calibrate", "report", 7, "--db", db)
    assert code == 1 and "calibration session 7 does not exist" in err


def test_report_is_blind_until_every_reviewer_has_submitted(library, capsys):
    """While a session is open only its lead reads the report, or anyone once every reviewer has
    submitted; never a reviewer who has not (a lead who also reviews included)."""
    db, engine, support, good = library
    assert run(capsys, "calibrate", "new", "--db", db, "--calls", support, "--reviewers", "ana,bob",
               "--lead", "lea")[0] == 0
    confirm_and_submit(capsys, db, 1, "ana", support)

    for lead in (None, "ana", "zoe"):  # no lead named; a reviewer who submitted; someone else
        code, out, err = run(capsys, "calibrate", "report", 1, "--db", db, *(("--lead", lead) if lead else ()))
        assert (code, out) == (1, "") and err.count("\n") == 1, lead
        assert "calibration session 1 is open and bob (0/1) has not submitted every call: until they have, " \
               "only its lead, lea, may read its report" in err
    code, _, err = run(capsys, "calibrate", "report", 1, "--db", db, "--lead", "bob")
    assert code == 1 and "bob reviews in calibration session 1 and has submitted 0 of 1 calls" in err
    assert err.count("\n") == 1 and "ana" not in err
    code, out, _ = run(capsys, "calibrate", "report", 1, "--db", db, "--lead", "lea")
    assert code == 0 and "Pairs of raters" in out

    # a lead who reviews too is blind like the others until they have submitted
    assert run(capsys, "calibrate", "new", "--db", db, "--calls", good, "--reviewers", "ana,bob", "--lead", "ana")[0] == 0
    confirm_and_submit(capsys, db, 2, "bob", good)
    code, _, err = run(capsys, "calibrate", "report", 2, "--db", db, "--lead", "ana")
    assert code == 1 and "ana reviews in calibration session 2" in err

    # once every reviewer has submitted, or the session is adopted, anyone may read it
    confirm_and_submit(capsys, db, 1, "bob", support)
    assert run(capsys, "calibrate", "report", 1, "--db", db)[0] == 0
    assert run(capsys, "calibrate", "adopt", 2, "--db", db, "--from", "bob", "--lead", "ana")[0] == 0
    code, out, _ = run(capsys, "calibrate", "report", 2, "--db", db, "--format", "json")
    assert code == 0 and json.loads(out)["raters"] == ["model", "bob"]


def test_only_the_lead_adopts(library, capsys):
    """Someone other than the session's lead is refused in one line naming the session and its lead,
    and the labels of record do not move; the lead then adopts."""
    db, engine, support, good = library
    assert run(capsys, "calibrate", "new", "--db", db, "--calls", support, "--reviewers", "ana",
               "--lead", "lea")[0] == 0
    confirm_and_submit(capsys, db, 1, "ana", support)
    before = record_state(engine)
    for who in ("ana", "zoe"):
        code, out, err = run(capsys, "calibrate", "adopt", 1, "--db", db, "--from", "ana", "--lead", who)
        assert (code, out) == (1, "") and err.count("\n") == 1, who
        assert f"only its lead, lea, may adopt an outcome of calibration session 1 (not {who})" in err
    assert record_state(engine) == before
    code, out, err = run(capsys, "calibrate", "adopt", 1, "--db", db, "--from", "ana", "--lead", "lea")
    assert code == 0 and "as lea" in out, err


def test_trend_leaves_out_the_open_sessions_hidden_from_the_asker(library, capsys):
    """Session 1 is open and only ana of ana, bob has submitted: its agreement is shown in the trend (and in
    a report's trend section) to its lead alone, and the others are told one session was left out."""
    db, engine, support, good = library
    assert run(capsys, "calibrate", "new", "--db", db, "--calls", support, "--reviewers", "ana,bob",
               "--lead", "lea")[0] == 0
    assert run(capsys, "calibrate", "new", "--db", db, "--calls", good, "--reviewers", "ana",
               "--lead", "lea")[0] == 0
    for session, call in ((1, support), (2, good)):
        confirm_and_submit(capsys, db, session, "ana", call)

    def sessions(out: str) -> set[int]:
        return {p["session"] for p in json.loads(out)}

    for asker in ((), ("--reviewer", "ana"), ("--reviewer", "bob"), ("--lead", "zoe")):
        code, out, err = run(capsys, "calibrate", "trend", "--db", db, "--json", *asker)
        assert code == 0 and sessions(out) == {2}, asker
        assert "1 open session(s) left out of the trend" in err, asker
        code, out, _ = run(capsys, "calibrate", "trend", "--db", db, *asker)
        assert "1 open session(s) left out of the trend" in out and "consensus" in out
    code, out, err = run(capsys, "calibrate", "trend", "--db", db, "--json", "--lead", "lea")
    assert code == 0 and sessions(out) == {1, 2} and err == ""

    # the report of session 2 (complete: anyone may read it) carries the trend its reader may see
    code, out, _ = run(capsys, "calibrate", "report", 2, "--db", db, "--format", "json")
    report = json.loads(out)
    assert code == 0 and {p["session"] for p in report["trend"]} == {2} and report["trend_left_out"] == 1
    code, out, _ = run(capsys, "calibrate", "report", 2, "--db", db, "--format", "json", "--lead", "lea")
    report = json.loads(out)
    assert {p["session"] for p in report["trend"]} == {1, 2} and report["trend_left_out"] == 0
    code, out, _ = run(capsys, "calibrate", "report", 2, "--db", db)
    assert code == 0 and "1 open session(s) left out of the trend" in out

    # once bob has submitted, session 1 is in everyone's trend
    confirm_and_submit(capsys, db, 1, "bob", support)
    code, out, err = run(capsys, "calibrate", "trend", "--db", db, "--json")
    assert code == 0 and sessions(out) == {1, 2} and err == ""
