"""Fuzzing the label importers: mutated Label Studio, Audacity and TextGrid files end in a clean
ReviewerError or a correct import, never a crash, a hang or an invalid label in the database.

Each case runs in a forked child under a memory and a time cap (tests/fuzz_caps.py): a file that
makes the importer allocate gigabytes or spin fails the case instead of the machine. The child
opens its own engine on the library file."""
from __future__ import annotations

import json
import math
import os

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from reviewer_app.core.domain import CATEGORIES, ROLES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import export_library, import_labels
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.repository import load_segments, save_analysis
from tests.core.test_storage import make_analysis
from tests.fuzz_caps import capped, fuzz_settings

# The default run replays the same cases every time (CI stays reproducible);
# FUZZ_EXAMPLES=2000 searches new ones. FUZZ_CAP_MB / FUZZ_CAP_S change the caps.
FUZZ = fuzz_settings(default=int(os.environ.get("FUZZ_CASES", 150)))
CASE_MB, CASE_S = 512, 20.0  # per case, over what the child starts with


def _library(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzzlib")
    url = f"sqlite:///{root / 'lib.sqlite3'}"
    engine = open_database(url)
    call_id = save_analysis(engine, make_analysis())
    seeds = {fmt: export_library(engine, fmt, root / fmt)[0] for fmt in ("labelstudio", "audacity", "textgrid")}
    engine.dispose()  # the capped children open their own
    return url, call_id, {fmt: path.read_bytes() for fmt, path in seeds.items()}


def _labels_are_valid(engine, call_id):
    duration = make_analysis().audio.duration_s
    for seg in load_segments(engine, call_id):
        assert math.isfinite(seg.start) and math.isfinite(seg.end) and 0 <= seg.start < seg.end
        assert seg.end <= duration + 0.5
        assert seg.category in CATEGORIES and seg.role in ROLES
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def _case(url, call_id, fmt, folder, data: bytes) -> str | None:
    """One import in the capped child: None, or the one-line ReviewerError it ended with."""
    path = os.path.join(folder, {"labelstudio": "export.json", "audacity": "track.txt", "textgrid": "grid.TextGrid"}[fmt])
    with open(path, "wb") as fh:
        fh.write(data)
    engine = open_database(url)
    try:
        try:
            import_labels(engine, fmt, path, "fuzzer", call=None if fmt == "labelstudio" else str(call_id))
            outcome = None
        except ReviewerError as err:
            outcome = str(err)
        _labels_are_valid(engine, call_id)
        return outcome
    finally:
        engine.dispose()


def _import(url, call_id, fmt, tmp_path, data: bytes):
    error = capped(_case, url, call_id, fmt, str(tmp_path), data, memory_mb=CASE_MB, seconds=CASE_S)
    if error is not None:
        assert "\n" not in error and len(error) < 600, error


def _mutate_bytes(seed: bytes, edits) -> bytes:
    data = bytearray(seed)
    for kind, pos, value in edits:
        if not data:
            break
        pos %= len(data)
        if kind == 0:
            data[pos] = value
        elif kind == 1:
            del data[pos:pos + value % 16 + 1]
        else:
            data[pos:pos] = bytes([value]) * (value % 5 + 1)
    return bytes(data)


byte_edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                      max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def test_label_studio_json_with_mutated_values(tmp_path_factory):
    url, call_id, seeds = _library(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("ls")
    tasks = json.loads(seeds["labelstudio"])

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, prefix + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, prefix + (i,))

    all_paths = list(paths(tasks))

    @FUZZ
    @given(st.lists(st.tuples(st.integers(0, len(all_paths) - 1), json_values), min_size=1, max_size=4))
    def run(replacements):
        doc = json.loads(seeds["labelstudio"])
        for index, value in replacements:
            where = all_paths[index]
            if not where:
                doc = value
                continue
            node = doc
            try:
                for key in where[:-1]:
                    node = node[key]
                node[where[-1]] = value
            except (KeyError, IndexError, TypeError):
                pass
        _import(url, call_id, "labelstudio", tmp, json.dumps(doc).encode())

    run()


def test_label_files_with_mutated_bytes(tmp_path_factory):
    url, call_id, seeds = _library(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("bytes")

    @FUZZ
    @given(st.sampled_from(["labelstudio", "audacity", "textgrid"]), byte_edits)
    def run(fmt, edits):
        _import(url, call_id, fmt, tmp, _mutate_bytes(seeds[fmt], edits))

    run()


def test_label_files_of_random_text(tmp_path_factory):
    url, call_id, _ = _library(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("text")
    line = st.one_of(
        st.text(max_size=40),
        st.builds(lambda a, b, c: f"{a}\t{b}\t{c}", st.floats(allow_nan=True), st.floats(allow_nan=True),
                  st.text(max_size=20)),
    )

    @FUZZ
    @given(st.sampled_from(["audacity", "textgrid"]), st.lists(line, max_size=8))
    def run(fmt, lines):
        _import(url, call_id, fmt, tmp, "\n".join(lines).encode("utf-8", "surrogatepass"))

    run()
