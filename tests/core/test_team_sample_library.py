"""A small sample library for the exchange, report and team tests, built without ASR.

The two fixture calls are stored with transcripts and segments taken from
their truth files (real audio on disk, so re-detection and reports work);
eight more calls of two teams and four agents, over four days, are made up,
with names that carry agent, team and date. Tests here check the builder.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.domain import BOTH, AudioInfo, CallAnalysis, Segment, Turn, Word
from reviewer_app.core.scoring import score_call
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from tests.conftest import FIXTURES

PATTERN = r"(?P<date>\d{4}-\d{2}-\d{2})_(?P<team>[a-z]+)_(?P<agent>[a-z]+)_\d+"
EVIDENCE = {"clipping": "clipping 4% of samples", "noise": "noise floor -28 dBFS",
            "dropout": "dropout: 0.40 s of digital silence"}


def words_for(text: str, start: float, end: float) -> tuple[Word, ...]:
    tokens = text.split()
    step = (end - start) / max(1, len(tokens))
    return tuple(Word(tok, round(start + i * step, 3), round(start + (i + 0.8) * step, 3), 0.9)
                 for i, tok in enumerate(tokens))


def fixture_analysis(name: str) -> CallAnalysis:
    """A stored-looking analysis of tests/fixtures/<name>.wav from its truth file."""
    path = FIXTURES / f"{name}.wav"
    truth = json.loads((FIXTURES / f"{name}.truth.json").read_text())
    roles = tuple(truth["roles"])
    mono = roles == (BOTH,)
    turns = []
    for u in truth["utterances"]:
        for piece in u["pieces"]:
            turns.append(Turn(BOTH if mono else u["role"], piece["start"], piece["end"], piece["text"],
                              words_for(piece["text"], piece["start"], piece["end"])))
    segments = [Segment(s["start"], s["end"], s["role"], s["category"], 0.9, f"rule:{s['category']}",
                        EVIDENCE.get(s.get("kind"), f"{s['category']} from truth")) for s in truth["segments"]]
    return _analysis(str(path), sha256_of_file(path), truth["duration_s"], roles, turns, segments,
                     sample_rate=truth["sample_rate"])


def _analysis(path, sha, duration, roles, turns, segments, sample_rate=8000, language="en") -> CallAnalysis:
    turns = sorted(turns, key=lambda t: (t.start, t.role))
    return CallAnalysis(
        AudioInfo(path, sha, duration, sample_rate, len(roles), roles), language, turns, segments,
        score_call(segments, Settings().score), {"total": 1.0}, {"app": "0.1.0", "detector": "rules"})


AGENTS = {"alice": "north", "bob": "north", "chen": "south", "dana": "south"}
# per agent: (dead air s, overtalk s, words per minute) -> distinct, checkable dashboards
STYLE = {"alice": (0.0, 0.0, 150), "bob": (8.0, 2.0, 150), "chen": (0.0, 3.0, 240), "dana": (6.0, 0.0, 120)}


def synthetic_analysis(agent: str, day: int, n: int) -> CallAnalysis:
    """A 60 s stereo call: agent greets, customer talks, agent answers at STYLE's rate."""
    team = AGENTS[agent]
    dead, over, wpm = STYLE[agent]
    path = f"/recordings/2024-03-{day:02d}_{team}_{agent}_{n}.wav"
    sha = hashlib.sha256(path.encode()).hexdigest()
    turns = [Turn("agent", 0.5, 4.5, "thank you for calling how can i help",
                  words_for("thank you for calling how can i help", 0.5, 4.5))]
    words = " ".join(["sure"] * int(wpm * 20 / 60))
    late = " ".join(["my order is late"] * 5)
    turns.append(Turn("customer", 5.0, 20.0, late, words_for(late, 5.0, 20.0)))
    a_start = 20.0 + dead
    turns.append(Turn("agent", a_start, a_start + 20.0, words, words_for(words, a_start, a_start + 20.0)))
    segments = []
    if dead:
        segments.append(Segment(20.0, 20.0 + dead, BOTH, "dead_air", 0.7, "rule:dead_air", f"silence {dead:.1f} s"))
    if over:
        turns.append(Turn("customer", a_start + 2, a_start + 2 + over, "wait what", words_for("wait what", a_start + 2,
                                                                                                a_start + 2 + over)))
        segments.append(Segment(a_start + 2, a_start + 2 + over, BOTH, "overtalk", 0.55, "rule:overtalk", "both"))
    if wpm > 200:
        segments.append(Segment(a_start, a_start + 20, "agent", "fast_speech", 0.8, "rule:fast_speech", f"{wpm} wpm"))
    if day % 2 == 0 and agent == "bob":
        segments.append(Segment(a_start + 5, a_start + 6, "agent", "forbidden_phrase", 0.52, "model:v1",
                                "matched 'calm down'"))
    return _analysis(path, sha, 60.0, ("customer", "agent"), turns, segments)


def build_library(engine) -> dict[str, int]:
    """Store the sample library; return call ids by short name ('basic', 'mono', 'alice-1-0', ...)."""
    ids = {"basic": repository.save_analysis(engine, fixture_analysis("call_basic")),
           "mono": repository.save_analysis(engine, fixture_analysis("call_noisy_mono"))}
    for agent in AGENTS:
        for day in (1, 2):
            ids[f"{agent}-{day}-0"] = repository.save_analysis(engine, synthetic_analysis(agent, day, 0))
    return ids


def review_basic(engine, call_id: int, reviewer: str = "ana") -> None:
    """A reviewer's work on the basic call: confirm dead air, move overtalk, reject forbidden, add two."""
    store = LabelStore(engine)
    segs = {s.category: s for s in repository.load_segments(engine, call_id)}
    store.confirm(segs["dead_air"].id, reviewer)
    store.edit(segs["overtalk"].id, reviewer, start=24.6, end=26.5)
    store.reject(segs["forbidden_phrase"].id, reviewer)
    store.add(call_id, reviewer, 1.0, 3.5, "fast_speech", "agent", note="=cmd|' /C calc'!A0")
    store.add(call_id, reviewer, 31.9, 35.9, "negative_emotion", "customer")
    store.mark_reviewed(call_id, reviewer)


@pytest.fixture
def library(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'library.sqlite3'}")
    ids = build_library(engine)
    review_basic(engine, ids["basic"])
    yield engine, ids
    engine.dispose()


def test_sample_library_stores_every_call_with_its_segments(library):
    engine, ids = library
    calls = {c.id: c for c in repository.list_calls(engine)}
    assert len(calls) == 10
    basic = calls[ids["basic"]]
    assert basic.review_status == "reviewed"
    assert basic.problem_counts == {"dead_air": 1, "fast_speech": 1, "negative_emotion": 1, "overtalk": 1}
    mono = repository.load_analysis(engine, calls[ids["mono"]].sha256)
    assert mono.audio.roles == (BOTH,) and {t.role for t in mono.transcript} == {BOTH}
    assert Path(mono.audio.path).is_file()
