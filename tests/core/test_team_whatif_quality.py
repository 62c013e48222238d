"""Threshold what-if on real audio (rules re-run, no ASR), speech-data quality ranking, batch summary."""
from __future__ import annotations

import pytest

from reviewer_app.core.batch import FileOutcome
from reviewer_app.core.pipeline import run_to_end
from reviewer_app.core.progress import Cancelled, CancelToken
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.team.batch_summary import batch_rows, batch_totals
from reviewer_app.core.team.quality import rank_clips, write_clip_list
from reviewer_app.core.team.whatif import what_if
from tests.core.test_team_sample_library import fixture_analysis, library  # noqa: F401 (fixture)


def test_same_settings_change_nothing_on_the_stereo_call(library):
    engine, _ = library
    result = run_to_end(what_if(engine, Settings()))
    assert len(result.calls) == 2 and len(result.skipped) == 8  # the made-up calls have no audio
    assert all("audio file not found" in line for line in result.skipped)
    basic = next(c for c in result.calls if c.path.endswith("call_basic.wav"))
    assert (basic.added, basic.removed) == (0, 0)
    assert {k: (v.kept, v.added, v.removed) for k, v in result.categories.items() if k != "poor_audio"} == {
        "dead_air": (1, 0, 0), "overtalk": (1, 0, 0), "forbidden_phrase": (1, 0, 0)}


def test_new_thresholds_count_additions_and_removals_against_reviews(library):
    engine, _ = library
    before = {c.id: (c.score_value, c.problem_counts) for c in repository.list_calls(engine)}
    settings = Settings()
    settings.rules.dead_air_min_s = 8.0  # the 7 s silence the reviewer confirmed goes
    settings.lexicon.forbidden = ["shut up"]  # the phrase the reviewer rejected goes
    settings.rules.fast_speech_wpm, settings.rules.fast_speech_min_words = 100.0, 5  # finds what she added
    progress = []
    result = run_to_end(what_if(engine, settings), progress.append)
    assert progress[-1].fraction == 1.0 and len(progress) == 11
    cats = result.categories
    assert (cats["dead_air"].removed, cats["dead_air"].removed_confirmed) == (1, 1)
    assert (cats["forbidden_phrase"].removed, cats["forbidden_phrase"].removed_rejected) == (1, 1)
    assert cats["fast_speech"].added == 2 and cats["fast_speech"].added_found_by_reviewer == 1  # + the mono call
    assert cats["overtalk"].net == 0
    basic = next(c for c in result.calls if c.path.endswith("call_basic.wav"))
    assert basic.score_before == 80 and basic.score_after != basic.score_before
    # nothing was written
    assert {c.id: (c.score_value, c.problem_counts) for c in repository.list_calls(engine)} == before


def test_what_if_can_be_cancelled(library):
    engine, _ = library
    token = CancelToken()
    gen = what_if(engine, Settings(), token)
    next(gen)
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(gen)


def test_quality_ranks_clean_clips_first_and_exports_them(library, tmp_path):
    engine, ids = library
    clips = rank_clips(engine)
    assert [c.score for c in clips] == sorted((c.score for c in clips), reverse=True)
    mono = next(c for c in clips if c.call_id == ids["mono"])
    assert mono.grade == "medium" and mono.dropouts == 1
    assert mono.clipping_share == pytest.approx(2.95 / 27.636, abs=1e-3)
    assert mono.noise_share == pytest.approx(3.0 / 27.636, abs=1e-3)
    assert mono.reasons[0].startswith("clipping") and "1 dropout(s)" in mono.reasons
    basic = next(c for c in clips if c.call_id == ids["basic"])
    assert basic.grade == "high" and 0.15 < basic.silence_share < 0.4 and basic.reasons == []
    listed = write_clip_list(clips, tmp_path / "clean.txt")
    lines = listed.read_text().splitlines()
    assert len(lines) == 9 and mono.path not in lines and basic.path in lines
    table = write_clip_list(clips, tmp_path / "all.csv", grades=("high", "medium", "low"))
    rows = table.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("path,sha256,grade,score") and len(rows) == 11


def test_batch_summary_rows_and_totals():
    basic = fixture_analysis("call_basic")
    rows = batch_rows([FileOutcome("/a/call_basic.wav", basic), FileOutcome("/a/again.wav", basic, skipped=True),
                       FileOutcome("/a/broken.wav", error="/a/broken.wav: not an audio file")])
    assert [r.state for r in rows] == ["analysed", "skipped", "failed"]
    assert rows[0].problems == {"dead_air": 1, "forbidden_phrase": 1, "overtalk": 1}
    totals = batch_totals(rows)
    assert (totals.files, totals.analysed, totals.skipped, totals.failed) == (3, 1, 1, 1)
    assert totals.mean_score == basic.score.value and totals.audio_s == pytest.approx(2 * 39.86)
    assert totals.problems == {"dead_air": 2, "forbidden_phrase": 2, "overtalk": 2}


def test_a_reviewers_relabelling_is_no_effect_of_the_settings(library):
    from reviewer_app.core.storage import LabelStore

    engine, ids = library
    segs = {s.category: s for s in repository.load_segments(engine, ids["basic"])}
    LabelStore(engine).edit(segs["overtalk"].id, "ana", category="repetition", start=segs["overtalk"].start + 0.5)
    result = run_to_end(what_if(engine, Settings()))  # the same settings: nothing may change
    basic = next(c for c in result.calls if c.path.endswith("call_basic.wav"))
    assert (basic.added, basic.removed) == (0, 0)
    assert "repetition" not in result.categories and result.categories["overtalk"].kept == 1
