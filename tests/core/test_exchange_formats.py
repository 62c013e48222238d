"""Round trips for every export format: export, then import or parse back, gives the same labels."""
from __future__ import annotations

import json

import pytest

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.evaluate import evaluate_dirs
from reviewer_app.core.exchange import EXPORT_FORMATS, csv_export, export_library, import_labels, json_export
from reviewer_app.core.exchange import rttm, srt, textgrid
from reviewer_app.core.exchange.audacity import parse_track
from reviewer_app.core.exchange.library import Label, iter_records, label_of, parse_label_text
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.db import open_database
from tests.conftest import shared
from tests.core.test_exchange_labelstudio import fresh, human, rejected  # noqa: F401 (fixture)
from tests.core.test_team_sample_library import library  # noqa: F401 (fixture)


def records(engine):
    return {r.summary.sha256: r for r in iter_records(engine)}


def test_every_format_writes_files_for_every_call(library, tmp_path):
    engine, _ = library
    for fmt in EXPORT_FORMATS:
        paths = export_library(engine, fmt, tmp_path / fmt)
        assert paths and all(p.is_file() for p in paths), fmt
        assert all(p.stat().st_size > 0 for p in paths) or fmt == "audacity", fmt  # no problems: empty track
        if fmt not in ("csv", "labelstudio"):
            assert len(paths) == 10, fmt


def test_audacity_round_trip(library, fresh, tmp_path):
    engine, _ = library
    export_library(engine, "audacity", tmp_path / "aud", which="human")
    assert [p.name for p in (tmp_path / "aud").iterdir()] == ["call_basic.txt"]  # the one reviewed call
    report = import_labels(fresh, "audacity", tmp_path / "aud", reviewer="ana")
    assert report.problems == [] and report.calls == 1
    assert human(fresh) == human(engine)
    assert rejected(fresh) == rejected(engine)
    text = (tmp_path / "aud" / "call_basic.txt").read_text()
    stamp, first = text.splitlines()[:2]
    assert stamp.startswith("0.000000\t0.000000\treviewer-app export 20")  # a point label Audacity keeps
    assert first == "1.000000\t3.500000\tfast_speech [agent]"


def test_audacity_reader_skips_spectral_lines_and_points_and_names_bad_lines():
    text = "1.5\t2.5\tdead air\n\\\t300.0\t3000.0\n4.0\t4.0\tpoint\n5\t6\tForbidden_Phrase [customer]\n"
    labels = parse_track(text, ("customer", "agent"))
    assert [(lb.start, lb.end, lb.category, lb.role) for lb in labels] == [
        (1.5, 2.5, "dead_air", "both"), (5.0, 6.0, "forbidden_phrase", "customer")]
    with pytest.raises(ReviewerError, match=r"f.txt line 2: label 'loud music'"):
        parse_track("1\t2\tdead_air\n3\t4\tloud music\n", ("customer", "agent"), "f.txt")
    assert parse_label_text("fast_speech") == ("fast_speech", "both")


def test_textgrid_tiles_each_tier_and_round_trips(library, fresh, tmp_path):
    engine, _ = library
    export_library(engine, "textgrid", tmp_path / "tg")
    by_sha = records(engine)
    overlapping = 0
    for r in by_sha.values():
        grid = textgrid.loads((tmp_path / "tg" / f"{r.stem}.TextGrid").read_text(encoding="utf-8"))
        roles = r.analysis.audio.roles
        assert [t.name for t in grid.tiers][:len(roles)] == list(roles)
        assert grid.tiers[-1].kind == "TextTier" and grid.tiers[-1].name == textgrid.EXPORT_TIER
        for tier in grid.tiers[:-1]:
            assert tier.intervals[0][0] == 0.0 and tier.intervals[-1][1] == grid.xmax
            assert all(a[1] == b[0] for a, b in zip(tier.intervals, tier.intervals[1:])), tier.name
            assert all(start < end for start, end, _ in tier.intervals)
        spoken = [(s, e, text) for t in grid.tiers if t.name in roles for s, e, text in t.intervals if text]
        assert sorted(spoken) == sorted((t.start, t.end, t.text) for t in r.analysis.transcript)
        entries = textgrid.labels_from(grid, roles, "x.TextGrid", r.summary.duration_s)
        assert [Label(e.start, e.end, e.category, e.role) for e in entries] == sorted(label_of(s) for s in r.findings)
        assert all(e.where.startswith("x.TextGrid tier 'problems") for e in entries)
        overlapping += any(t.name == "problems 2" for t in grid.tiers)
    assert overlapping  # chen's fast speech and overtalk overlap: they need a second problems tier

    report = import_labels(fresh, "textgrid", tmp_path / "tg", reviewer="praat")
    assert report.calls == 10 and report.problems == []
    assert human(fresh) == {sha: sorted(label_of(s) for s in r.findings) for sha, r in by_sha.items()}


def test_textgrid_reader_takes_praat_short_format_and_quotes():
    short = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n3.5\n<exists>\n1\n"IntervalTier"\n'
             '"problems"\n0\n3.5\n2\n0\n1.25\n"dead_air [both]"\n1.25\n3.5\n"say ""hi"""\n')
    grid = textgrid.loads(short)
    assert grid.tier("problems").intervals == [(0.0, 1.25, "dead_air [both]"), (1.25, 3.5, 'say "hi"')]
    assert textgrid.loads(textgrid.dumps(grid)).tiers == grid.tiers


def test_rttm_round_trip_and_reads_a_real_rttm(library, tmp_path):
    engine, _ = library
    export_library(engine, "rttm", tmp_path / "rttm")
    for r in records(engine).values():
        text = (tmp_path / "rttm" / f"{r.stem}.rttm").read_text()
        assert all(len(line.split()) == 10 and line.startswith("SPEAKER ") for line in text.splitlines())
        turns = rttm.loads(text)
        assert {t.file_id for t in turns} == {rttm.file_id(r.stem)}
        assert [(t.start, t.end, t.speaker) for t in turns] == sorted(
            (round(t.start, 3), round(t.end, 3), t.role) for t in r.analysis.transcript)
    sample = shared("telephone_en", "sample.rttm")
    turns = rttm.loads(sample.read_text())
    assert turns and turns[0].file_id == "sample" and all(t.end > t.start for t in turns)


def test_srt_round_trip(library, tmp_path):
    engine, _ = library
    export_library(engine, "srt", tmp_path / "srt")
    for r in records(engine).values():
        text = (tmp_path / "srt" / f"{r.stem}.srt").read_text()
        assert text.startswith("1\n00:00:")
        cues = srt.loads(text)
        assert [(c.start, c.end, c.role, c.text) for c in cues] == sorted(
            (round(t.start, 3), round(t.end, 3), t.role, t.text) for t in r.analysis.transcript)
    assert srt.timestamp(3725.5) == "01:02:05,500" and srt.parse_timestamp("01:02:05,5") == 3725.5


def test_csv_round_trip_and_formula_injection(library, tmp_path):
    engine, ids = library
    export_library(engine, "csv", tmp_path / "csv")
    raw = (tmp_path / "csv" / "segments.csv").read_text(encoding="utf-8-sig")
    assert ",'=cmd|' /C calc'!A0," in raw and ",=cmd" not in raw
    assert csv_export.read_labels(tmp_path / "csv" / "segments.csv") == {
        sha: labels for sha, labels in human(engine).items() if labels}
    notes = [row["note"] for row in csv_export.read_rows(tmp_path / "csv" / "segments.csv") if row["note"]]
    assert notes == ["=cmd|' /C calc'!A0"]
    calls = csv_export.read_rows(tmp_path / "csv" / "calls.csv")
    basic = next(c for c in calls if int(c["call_id"]) == ids["basic"])
    assert basic["review_status"] == "reviewed" and basic["forbidden_phrase"] == "0" and basic["dead_air"] == "1"
    assert csv_export.escape_cell("-1+1") == "'-1+1" and csv_export.escape_cell(-1.5) == -1.5
    assert csv_export.escape_cell("@SUM(A1)") == "'@SUM(A1)" and csv_export.escape_cell("plain") == "plain"


def test_json_round_trip_and_evaluate_reads_it(library, tmp_path):
    engine, _ = library
    export_library(engine, "json", tmp_path / "json")
    by_sha = records(engine)
    for sha, labels in human(engine).items():
        r = by_sha[sha]
        got_sha, got = json_export.read_labels(tmp_path / "json" / f"{r.stem}.json")
        assert got_sha == sha and got == labels
    data = json.loads((tmp_path / "json" / "call_basic.json").read_text())
    assert [s["category"] for s in data["rejected_segments"]] == ["forbidden_phrase"]
    assert len(data["predictions"]) == 3 and data["review_status"] == "reviewed"
    scores = evaluate_dirs(tmp_path / "json", tmp_path / "json")
    assert all(s.f1 == 1.0 for s in scores.values())


def test_import_names_the_call_for_a_file_with_another_name(library, fresh, tmp_path):
    engine, ids = library
    export_library(engine, "audacity", tmp_path / "aud", which="human")
    renamed = tmp_path / "from audacity.txt"
    renamed.write_text((tmp_path / "aud" / "call_basic.txt").read_text())
    with pytest.raises(ReviewerError, match="no call in the library has this file name"):
        import_labels(fresh, "audacity", renamed, reviewer="ana")
    basic = next(c for c in repository.list_calls(fresh) if c.path.endswith("call_basic.wav"))
    report = import_labels(fresh, "audacity", renamed, reviewer="ana", call=basic.sha256[:10])
    assert report.added == 2 and report.confirmed == 1


def test_export_of_an_empty_library_writes_headers_only(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert export_library(engine, "audacity", tmp_path / "a") == []
    rows = csv_export.read_rows(export_library(engine, "csv", tmp_path / "c")[1])
    assert rows == []
    with pytest.raises(ReviewerError, match="unknown export format 'xls'"):
        export_library(engine, "xls", tmp_path / "x")
