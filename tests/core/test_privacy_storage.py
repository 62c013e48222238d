"""`[privacy] redact = true`: analysis stores only the redacted transcript and where the personal data
was; no export format carries what was redacted; the audit log names who, when and which kinds.
One real analysis of a generated call (espeak-ng, 8 kHz, tiny.en) through the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reviewer_app.core.exchange import EXPORT_FORMATS, export_library
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.redactions import REDACT, current_spans, redaction_entries
from reviewer_app.core.storage.repository import list_calls, load_analysis
from reviewer_app.core.synth.pii_speech import Said, digit_words, render_call
from reviewer_app.core.synth.speech import tools_available, write_wav

CARD = "4532015112830366"
# the card as ASR may write it: groups, or the whole; and spoken
CARD_TEXTS = ("4532", "0151", "1283", "0366", "45320151", "four five three two", "zero one five one")


@pytest.mark.skipif(not tools_available(), reason="espeak-ng and sox are needed")
def test_analysis_with_redact_stores_and_exports_no_personal_data(tmp_path, app_env):
    lines = [("agent", ["Thank you for calling. Can I have the card number please?"]),
             ("customer", ["Sure, it is", Said("card", digit_words(CARD)), "and we are 2 people."]),
             ("agent", ["Thanks, that is all. Have a nice day."])]
    x, truth = render_call(lines, ("customer", "agent"), voices={"agent": "en-gb", "customer": "en-us"})
    call = tmp_path / "call.wav"
    write_wav(call, x, 8000)
    config = tmp_path / "qa.toml"
    config.write_text("[privacy]\nredact = true\n")
    url = f"sqlite:///{tmp_path / 'lib.sqlite3'}"
    done = subprocess.run([sys.executable, "-m", "reviewer_app", "analyze", str(call), "--config", str(config),
                           "--asr-model", "tiny.en", "--db", url, "--out", str(tmp_path / "json")],
                          capture_output=True, text=True, env=app_env, timeout=600)
    assert done.returncode == 0, done.stderr

    written = json.loads((tmp_path / "json" / "call.json").read_text())
    assert [p["kind"] for p in written["pii"]] == ["card"]
    assert set(written["pii"][0]) == {"kind", "role", "start", "end", "first", "last", "char_start", "char_end"}
    said, span = truth[0], written["pii"][0]
    assert span["role"] == "customer" and span["start"] < said.end and said.start < span["end"]

    engine = open_database(url)
    stored = load_analysis(engine, written["audio"]["sha256"])
    text = " ".join(t.text for t in stored.transcript)
    assert "[CARD]" in text
    call_id = list_calls(engine)[0].id
    assert [s.kind for s in current_spans(engine, call_id)] == ["card"]

    # the audit log: who, when, which kinds and where; never the words
    (who, at, entry), = redaction_entries(engine, call_id)
    assert who and at is not None and entry["redacted"] == {"card": 1} and entry["source"] == "analysis"
    events = [e for e in LabelStore(engine).events(call_id) if e.action == REDACT]
    assert len(events) == 1 and events[0].segment_id is None

    everything = [json.dumps(written), json.dumps(entry)]
    for fmt in EXPORT_FORMATS:
        out = tmp_path / "export" / fmt
        for path in export_library(engine, fmt, out):
            everything.append(path.read_text(encoding="utf-8", errors="replace"))
    dump = "\n".join(everything).casefold()
    assert "[card]" in dump  # the transcript is exported, redacted
    leaked = [t for t in CARD_TEXTS if t in dump]
    assert not leaked, f"exports carry redacted data: {leaked}"


def test_redaction_entries_without_asr(tmp_path):
    """A redacted analysis saved twice: two audit entries; the window's spans are the latest's, and
    none once the call is analysed again without redaction. The history line names the kinds only."""
    from dataclasses import replace

    from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Turn, Word
    from reviewer_app.core.privacy.redact import redact_transcript
    from reviewer_app.core.review.history import history_lines
    from reviewer_app.core.storage.repository import save_analysis

    words = [Word(w, round(i * 0.4, 3), round(i * 0.4 + 0.3, 3), 0.9) for i, w in enumerate("my card is 4532 0151 1283 0366".split())]
    turns = [Turn("customer", 0.0, 3.0, " ".join(w.word for w in words), tuple(words))]
    redacted, spans = redact_transcript(turns)
    audio = AudioInfo(str(tmp_path / "a.wav"), "ab" * 32, 3.0, 8000, 2, ("customer", "agent"))
    analysis = CallAnalysis(audio, "en", redacted, [], CallScore(100, "high"), {}, {}, pii=spans)
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    call_id = save_analysis(engine, analysis)
    save_analysis(engine, analysis)
    assert len(redaction_entries(engine, call_id)) == 2
    assert current_spans(engine, call_id) == spans
    line = history_lines(LabelStore(engine).events(call_id))[0]
    assert line.what == "call: personal data redacted (1 card)" and not line.revertible
    save_analysis(engine, replace(analysis, pii=[], transcript=turns))  # redaction switched off
    assert current_spans(engine, call_id) == []
