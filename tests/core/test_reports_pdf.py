"""Scorecard and dashboard PDFs: real files, rendered with poppler (pdftoppm) and read back (pdftotext)."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import numpy as np
import pytest

from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment, Turn
from reviewer_app.core.reports.dashboard import write_dashboard_pdf
from reviewer_app.core.reports.scorecard import build_scorecard, write_scorecard_pdf
from reviewer_app.core.reports.style import CATEGORY_COLOURS, GRADE_COLOURS, font_family, wrap
from reviewer_app.core.storage import repository
from reviewer_app.core.team.agents import AgentStats, Dashboard, build_dashboard, load_metadata
from reviewer_app.core.team.metrics import CallMetrics
from tests.core.test_team_sample_library import PATTERN, library  # noqa: F401 (fixture)

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm) not installed")


def pages(pdf) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def text_of(pdf, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def render(pdf, out_dir, page: int = 1, dpi: int = 40) -> np.ndarray:
    """Page `page` as an RGB float image, the way a reviewer would look at it."""
    from matplotlib.image import imread

    prefix = out_dir / f"page{page}"
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf), str(prefix)],
                   check=True)
    return imread(next(out_dir.glob(f"page{page}*.png")))[..., :3]


def ink(img: np.ndarray) -> float:
    return float((img < 0.93).any(axis=-1).mean())


def has_colour(img: np.ndarray, hex_colour: str, tol: float = 0.08) -> bool:
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(img - rgb).max(axis=-1) < tol).sum() > 20)


def test_scorecard_data_follows_the_review(library):
    engine, ids = library
    card = build_scorecard(engine, str(ids["basic"]))
    assert (card.score.value, card.score.grade, card.detector_score.value) == (86, "high", 80)
    assert [(r.category, r.count, r.points) for r in card.deductions] == [
        ("dead_air", 1, 4), ("overtalk", 1, 2), ("fast_speech", 1, 3), ("negative_emotion", 1, 5)]
    assert [p.segment.category for p in card.problems] == ["fast_speech", "dead_air", "overtalk", "negative_emotion"]
    dead_air = card.problems[1]
    assert [ln.inside for ln in dead_air.lines] == [False, False, False, False]  # nobody speaks in dead air
    assert dead_air.lines[1].text.startswith("I am sorry to hear that")  # said just before the silence
    emotion = card.problems[3]
    assert any(ln.inside and ln.text.startswith("well, that is not good enough") for ln in emotion.lines)


@needs_poppler
def test_scorecard_pdf_renders_with_score_timeline_table_and_transcript(library, tmp_path):
    engine, ids = library
    pdf = write_scorecard_pdf(build_scorecard(engine, str(ids["basic"])), tmp_path / "out" / "card.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pages(pdf) == 1
    assert not list((tmp_path / "out").glob(".*tmp"))
    text = text_of(pdf)
    for expected in ("CALL SCORECARD", "call_basic.wav", "86", "HIGH", "detector's score: 80", "Timeline",
                     "agent speech", "negative emotion", "Deductions", "100 − 14 = 86 (high)",
                     "#2 dead air 0:15–0:22 (both) · confirmed", "well, that is not good enough",
                     "reviewed by ana; 1 finding rejected"):
        assert expected in " ".join(text.split()), expected
    img = render(pdf, tmp_path)
    assert img.shape[0] > img.shape[1] > 300  # A4 portrait at 40 dpi
    assert 0.04 < ink(img) < 0.5
    assert has_colour(img, GRADE_COLOURS["high"])  # the score badge


@needs_poppler
def test_a_long_call_flows_onto_more_pages_and_prints_chinese(tmp_path, library):
    engine, _ = library
    turns, segments = [], []
    for k in range(30):
        t = 20.0 * k
        turns.append(Turn("agent", t, t + 8, "您好，请问有什么可以帮您？" if k == 0 else "we are looking into it " * 8))
        segments.append(Segment(t + 2, t + 4, "agent", "repetition", 0.8, "rule:repetition", "said 3 times"))
    analysis = CallAnalysis(AudioInfo("/calls/long call.wav", "cd" * 32, 600.0, 8000, 2, ("customer", "agent")),
                            "zh", turns, segments, CallScore(75, "medium", {"repetition": 25}), {}, {})
    call_id = repository.save_analysis(engine, analysis)
    pdf = write_scorecard_pdf(build_scorecard(engine, str(call_id)), tmp_path / "long.pdf")
    n = pages(pdf)
    assert n >= 3
    assert "#30" in text_of(pdf, n) and "page 1" in text_of(pdf, 1)
    if len(font_family()) > 1:  # a CJK font is installed: the characters are real glyphs, not boxes
        assert "请问有什么可以帮您" in text_of(pdf, 1).replace(" ", "")
    assert ink(render(pdf, tmp_path, page=2)) > 0.02


@needs_poppler
def test_dashboard_pdf_shows_table_trends_mix_and_small_charts(library, tmp_path):
    engine, _ = library
    board = build_dashboard(engine, load_metadata(engine, pattern=PATTERN))
    pdf = write_dashboard_pdf(board, tmp_path / "agents.pdf")
    assert pages(pdf) == 3
    first = " ".join(text_of(pdf, 1).split())
    for expected in ("Agent dashboard", "8 calls", "4 agents in 2 teams", "2024-03-01 to 2024-03-02",
                     "2 calls without an agent left out", "bob north 2 92 -8 59% 145 wpm 13% 3% 2.5 dead air",
                     "Score trend per agent"):
        assert expected in first, expected
    assert "Problem mix" in text_of(pdf, 2) and "Speech rate" in text_of(pdf, 2)
    assert "chen (south) · 2 calls · mean 97" in text_of(pdf, 3)
    img = render(pdf, tmp_path, page=2)
    assert img.shape[1] > img.shape[0]  # landscape
    assert ink(img) > 0.05 and has_colour(img, CATEGORY_COLOURS["dead_air"]) and has_colour(img, CATEGORY_COLOURS["overtalk"])


def _synthetic_board(n_agents: int) -> Dashboard:
    agents = []
    for a in range(n_agents):
        stats = AgentStats(f"agent{a:02d}", f"team{a % 3}")
        for d in range(5):
            stats.calls.append(CallMetrics(
                call_id=a * 10 + d, path=f"/c/{a}-{d}.wav", date=date(2024, 5, 1) + timedelta(days=d),
                duration_s=120.0, score=60 + (a * 7 + d * 3) % 40, grade="medium", agent_talk_s=50.0,
                customer_talk_s=40.0, talk_share=50 / 90, speech_rate=150.0 + a, rate_unit="wpm",
                dead_air_s=float(a % 4), overtalk_s=float(d), categories={"dead_air": a % 3, "overtalk": d % 2},
                agent=f"agent{a:02d}", team=f"team{a % 3}"))
        agents.append(stats)
    return Dashboard(agents, [])


@needs_poppler
def test_many_agents_split_the_table_and_plot_team_trends(tmp_path):
    pdf = write_dashboard_pdf(_synthetic_board(25), tmp_path / "big.pdf")
    assert pages(pdf) == 2 + 2 + 3  # table pages, mix pages (20 agents each), small charts (9 each)
    assert "agent13" in text_of(pdf, 1) and "agent14" in text_of(pdf, 2)
    assert "Score trend per team (many agents)" in " ".join(text_of(pdf, 2).split())
    assert ink(render(pdf, tmp_path, page=7)) > 0.01


def test_wrap_counts_chinese_characters_double():
    assert wrap("one two three four", 9) == ["one two", "three", "four"]
    assert wrap("您好请问有什么可以帮您", 8) == ["您好请问", "有什么可", "以帮您"]
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
