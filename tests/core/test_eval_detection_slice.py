"""A fast slice of the detection benchmark (benchmarks/eval_detection.py): its truth and its scoring.

The scenarios are built from the real recordings in ../shared/data (skipped when absent); one short
scenario goes through the real analysis. The full benchmark is `python benchmarks/eval_detection.py`.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types

import pytest

from reviewer_app.core.synth import speech
from tests.conftest import ROOT, shared

# The scenarios speak with espeak-ng and change tempo with sox (both installed by `make install`).
pytestmark = pytest.mark.skipif(not speech.tools_available(), reason="espeak-ng and sox are not installed")


@pytest.fixture(scope="module")
def ev():
    """The benchmark's names: eval_detection's and those of the scenario modules beside it."""
    spec = importlib.util.spec_from_file_location("eval_detection", ROOT / "benchmarks" / "eval_detection.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_detection"] = module
    spec.loader.exec_module(module)  # puts benchmarks/ on sys.path for its scenario modules
    names = {}
    for part in ("eval_calls", "eval_families_signal", "eval_families_speech", "eval_scenarios"):
        names.update(vars(importlib.import_module(part)))
    names.update(vars(module))
    return types.SimpleNamespace(**names)


@pytest.fixture
def calls_en():
    return shared("calls_en", "SNG0072.wav")


def _scenario(ev, family, band, k=0):
    make = next(m for f, b, i, m in ev.plan() if f == family and b == band and i == k)
    return ev.build(family, band, k, make)


def test_word_truth_on_hand_made_calls(ev):
    import numpy as np

    words = [("agent", "hello", 1.0, 1.4), ("customer", "hi", 1.2, 1.5), ("agent", "thank", 1.5, 1.8),
             ("agent", "you", 1.8, 2.0), ("customer", "okay", 9.0, 9.5), ("agent", "bye", 40.0, 40.5)]
    call = ev.Call(np.zeros((2, 8000 * 45)), 8000,
                   [{"role": r, "word": w, "start": s, "end": e} for r, w, s, e in words])
    assert ev.dead_air_truth(call) == [(2.0, 9.0), (9.5, 40.0)]  # not the 1 s before, nor the 4.5 s after
    assert ev.overtalk_truth(call) == []  # 0.2 s of both at once
    assert ev.interrupter(call, 1.2) == "customer"  # the agent's turn began first
    assert ev.greeting_truth(call) == []  # "hello" in the agent's first 20 s
    assert ev.closing_truth(call) == []  # "bye" at the end
    call.words = [w for w in call.words if w["word"] not in ("hello", "bye")]
    assert ev.greeting_truth(call) == [(1.5, 2.0)]
    assert ev.closing_truth(call) == [(1.5, 2.0)]


def test_dead_air_truth_is_interior_and_edge_silence_is_a_decoy(ev, calls_en):
    severe = _scenario(ev, "dead_air", "severe")
    assert [t["band"] for t in severe.truth] == ["severe", "severe"]
    assert all(10.0 - 1e-6 <= t["end"] - t["start"] <= 15.0 + 1e-6 for t in severe.truth)
    quiet = _scenario(ev, "dead_air", "negative")
    assert quiet.truth == []
    edge = [p for p in quiet.placed if "before anyone" in p["what"] or "after the end" in p["what"]]
    assert len(edge) == 1 and edge[0]["end"] - edge[0]["start"] >= 6.0
    assert edge[0]["start"] == 0.0 or edge[0]["end"] == pytest.approx(quiet.call.duration, abs=0.01)


def test_backchannels_are_not_overtalk(ev, calls_en):
    sc = _scenario(ev, "overtalk", "negative")
    decoys = [p for p in sc.placed if p["band"] == "negative"]
    assert len(decoys) == 3 and all(p["end"] - p["start"] < 1.0 for p in decoys)
    assert all(t["band"] == "native" for t in sc.truth)  # only the recording's own overlaps
    moderate = _scenario(ev, "overtalk", "moderate")
    placed = [t for t in moderate.truth if t["band"] == "moderate"]
    assert len(placed) == 2 and all(1.0 <= t["end"] - t["start"] <= 2.6 for t in placed)
    assert all(t["what"].startswith(f"interruption: {t['role']} over") for t in placed)
    # a prediction naming the side that talks over matches; "both" is credited to it; the other side is not
    for role, found in ((placed[0]["role"], 1), ("both", 1), ({"agent": "customer", "customer": "agent"}[
            placed[0]["role"]], 0)):
        pred = [dict(placed[0], role=role, category="overtalk")]
        rows = ev.score_scenario("overtalk", "moderate", moderate.truth, moderate.placed, pred)
        assert rows["moderate"].tp_pred == found, role


def test_scoring_on_hand_made_predictions(ev, calls_en):
    sc = _scenario(ev, "clipping", "severe")
    assert len(sc.truth) == 3 and {t["role"] for t in sc.truth} <= {"agent", "customer"}
    exact = [dict(t, category="poor_audio") for t in sc.truth]
    rows = ev.score_scenario("poor_audio", "severe", sc.truth, sc.placed, exact)
    assert (rows["severe"].precision, rows["severe"].recall) == (1.0, 1.0)
    first = exact[0]
    piece = dict(first, start=first["start"], end=first["start"] + 0.3 * (first["end"] - first["start"]))
    rows = ev.score_scenario("poor_audio", "severe", sc.truth, sc.placed, exact + [piece])
    assert (rows["severe"].pred, rows["severe"].tp_pred, rows["severe"].fragments) == (4, 3, 1)  # split, not found twice
    other = {"agent": "customer", "customer": "agent"}
    wrong_side = [dict(p, role=other[p["role"]]) for p in exact]
    rows = ev.score_scenario("poor_audio", "severe", sc.truth, sc.placed, wrong_side)
    assert (rows["severe"].tp_truth, rows["severe"].pred, rows["severe"].precision) == (0, 3, 0.0)
    decoys = _scenario(ev, "forbidden_phrase", "negative")
    near_miss = decoys.placed[0]
    flagged = [{"start": near_miss["start"], "end": near_miss["end"], "role": near_miss["role"],
                "category": "forbidden_phrase"}]
    rows = ev.score_scenario("forbidden_phrase", "negative", decoys.truth, decoys.placed, flagged)
    assert (rows["negative"].truth, rows["negative"].pred, rows["negative"].precision) == (0, 1, 0.0)
    assert rows["negative"].placed == 3


def test_greeting_said_by_another_voice_is_present(ev, calls_en):
    present = _scenario(ev, "missing_greeting", "negative", 2)
    assert present.truth == [] and "wpm" in present.placed[0]["what"]
    absent = _scenario(ev, "missing_greeting", "absent", 0)
    assert len(absent.truth) == 1 and absent.truth[0]["role"] == "agent"


def test_one_real_analysis_finds_the_placed_dead_air(ev, calls_en, tmp_path, monkeypatch):
    import numpy as np

    monkeypatch.setenv("REVIEWER_APP_EVAL_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(7)
    call = ev.calls_en("SNG0072").excerpt(0.0, 14.0)
    sc = ev.Scenario("slice-dead-air", "dead_air", "severe", call)
    ev._place_pause(sc, rng, 11.0, "severe", "digital silence")
    for start, end in ev.dead_air_truth(call):
        sc.add_truth(start, end, "both", "severe")
    assert len(sc.truth) == 1
    wav = ev.write_scenario(sc, tmp_path / "scenarios")
    version = ev.code_version()
    result = ev.analyse(wav, version)
    rows = ev.score_scenario("dead_air", "severe", sc.truth, sc.placed, result["segments"])
    assert rows["severe"].recall == 1.0, result["segments"]
    again = ev.analyse(wav, version)  # from the cache: same result, no analysis
    assert again.pop("cached") is True and again == result
    assert len(list((tmp_path / "cache" / "analyses").glob("*.json"))) == 1
