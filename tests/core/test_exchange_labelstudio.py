"""Label Studio: the export read strictly the way Label Studio reads it, and annotations imported back."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange import export_library, import_labels
from reviewer_app.core.exchange.labelstudio import CONFIG_FILE, TASKS_FILE, find_task_call
from reviewer_app.core.exchange.library import iter_records
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import LabelStore
from tests.core.test_team_sample_library import build_library, library  # noqa: F401 (fixture)


@pytest.fixture
def fresh(tmp_path):
    """The same calls, analysed but never reviewed: where imports land."""
    engine = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    build_library(engine)
    yield engine
    engine.dispose()


def human(engine) -> dict[str, list]:
    return {r.summary.sha256: r.human_labels for r in iter_records(engine)}


def rejected(engine) -> dict[str, set]:
    return {r.summary.sha256: {(s.start, s.end, s.category) for s in r.rejected} for r in iter_records(engine)}


def read_config(path):
    """The control and object tags of a labelling config, as Label Studio's parser sees them."""
    root = ET.parse(path).getroot()
    assert root.tag == "View"
    objects = {el.get("name"): el for el in root.iter() if el.tag in ("Audio", "AudioPlus")}
    controls = {el.get("name"): el for el in root.iter() if el.tag in ("Labels", "Choices")}
    for control in controls.values():
        assert control.get("toName") in objects, control.attrib
    return objects, controls


def check_result(result, objects, controls, duration):
    """Every region result names a control of the config and an object it points to; seconds in range."""
    ids = {}
    for item in result:
        assert set(item) >= {"id", "from_name", "to_name", "type", "value"}, item
        control = controls[item["from_name"]]
        assert item["to_name"] == control.get("toName") and item["to_name"] in objects
        assert item["type"] == control.tag.lower()
        value = item["value"]
        assert isinstance(value["start"], float | int) and isinstance(value["end"], float | int)
        assert 0 <= value["start"] < value["end"] <= duration + 1e-6
        assert isinstance(value["channel"], int) and value["channel"] in (0, 1)
        allowed = {c.get("value") for c in control}
        key = "labels" if control.tag == "Labels" else "choices"
        assert value[key] and set(value[key]) <= allowed, value
        ids.setdefault(item["id"], []).append(item["type"])
    # a region is one labels result and its per-region role choice, sharing the id
    assert all(sorted(types) == ["choices", "labels"] for types in ids.values()), ids


def test_export_is_a_task_list_label_studio_accepts(library, tmp_path):
    engine, ids = library
    paths = export_library(engine, "labelstudio", tmp_path / "ls")
    assert sorted(p.name for p in paths) == sorted([TASKS_FILE, CONFIG_FILE])
    objects, controls = read_config(tmp_path / "ls" / CONFIG_FILE)
    assert objects["audio"].get("value") == "$audio"
    assert [el.get("value") for el in controls["label"]] == list(CATEGORIES)
    assert controls["role"].get("perRegion") == "true"

    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text(encoding="utf-8"))
    assert isinstance(tasks, list) and len(tasks) == 10
    by_sha = {c.sha256: c for c in repository.list_calls(engine)}
    for task in tasks:
        assert set(task) == {"data", "annotations", "predictions"}
        call = by_sha[task["data"]["sha256"]]
        assert task["data"]["audio"] == call.path  # the $audio field of the config
        for prediction in task["predictions"]:
            assert isinstance(prediction["model_version"], str) and 0 <= prediction["score"] <= 1
            check_result(prediction["result"], objects, controls, call.duration_s)
            assert all(0 <= r["score"] <= 1 for r in prediction["result"] if r["type"] == "labels")
        for annotation in task["annotations"]:
            assert annotation["was_cancelled"] is False
            check_result(annotation["result"], objects, controls, call.duration_s)
    basic = next(t for t in tasks if t["data"]["sha256"] == by_sha_of(engine, ids["basic"]))
    regions = {(r["value"]["labels"][0], r["value"]["start"], r["value"]["end"])
               for r in basic["annotations"][0]["result"] if r["type"] == "labels"}
    assert regions == {("fast_speech", 1.0, 3.5), ("dead_air", 15.379, 22.379), ("overtalk", 24.6, 26.5),
                       ("negative_emotion", 31.9, 35.9)}
    # predictions are what the detector found: the overtalk before the reviewer moved it, the rejected one too
    predicted = {(r["value"]["labels"][0], r["value"]["start"], r["value"]["end"])
                 for r in basic["predictions"][0]["result"] if r["type"] == "labels"}
    assert predicted == {("dead_air", 15.379, 22.379), ("overtalk", 24.595, 26.795),
                         ("forbidden_phrase", 29.934, 31.309)}
    unreviewed = [t for t in tasks if t["data"]["sha256"] != basic["data"]["sha256"]]
    assert all(t["annotations"] == [] for t in unreviewed)


def by_sha_of(engine, call_id):
    return next(c.sha256 for c in repository.list_calls(engine) if c.id == call_id)


def test_round_trip_gives_the_same_human_labels(library, fresh, tmp_path):
    engine, _ = library
    export_library(engine, "labelstudio", tmp_path / "ls")
    report = import_labels(fresh, "labelstudio", tmp_path / "ls" / TASKS_FILE, reviewer="importer")
    assert report.calls == 1 and report.problems == []
    assert (report.confirmed, report.edited, report.added, report.rejected) == (1, 1, 2, 1)
    assert human(fresh) == human(engine)
    assert rejected(fresh) == rejected(engine)
    basic = next(c for c in repository.list_calls(fresh) if c.review_status != "new")
    assert basic.review_status == "reviewed"
    events = LabelStore(fresh).events(basic.id)
    assert {e.reviewer for e in events} == {"importer"}

    again = import_labels(fresh, "labelstudio", tmp_path / "ls" / TASKS_FILE, reviewer="importer")
    assert (again.confirmed, again.edited, again.added, again.rejected, again.unchanged) == (0, 0, 0, 0, 4)
    assert human(fresh) == human(engine)


def test_annotation_made_in_label_studio_is_imported(library, fresh, tmp_path):
    """As Label Studio exports it: local-files URL, no sha256, a cancelled draft, a region without role."""
    engine, ids = library
    export_library(engine, "labelstudio", tmp_path / "ls")
    tasks = json.loads((tmp_path / "ls" / TASKS_FILE).read_text())
    task = next(t for t in tasks if t["annotations"])
    del task["data"]["sha256"], task["data"]["path"]
    task["data"]["audio"] = "/data/local-files/?d=calls%2Fcall_basic.wav"
    result = [r for r in task["annotations"][0]["result"] if r["id"] != "s1" or r["type"] == "labels"]
    result = [r for r in result if not (r["type"] == "labels" and r["value"]["labels"] == ["negative_emotion"])]
    result.append({"id": "xYz12", "from_name": "label", "to_name": "audio", "type": "labels",
                   "origin": "manual", "value": {"start": 36.5, "end": 39.0, "channel": 1,
                                                   "labels": ["Missing Closing"]}})
    task["annotations"] = [{"result": [], "was_cancelled": True, "updated_at": "2030-01-01T00:00:00Z"},
                           {"id": 7, "completed_by": 1, "result": result, "was_cancelled": False,
                            "ground_truth": False, "updated_at": "2024-05-01T10:00:00Z"}]
    path = tmp_path / "project-1-at-2024.json"
    path.write_text(json.dumps([task]))
    report = import_labels(fresh, "labelstudio", path, reviewer="ls-user")
    assert report.calls == 1 and report.added == 2  # fast speech (reviewer-added) and the closing
    labels = {(lb.category, lb.role) for lb in human(fresh)[by_sha_of(engine, ids["basic"])]}
    calls = repository.list_calls(fresh)
    uploaded = find_task_call(fresh, {"audio": "/data/upload/3/5f2e9c1a-call_basic.wav"}, calls)
    assert uploaded is not None and uploaded.path.endswith("call_basic.wav")
    assert labels == {("fast_speech", "agent"), ("dead_air", "both"), ("overtalk", "customer"),
                      ("missing_closing", "agent")}  # channel 1 of a customer/agent call is the agent
    # (the overtalk is the customer's: the side that started later talks over the other)


def test_bad_exports_name_the_problem(fresh, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"not": "tasks"}')
    with pytest.raises(ReviewerError, match="no 'data' object"):
        import_labels(fresh, "labelstudio", path, reviewer="x")
    speech = {"id": "a", "from_name": "label", "type": "labels", "value": {"start": 0, "end": 1, "labels": ["Speech"]}}
    path.write_text(json.dumps([{"data": {"audio": "nowhere.wav"}, "annotations": [{"result": [speech]}]}]))
    with pytest.raises(ReviewerError, match="'Speech' is not a problem category"):
        import_labels(fresh, "labelstudio", path, reviewer="x")
    path.write_text(json.dumps([{"data": {"audio": "nowhere.wav"}, "annotations": [{"result": []}]}]))
    with pytest.raises(ReviewerError, match=r"bad.json task 1: no call in the library for task audio 'nowhere.wav'"):
        import_labels(fresh, "labelstudio", path, reviewer="x")
