"""Fuzzing the files a user hands the app besides audio: settings TOML, `evaluate` truth files and
label JSON. Each case runs in a forked child under a memory and a time cap (tests/fuzz_caps.py);
it must end in a result that holds up or in one clean line naming the file, never a crash, a hang
or a memory blow-up.

The default run replays the same few hundred cases (reproducible); FUZZ_EXAMPLES=N explores N per
test with new cases, e.g. `FUZZ_EXAMPLES=2500 nice -n 10 .venv/bin/python -m pytest -q -p no:randomly
tests/core/test_fuzz_settings_truth.py`.
"""
from __future__ import annotations

import dataclasses
import json
import math
import time

import pytest
from hypothesis import event, given
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st

from reviewer_app.core.detect.detector import detect_problems
from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.errors import ReviewerError, SettingsError
from reviewer_app.core.evaluate import evaluate_dirs
from reviewer_app.core.labels_io import read_label_file
from reviewer_app.core.scoring import score_call
from reviewer_app.core.settings import Settings, dump_settings, load_settings, save_settings
from tests.core import rule_builders as rb
from tests.fuzz_caps import CapExceeded, capped, fuzz_settings

MAX_MESSAGE = 500


def _count(kind: str) -> None:
    """Counted in --hypothesis-show-statistics: how many cases loaded and how many were refused."""
    if currently_in_test_context():
        event(kind)


def _clean_error(err: Exception, path) -> None:
    message = str(err)
    assert "\n" not in message and "\x1b" not in message, message
    assert len(message) < MAX_MESSAGE + len(str(path)), message[:200]
    assert str(path) in message or path.name in message, message[:200]


# ---- the caps themselves -----------------------------------------------------------------------

def _allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))


def _spin() -> None:
    while True:
        pass


def test_caps_stop_a_memory_blow_up_and_a_hang_and_pass_results_and_errors_through():
    assert capped(_allocate, 1024) == 1024
    with pytest.raises(MemoryError):
        capped(_allocate, 4 << 30, memory_mb=256)
    started = time.monotonic()
    with pytest.raises(CapExceeded, match="took longer than 1 s"):
        capped(_spin, seconds=1)
    assert time.monotonic() - started < 10
    with pytest.raises(SettingsError, match="boom"):
        capped(load_settings_raising)


def load_settings_raising():
    raise SettingsError("boom")


# ---- settings TOML -----------------------------------------------------------------------------

SECTIONS = {f.name: [g.name for g in dataclasses.fields(getattr(Settings(), f.name))]
            for f in dataclasses.fields(Settings)}

scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10**20, 10**20),
    st.sampled_from([10**400, -10**400, 0, 1, -1, 2**63, 2**64]),
    st.booleans(),
    st.text(max_size=20),
    st.sampled_from(["agent", "customer", "both", "cpu", "cuda", "auto", "early", "late", "", " ", "\x1b[2J",
                     "a\nb", "x" * 5000]),
)
toml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)


def _key() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(sorted({k for keys in SECTIONS.values() for k in keys})), st.text(max_size=10))


def _toml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**4000 else "1" + "0" * 4500
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are TOML basic-string escapes (bar a few: fine)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_scalar(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_scalar(v)}" for k, v in value.items()) + "}"


def toml_text(doc: dict) -> str:
    lines = []
    for section, keys in doc.items():
        lines.append(f"[{json.dumps(section)}]" if section not in SECTIONS else f"[{section}]")
        lines.extend(f"{json.dumps(k)} = {_toml_scalar(v)}" for k, v in keys.items())
    return "\n".join(lines) + "\n"


settings_docs = st.dictionaries(
    st.one_of(st.sampled_from(sorted(SECTIONS)), st.text(max_size=6)),
    st.dictionaries(_key(), toml_values, max_size=4),
    max_size=3,
)


def _sample_call():
    """A 40 s stereo call: a greeting, a 7 s silence, overtalk, fast agent speech, a forbidden phrase."""
    agent = rb.speech(0.5, 12, {0.5: "thank you for calling how can i help", 9.0: "shut up"}, step=0.25)
    agent += rb.speech(19, 30, {28.0: "have a nice day goodbye"}, step=0.15)
    customer = rb.speech(11, 13, step=0.3) + rb.speech(29, 38, step=0.5)
    turns = [rb.turn("agent", agent[:len(agent) // 2]), rb.turn("agent", agent[len(agent) // 2:]),
             rb.turn("customer", customer)]
    return rb.context(40.0, turns)


SAMPLE_CALL = _sample_call()


def _value_for(default) -> st.SearchStrategy:
    """Values of the key's own type: mostly near the default (so whole files load and run), the edges
    (nan, inf, 0, negative, huge), and now and then another type."""
    wrong = scalars
    if isinstance(default, bool):
        near = edges = st.booleans()
    elif isinstance(default, float):
        near = st.floats(0.5, 2.0).map(lambda k: default * k)
        edges = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
            [0.0, -0.0, -1.0, 1e-300, 1e300, 5e-324, -default, default * 1000, default / 1000]))
    elif isinstance(default, int):
        near = st.integers(max(default // 2, 0), default * 2 + 1)
        edges = st.one_of(st.integers(-10, 10**6), st.sampled_from([0, -1, 2**31, 2**63, 10**30]))
    elif isinstance(default, str):
        near = st.just(default)
        edges = st.one_of(st.text(max_size=12), st.sampled_from(["auto", "cpu", "cuda", "mps", "early", "late",
                                                                  "cross_attention", "encoder", "heads_only", ""]))
    elif isinstance(default, list):
        near = st.permutations(default) if len(default) <= 2 else st.lists(st.sampled_from(default), min_size=1,
                                                                          max_size=5, unique=True)
        edges = st.lists(st.one_of(st.sampled_from(["agent", "customer", "both", "", " ", "hello"]),
                                   st.text(max_size=8)), max_size=4)
    else:
        near = st.dictionaries(st.sampled_from(sorted(default)), st.integers(0, 30), max_size=3)
        edges = st.dictionaries(st.sampled_from(["dead_air", "overtalk", "fast_speech", "nope"]),
                                st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 200)),
                                max_size=3)
    return st.one_of(near, near, edges, edges, wrong)


@st.composite
def targeted_docs(draw):
    """Mostly well-formed settings files: known sections and keys, values of (nearly) the right type."""
    doc = {}
    for section in draw(st.lists(st.sampled_from(sorted(SECTIONS)), min_size=1, max_size=3, unique=True)):
        defaults = getattr(Settings(), section)
        keys = draw(st.lists(st.sampled_from(SECTIONS[section]), min_size=1, max_size=3, unique=True))
        doc[section] = {k: draw(_value_for(getattr(defaults, k))) for k in keys}
    return doc


def _load_and_check(path):
    """In the child: load. A loaded Settings must validate again, be finite, round-trip, and give sane
    results: findings inside the call with finite bounds and scores, dead air at least as long as the
    setting, a score in 0..100 whose deductions add up, a call without problems graded high."""
    try:
        settings = load_settings(path)
    except SettingsError as err:
        return ("error", str(err))
    settings.validate()
    for section in dataclasses.fields(settings):
        for f in dataclasses.fields(getattr(settings, section.name)):
            value = getattr(getattr(settings, section.name), f.name)
            numbers = value.values() if isinstance(value, dict) else [value]
            assert all(math.isfinite(v) for v in numbers if isinstance(v, (int, float))), (section.name, f.name)
    again = path.with_name("again.toml")
    save_settings(settings, again)
    assert load_settings(again) == settings
    call = SAMPLE_CALL
    segments = detect_problems(call, settings)
    for seg in segments:
        assert math.isfinite(seg.start) and math.isfinite(seg.end) and 0 <= seg.start < seg.end <= call.duration_s
        assert seg.category in CATEGORIES and math.isfinite(seg.score) and 0 <= seg.score <= 1, seg
        if seg.category == "dead_air":
            assert seg.end - seg.start >= settings.rules.dead_air_min_s - 0.05, (seg, settings.rules.dead_air_min_s)
    score = score_call(segments, settings.score)
    assert 0 <= score.value <= 100 and all(d > 0 for d in score.deductions.values())
    assert score.value == max(0, 100 - sum(score.deductions.values()))
    perfect = score_call([], settings.score)
    assert (perfect.value, perfect.grade) == (100, "high"), (perfect, settings.score)
    return ("ok", settings)


def _check_settings_case(path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    kind, value = capped(_load_and_check, path)
    _count(f"settings {kind}")
    if kind == "error":
        _clean_error(SettingsError(value), path)


@fuzz_settings(60)
@given(settings_docs)
def test_settings_from_random_documents(tmp_path_factory, doc):
    folder = tmp_path_factory.mktemp("toml", numbered=True)
    _check_settings_case(folder / "qa.toml", toml_text(doc))


@fuzz_settings(60)
@given(targeted_docs())
def test_settings_from_well_formed_documents_with_edge_values(tmp_path_factory, doc):
    folder = tmp_path_factory.mktemp("tomlt", numbered=True)
    _check_settings_case(folder / "qa.toml", toml_text(doc))


edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.sampled_from(
    list(b"[]=\"'.,{}#\n\\ 0123456789-+e") + [0, 0x1b, 0x7f, 0xff])), min_size=1, max_size=6)


def _mutate(seed: bytes, changes) -> bytes:
    data = bytearray(seed)
    for kind, pos, value in changes:
        pos %= max(len(data), 1)
        if kind == 0 and data:
            data[pos] = value
        elif kind == 1:
            del data[pos:pos + value % 8 + 1]
        else:
            data[pos:pos] = bytes([value]) * (value % 4 + 1)
    return bytes(data)


SETTINGS_SEED = dump_settings(Settings()).encode("utf-8")


@fuzz_settings(40)
@given(edits)
def test_settings_from_mutated_bytes_of_a_full_file(tmp_path_factory, changes):
    folder = tmp_path_factory.mktemp("tomlb", numbered=True)
    path = folder / "qa.toml"
    path.write_bytes(_mutate(SETTINGS_SEED, changes))
    kind, value = capped(_load_and_check, path)
    _count(f"settings {kind}")
    if kind == "error":
        _clean_error(SettingsError(value), path)


@pytest.mark.parametrize("text", [
    "a = " + "[" * 100_000 + "]" * 100_000,
    "a = " + "{b = " * 5_000 + "1" + "}" * 5_000,
    "[" + ".".join(["a"] * 50_000) + "]",
    "[rules]\ndead_air_min_s = 1" + "0" * 100_000,
    '[reviewer]\nname = "' + "x" * 5_000_000 + '"',
])
def test_settings_extremes(tmp_path, text):
    _check_settings_case(tmp_path / "qa.toml", text)


# ---- evaluate truth files ----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(["dead_air", "overtalk", "agent", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["start", "end", "category", "role", "segments", "x"]) | st.text(max_size=6), children,
        max_size=4),
    max_leaves=12,
)
segments = st.lists(st.fixed_dictionaries(
    {"start": st.floats(-10, 100) | st.just(math.nan) | st.integers(-5, 100),
     "end": st.floats(-10, 100) | st.integers(0, 100),
     "category": st.sampled_from(["dead_air", "overtalk", "fast_speech"])},
    optional={"role": st.sampled_from(["agent", "customer", "both"]) | json_values}), max_size=6)


def _evaluate(truth_dir, pred_dir):
    try:
        scores = evaluate_dirs(truth_dir, pred_dir)
    except ReviewerError as err:
        return ("error", str(err))
    for s in scores.values():
        assert 0 <= s.true_positives <= min(s.predicted, s.truth)
        for v in (s.precision, s.recall, s.f1):
            assert 0.0 <= v <= 1.0 and math.isfinite(v)
    return ("ok", {c: s.as_dict() for c, s in scores.items()})


def _check_truth_case(folder, truth_text: str, pred_text: str) -> None:
    truth, pred = folder / "truth", folder / "pred"
    truth.mkdir()
    pred.mkdir()
    (truth / "call.json").write_text(truth_text, encoding="utf-8", errors="surrogatepass")
    (pred / "call.json").write_text(pred_text, encoding="utf-8", errors="surrogatepass")
    kind, value = capped(_evaluate, truth, pred)
    _count(f"evaluate {kind}")
    if kind == "error":
        _clean_error(ReviewerError(value), truth / "call.json")


good_segments = st.lists(st.tuples(st.floats(0, 100), st.floats(0, 10), st.sampled_from(
    ["dead_air", "overtalk", "fast_speech"]), st.sampled_from(["agent", "customer", "both"])).map(
    lambda t: {"start": t[0], "end": t[0] + t[1], "category": t[2], "role": t[3]}), max_size=6)
truth_docs = st.one_of(good_segments, good_segments, segments, json_values)


@fuzz_settings(60)
@given(truth_docs, truth_docs)
def test_truth_files_of_random_json(tmp_path_factory, truth_doc, pred_doc):
    folder = tmp_path_factory.mktemp("truth", numbered=True)
    _check_truth_case(folder, json.dumps({"segments": truth_doc} if isinstance(truth_doc, list) else truth_doc),
                      json.dumps(pred_doc))


TRUTH_SEED = json.dumps({"segments": [{"start": 1.5, "end": 7.25, "category": "dead_air", "role": "both"},
                                      {"start": 10, "end": 12, "category": "overtalk", "role": "agent"}]}).encode()


@fuzz_settings(40)
@given(edits)
def test_truth_files_of_mutated_bytes(tmp_path_factory, changes):
    folder = tmp_path_factory.mktemp("truthb", numbered=True)
    _check_truth_case(folder, _mutate(TRUTH_SEED, changes).decode("utf-8", "surrogateescape"), TRUTH_SEED.decode())


# ---- label JSON (`reviewer-app labels import`) --------------------------------------------------

label_entries = st.lists(st.one_of(
    st.fixed_dictionaries({"audio": st.sampled_from(["call.wav", "/abs/call.wav", "../up.wav", "", "a\x00b"])
                           | st.text(max_size=10),
                           "start": st.floats(allow_nan=True) | st.integers(-10, 10**30),
                           "end": st.floats(allow_nan=True) | st.integers(-10, 10**30),
                           "category": st.sampled_from(["dead_air", "overtalk", "nope"]) | json_values,
                           "status": st.sampled_from(["added", "confirmed", "rejected", "weird"]) | json_values},
                          optional={"role": json_values, "note": json_values, "exported_at": json_values}),
    json_values), max_size=6)


def _read_labels(path):
    try:
        entries = read_label_file(path)
    except ReviewerError as err:
        return ("error", str(err))
    assert isinstance(entries, list) and all(isinstance(e, dict) and "n" in e for e in entries)
    return ("ok", len(entries))


@fuzz_settings(60)
@given(st.one_of(label_entries, json_values))
def test_label_json_of_random_entries(tmp_path_factory, doc):
    folder = tmp_path_factory.mktemp("labels", numbered=True)
    path = folder / "labels.json"
    path.write_text(json.dumps(doc), encoding="utf-8", errors="surrogatepass")
    kind, value = capped(_read_labels, path)
    _count(f"labels {kind}")
    if kind == "error":
        _clean_error(ReviewerError(value), path)
