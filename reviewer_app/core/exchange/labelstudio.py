"""Label Studio: export tasks (with predictions and annotations) and import its JSON export.

Export writes `labelstudio_tasks.json` (a list of tasks, Label Studio's import
format) and `labelstudio_config.xml`, the labelling config to paste into the
project: an <Audio name="audio" value="$audio"> object, a <Labels
name="label"> control with one label per problem category, and a per-region
<Choices name="role"> control for the speaker.

Each region is one `labels` result (value: start and end in seconds, the
audio channel, the category) plus one `choices` result with the same region
id giving its role. The detector's segments go to `predictions` (with their
score); a reviewed call's human labels go to `annotations`.

Import reads Label Studio's JSON export: per task the latest submitted
annotation (not cancelled; a ground-truth one first) is the reviewer's whole
judgement of that call, and is applied with exchange.apply. The whole file is
checked first: a task whose call is not in the library, a region without
numeric start and end, whose label is not a problem category or whose role is
unknown, or a time outside the call refuses the import, naming the task and
the region. Each exported task carries `data.exported_at` (UTC): changes other
reviewers made after it are conflicts, left as they are.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import quoteattr

from sqlalchemy import Engine

from reviewer_app.core.domain import CATEGORIES, ROLES, Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import CallPlan, Entry
from reviewer_app.core.exchange.library import (
    CallRecord,
    call_roles,
    channel_of,
    default_role,
    write_text,
)
from reviewer_app.core.exchange.limits import check_count, load_json, seconds, time_problem
from reviewer_app.core.messages import show_name, show_value
from reviewer_app.core.reports.style import CATEGORY_COLOURS
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.models import utcnow
from reviewer_app.core.storage.repository import CallSummary

TASKS_FILE = "labelstudio_tasks.json"
CONFIG_FILE = "labelstudio_config.xml"
FROM_NAME, ROLE_NAME, TO_NAME = "label", "role", "audio"



def labeling_config() -> str:
    labels = "\n".join(f"    <Label value={quoteattr(c)} background={quoteattr(CATEGORY_COLOURS[c])}/>"
                       for c in CATEGORIES)
    roles = "\n".join(f"    <Choice value={quoteattr(r)}/>" for r in ROLES)
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}" zoom="true">\n{labels}\n  </Labels>\n'
        f'  <Audio name="{TO_NAME}" value="$audio" splitchannels="true"/>\n'
        f'  <Choices name="{ROLE_NAME}" toName="{TO_NAME}" perRegion="true" choice="single">\n{roles}\n'
        "  </Choices>\n"
        "</View>\n"
    )


def region(region_id: str, start: float, end: float, category: str, role: str, roles: tuple[str, ...],
           origin: str, score: float | None = None) -> list[dict]:
    """One region as Label Studio stores it: a `labels` result and its per-region role choice."""
    value = {"start": round(float(start), 3), "end": round(float(end), 3), "channel": channel_of(role, roles)}
    label = {"id": region_id, "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels", "origin": origin,
             "value": {**value, "labels": [category]}}
    if score is not None:
        label["score"] = round(float(score), 3)
    choice = {"id": region_id, "from_name": ROLE_NAME, "to_name": TO_NAME, "type": "choices", "origin": origin,
              "value": {**value, "choices": [role]}}
    return [label, choice]


def _prediction_result(predictions: list[Segment], roles: tuple[str, ...]) -> list[dict]:
    out = []
    for n, seg in enumerate(predictions, 1):
        out += region(f"p{n}", seg.start, seg.end, seg.category, seg.role, roles, "prediction", seg.score)
    return out


def task_for(record: CallRecord, audio_prefix: str = "", exported_at: datetime | None = None) -> dict:
    roles = record.analysis.audio.roles
    c = record.summary
    task: dict = {
        "data": {"audio": f"{audio_prefix}{c.path}", "path": c.path, "sha256": c.sha256,
                 "score": c.score_value, "grade": c.score_grade,
                 "detector_score": c.detector_score, "detector_grade": c.detector_grade,
                 "score_source": c.score_source,
                 "exported_at": (exported_at or utcnow()).astimezone(UTC).isoformat()},
        "annotations": [],
        "predictions": [],
    }
    if record.predictions:
        scores = [s.score for s in record.predictions]
        task["predictions"].append({
            "model_version": record.analysis.versions.get("detector", "rules"),
            "score": round(sum(scores) / len(scores), 3),
            "result": _prediction_result(record.predictions, roles),
        })
    if record.reviewed:
        result = []
        versions = task["data"]["versions"] = {}  # region id -> the segment's version: the import's conflict check
        for seg in record.segments:
            if seg.status in ("confirmed", "edited", "added"):
                origin = "manual" if seg.status == "added" else "prediction-changed"
                result += region(f"s{seg.id}", seg.start, seg.end, seg.category, seg.role, roles, origin)
                versions[f"s{seg.id}"] = seg.version
        reviewers = sorted({s.reviewer for s in record.segments if s.reviewer})
        task["annotations"].append({"result": result, "was_cancelled": False, "ground_truth": False,
                                    "meta": {"reviewers": reviewers, "review_status": c.review_status}})
    return task


def export(records: list[CallRecord], out_dir: Path, audio_prefix: str = "",
           exported_at: datetime | None = None) -> list[Path]:
    exported_at = exported_at or utcnow()
    tasks = [task_for(r, audio_prefix, exported_at) for r in records]
    return [write_text(out_dir / TASKS_FILE, json.dumps(tasks, ensure_ascii=False, indent=1)),
            write_text(out_dir / CONFIG_FILE, labeling_config())]


@dataclass
class TaskLabels:
    """What one exported task says: how to find its call, and its regions (role may be unknown)."""

    data: dict
    regions: list[tuple]  # (start, end, category, role or None, channel or None, where, region id)
    where: str = ""  # "export.json task 3"


def _pick_annotation(annotations: list[dict]) -> dict | None:
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        return None
    truth = [a for a in done if a.get("ground_truth")]
    pool = truth or done
    return max(enumerate(pool), key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""),
                                                 ia[0]))[1]


def _category(text) -> str:
    cat = str(text).strip().lower().replace(" ", "_").replace("-", "_") if isinstance(text, str) else ""
    if cat not in CATEGORIES:
        raise ReviewerError(f"label {show_value(text)} is not a problem category ({', '.join(CATEGORIES)})")
    return cat


def _region(n: int, item, by_id: dict[str, dict]) -> None:
    """Add one result item of an annotation to `by_id` (its region); ReviewerError if it is malformed."""
    if not isinstance(item, dict):
        raise ReviewerError("a result item is not an object")
    value = item.get("value")
    region_id = item.get("id")
    if not isinstance(region_id, str | int) or isinstance(region_id, bool):
        region_id = f"#{n}"
    name = f"region {show_value(str(region_id))}"
    is_label = item.get("type") == "labels" or item.get("from_name") == FROM_NAME
    is_role = item.get("type") == "choices" and item.get("from_name") == ROLE_NAME
    if not (is_label or is_role):
        return  # another control of the project (a text area, a rating): not a region of ours
    if not isinstance(value, dict):
        raise ReviewerError(f"{name}: no 'value' object")
    entry = by_id.setdefault(str(region_id), {"labels": [], "role": None, "name": name})
    if is_label:
        labels = value.get("labels")
        if not isinstance(labels, list) or not labels:
            raise ReviewerError(f"{name}: 'labels' is not a list of problem categories")
        try:
            entry.update(start=seconds(value.get("start"), "start"), end=seconds(value.get("end"), "end"))
        except ValueError as exc:
            raise ReviewerError(f"{name}: {exc}") from None
        channel = value.get("channel")
        entry["channel"] = channel if isinstance(channel, int) and not isinstance(channel, bool) else None
        try:
            entry["labels"] += [_category(v) for v in labels]
        except ReviewerError as exc:
            raise ReviewerError(f"{name}: {exc}") from None
    else:
        choices = value.get("choices")
        role = str(choices[0]).lower() if isinstance(choices, list) and choices and isinstance(choices[0], str) else None
        if role not in ROLES:
            raise ReviewerError(f"{name}: role {show_value(choices)} is not one of {', '.join(ROLES)}")
        entry["role"] = role


def parse_export(tasks, where: str = "Label Studio export") -> list[TaskLabels]:
    """Tasks with a submitted annotation, from Label Studio's JSON export (a list of tasks)."""
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise ReviewerError(f"{where}: a Label Studio JSON export is a list of tasks")
    out, total = [], 0
    for n, task in enumerate(tasks, 1):
        at = f"{where} task {n}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ReviewerError(f"{at}: no 'data' object")
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            raise ReviewerError(f"{at}: 'annotations' is not a list")
        annotation = _pick_annotation(annotations)
        if annotation is None:
            continue
        result = annotation.get("result") or []
        if not isinstance(result, list):
            raise ReviewerError(f"{at}: the annotation's 'result' is not a list")
        by_id: dict[str, dict] = {}
        for k, item in enumerate(result, 1):
            try:
                _region(k, item, by_id)
            except ReviewerError as exc:
                raise ReviewerError(f"{at} {exc}" if str(exc).startswith("region ") else f"{at}: {exc}") from None
        # a role choice left without its label (the label was removed in Label Studio) is no region
        regions = [(e["start"], e["end"], cat, e["role"], e.get("channel"), f"{at} {e['name']}", region_id)
                   for region_id, e in by_id.items() for cat in e["labels"]]
        total += len(regions)
        check_count(total, where)
        out.append(TaskLabels(task["data"], regions, at))
    return out


def _audio_name(audio: str) -> str:
    """The file name behind a task's audio URL: a path, a URL, or Label Studio's `?d=` local-files form."""
    parsed = urlparse(str(audio))
    inner = parse_qs(parsed.query).get("d")
    return Path(unquote(inner[0] if inner else parsed.path or str(audio))).name


def find_task_call(engine: Engine, data: dict, calls: list[CallSummary]) -> CallSummary | None:
    sha = data.get("sha256")
    if sha:
        found = repository.find_call(engine, str(sha))
        if found is not None:
            return found
    for key in ("path", "audio"):
        hits = [c for c in calls if data.get(key) and c.path == data[key]]
        if len(hits) == 1:
            return hits[0]
    name = _audio_name(data.get("audio", ""))
    for candidate in (name, re.sub(r"^[0-9a-f]{8}-", "", name)):  # Label Studio renames uploads "1a2b3c4d-x.wav"
        hits = [c for c in calls if candidate and Path(c.path).name == candidate]
        if len(hits) == 1:
            return hits[0]
    return None


def labels_for(task: TaskLabels, roles: tuple[str, ...], duration_s: float | None = None) -> list[Entry]:
    out = []
    versions = task.data.get("versions")
    versions = versions if isinstance(versions, dict) else {}
    for start, end, cat, role, channel, at, region_id in task.regions:
        problem = time_problem(start, end, duration_s)
        if problem:
            raise ReviewerError(f"{at}: {problem}")
        version = versions.get(region_id)
        segment = int(region_id[1:]) if re.fullmatch(r"s\d{1,18}", region_id) and isinstance(version, int) \
            and not isinstance(version, bool) else None
        out.append(Entry(start, end, cat, role or default_role(cat, roles, channel), "confirmed", at,
                         segment, version if segment is not None else None))
    return out


def _exported_at(task: TaskLabels) -> datetime | None:
    value = task.data.get("exported_at")
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise ReviewerError(f"{task.where}: exported_at {show_value(value)} is not a time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def read_plans(engine: Engine, path: Path, *, reject_missing: bool = True) -> list[CallPlan]:
    """Every annotated task of a Label Studio JSON export as the plan for its call; the whole file is
    checked first (a ReviewerError naming the task and region that is wrong)."""
    where = show_name(path)
    tasks = parse_export(load_json(path, "Label Studio export"), where)
    calls = repository.list_calls(engine)
    plans = []
    for task in tasks:
        call = find_task_call(engine, task.data, calls)
        if call is None:
            raise ReviewerError(f"{task.where}: no call in the library for task audio "
                                f"{show_value(task.data.get('audio'))}")
        plans.append(CallPlan(call, labels_for(task, call_roles(engine, call), call.duration_s), task.where,
                              reject_missing=reject_missing, mark_reviewed=True, exported_at=_exported_at(task)))
    return plans
