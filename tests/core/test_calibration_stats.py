"""Agreement statistics of calibration sessions, checked against hand computations (in the comments)
and against published worked examples."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reviewer_app.core.calibration.agreement import session_agreement
from reviewer_app.core.calibration.reliability import (
    cohen_kappa, fleiss_kappa, krippendorff_alpha_interval, observed_agreement, spread,
)
from reviewer_app.core.calibration.sessions import Review, SessionCall, SessionData, SessionSummary
from reviewer_app.core.calibration.trend import session_trend
from reviewer_app.core.calibration.units import MODEL, Decision, Finding


def test_cohen_kappa_by_hand():
    # Ten items, two raters (1 = present):
    #   a = 1 1 1 1 1 1 0 0 0 0     (6 yes, 4 no)
    #   b = 1 1 1 1 0 0 0 0 0 1     (5 yes, 5 no)
    # alike on items 1-4 (yes) and 7-9 (no): p_o = 7/10 = 0.7
    # chance: p_e = 0.6 * 0.5 (both yes) + 0.4 * 0.5 (both no) = 0.5
    # kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4
    a = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    assert observed_agreement(a, b) == pytest.approx(0.7)
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    # every rating "yes" from both: chance agreement is 1, kappa undefined
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) is None and cohen_kappa([], []) is None
    with pytest.raises(ValueError):
        cohen_kappa([1, 0], [1])


def test_cohen_kappa_wikipedia_example():
    # Wikipedia, "Cohen's kappa": 50 grant proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15: kappa 0.4
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_fleiss_kappa_by_hand():
    # Four items, three raters, present (Y) or absent (N):
    #   item 1: Y Y Y -> P_1 = (3^2 + 0^2 - 3) / (3 * 2) = 1
    #   item 2: Y Y N -> P_2 = (2^2 + 1^2 - 3) / 6 = 1/3
    #   item 3: N N N -> P_3 = 1
    #   item 4: Y N N -> P_4 = 1/3
    # P = (1 + 1/3 + 1 + 1/3) / 4 = 2/3
    # Y is 6 of the 12 ratings: p_Y = p_N = 1/2, P_e = 1/4 + 1/4 = 1/2
    # kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3
    items = [["Y", "Y", "Y"], ["Y", "Y", "N"], ["N", "N", "N"], ["Y", "N", "N"]]
    assert fleiss_kappa(items) == pytest.approx(1 / 3)
    assert fleiss_kappa([["Y", "Y"], ["Y", "Y"]]) is None  # one category only: undefined
    with pytest.raises(ValueError):
        fleiss_kappa([["Y", "Y"], ["Y"]])


def test_fleiss_kappa_wikipedia_example():
    # Wikipedia, "Fleiss' kappa": 10 subjects, 14 raters, 5 categories; kappa = 0.210
    counts = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
              (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    items = [[k for k, n in enumerate(row) for _ in range(n)] for row in counts]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=5e-4)


def test_krippendorff_alpha_interval_by_hand():
    # Three calls scored by three raters, some missing:
    #   call 1: 1, 2, -    call 2: 3, 3, 3    call 3: 2, 4, -
    # pairable values n = 7
    # observed: sum over calls of (sum over ordered pairs of squared differences) / (m - 1)
    #   call 1: (1-2)^2 * 2 / 1 = 2;  call 2: 0;  call 3: (2-4)^2 * 2 / 1 = 8   ->  D_o = 10 / 7
    # expected: all 7 values 1,2,3,3,3,2,4 (sum 18, sum of squares 52):
    #   ordered pairs' squared differences = 2 * (7 * 52 - 18^2) = 80  ->  D_e = 80 / (7 * 6) = 40 / 21
    # alpha = 1 - (10/7) / (40/21) = 1 - 0.75 = 0.25
    assert krippendorff_alpha_interval([[1, 2, None], [3, 3, 3], [2, 4, None]]) == pytest.approx(0.25)
    assert krippendorff_alpha_interval([[5, 5], [7, 7]]) == pytest.approx(1.0)
    assert krippendorff_alpha_interval([[5, None], [7, None]]) is None  # nothing pairable


def test_krippendorff_alpha_published_example():
    # Krippendorff, "Computing Krippendorff's alpha-reliability" (2011): 4 observers, 12 units;
    # interval alpha = 0.849
    m = None
    observers = [[1, 2, 3, 3, 2, 1, 4, 1, 2, m, m, m],
                 [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, m, 3],
                 [m, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, m],
                 [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, m]]
    units = [list(column) for column in zip(*observers)]
    assert krippendorff_alpha_interval(units) == pytest.approx(0.849, abs=5e-4)


def test_spread():
    s = spread([70, 80, 90])
    assert (s.low, s.high, s.range, s.mean) == (70, 90, 20, 80)
    assert s.sd == pytest.approx(10.0)  # sample sd: sqrt((100 + 0 + 100) / 2)
    assert spread([]).range is None and spread([5]).sd is None


def _session(reviews: dict, calls: tuple[SessionCall, ...], reviewers=("ana", "bob", "chen")) -> SessionData:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    submitted = {r: sum(1 for (c, who), rv in reviews.items() if who == r and rv.submitted) for r in reviewers}
    summary = SessionSummary(1, "hand", "lead", now, "open", None, None, None,
                             tuple(c.call_id for c in calls), tuple(reviewers), submitted)
    return SessionData(summary, calls, reviews)


FINDINGS = (Finding(1, 0.0, 5.0, "both", "dead_air", 0.9, "rule:dead_air", ""),
            Finding(2, 10.0, 12.0, "both", "overtalk", 0.8, "rule:overtalk", ""),
            Finding(3, 20.0, 25.0, "agent", "poor_audio", 0.6, "rule:poor_audio", ""))


def _review(name: str, score: int, *decisions: Decision) -> Review:
    return Review(name, 7, score, datetime(2026, 11, 30, tzinfo=UTC), decisions)


def hand_session() -> SessionData:
    """One call, three findings (1 dead air, 2 overtalk, 3 poor audio), three reviewers:
    ana confirms 1 and 2, rejects 3, adds a repetition at 30-33 s;
    bob confirms 1, rejects 2 and 3, adds a repetition at 30.5-33.5 s (overlaps ana's: the same unit);
    chen moves 1 to 0.5-5.5 s (same category: still present), confirms 2 and 3."""
    call = SessionCall(7, "/calls/a.wav", 60.0, 75, FINDINGS)
    rep = dict(role="agent", category="repetition")
    reviews = {
        (7, "ana"): _review("ana", 80, Decision(1, "confirm"), Decision(2, "confirm"), Decision(3, "reject"),
                            Decision(None, "add", 30.0, 33.0, **rep)),
        (7, "bob"): _review("bob", 90, Decision(1, "confirm"), Decision(2, "reject"), Decision(3, "reject"),
                            Decision(None, "add", 30.5, 33.5, **rep)),
        (7, "chen"): _review("chen", 70, Decision(1, "edit", 0.5, 5.5, "both", "dead_air"), Decision(2, "confirm"),
                             Decision(3, "confirm")),
    }
    return _session(reviews, (call,))


def test_session_agreement_by_hand():
    # Units (model, ana, bob, chen):
    #   u1 dead air (finding 1):  Y Y Y Y
    #   u2 overtalk (finding 2):  Y Y N Y
    #   u3 poor audio (finding 3): Y N N Y
    #   u4 repetition (added):    N Y Y N
    agreement = session_agreement(hand_session())
    assert agreement.raters == (MODEL, "ana", "bob", "chen")
    assert [(u.category, u.ratings()) for u in agreement.units] == [
        ("dead_air", [True] * 4), ("overtalk", [True, True, False, True]),
        ("poor_audio", [True, False, False, True]), ("repetition", [False, True, True, False])]
    overall = agreement.overall
    # ana Y Y N Y vs bob Y N N Y: p_o = 3/4; p_e = 3/4 * 2/4 + 1/4 * 2/4 = 1/2; kappa = (3/4 - 1/2) / (1/2) = 0.5
    assert overall.pair("ana", "bob").kappa == pytest.approx(0.5)
    # model Y Y Y N vs ana Y Y N Y: p_o = 1/2; p_e = 3/4 * 3/4 + 1/4 * 1/4 = 5/8; kappa = (1/2 - 5/8) / (3/8) = -1/3
    assert overall.pair(MODEL, "ana").kappa == pytest.approx(-1 / 3)
    assert overall.pair(MODEL, "chen").kappa == pytest.approx(1.0)
    # Fleiss, 4 raters: P_i = 1, (9+1-4)/12 = 1/2, (4+4-4)/12 = 1/3, 1/3 -> P = 13/24;
    # Y is 11 of 16 ratings: P_e = (11/16)^2 + (5/16)^2 = 146/256; kappa = (13/24 - 146/256) / (110/256) = -1/15
    assert overall.fleiss == pytest.approx(-1 / 15)
    # segments, matched by overlap: ana has 3 (dead air, overtalk, repetition), bob 2 (dead air,
    # repetition), both of bob's match: F1 = 2 * 2 / (3 + 2) = 0.8
    assert overall.pair("ana", "bob").segment_f1 == pytest.approx(0.8)
    assert overall.split == 3 and overall.disagreement == pytest.approx(0.75)
    assert agreement.categories["dead_air"].split == 0
    # each of the three has its one unit split; pairs of raters agree on a 2-2 split in 2 of 6 pairs,
    # on the 3-1 overtalk split in 3 of 6: poor audio and repetition (category order) before overtalk
    assert [c.category for c in agreement.worst_categories()] == ["poor_audio", "repetition", "overtalk"]
    [call] = agreement.calls
    assert call.scores == {MODEL: 75, "ana": 80, "bob": 90, "chen": 70}
    assert (call.spread.low, call.spread.high) == (70, 90)


def test_trend_against_the_consensus():
    # Majority of the three reviewers per unit: u1 Y (3), u2 Y (2), u3 N (1), u4 Y (2) -> Y Y N Y
    # ana Y Y N Y agrees on 4/4; bob Y N N Y on 3/4; chen Y Y Y N on 2/4; the model as chen.
    # Scores against the median of 80, 90, 70 = 80: ana 0, bob 10, chen 10, model 5.
    points = {p.rater: p for p in session_trend(hand_session())}
    assert {r: p.agreement for r, p in points.items()} == {MODEL: 0.5, "ana": 1.0, "bob": 0.75, "chen": 0.5}
    assert {r: p.score_gap for r, p in points.items()} == {MODEL: 5, "ana": 0, "bob": 10, "chen": 10}
    assert points["ana"].reference == "consensus"


def test_report_tables_and_pdf(tmp_path):
    from reviewer_app.core.reports.calibration import render_tables, report_json, write_calibration_pdf

    data = hand_session()
    agreement, points = session_agreement(data), session_trend(data)
    markdown = render_tables(agreement, points, markdown=True)
    assert "| ana | bob | 0.50 | 75% | 0.80 |" in markdown  # kappa, units alike, segment F1 from above
    assert "| 7 | a.wav | 4 | 3 | 75 | 80 | 90 | 70 | 20 | 8.5 |" in markdown  # range 20, sd of 75/80/90/70
    assert report_json(agreement, points)["worst_calls"] == [7]
    pdf = write_calibration_pdf(agreement, points, tmp_path / "calibration.pdf")
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-" and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 3
