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
judgement of that call, and is applied with exchange.apply.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import quoteattr

from sqlalchemy import Engine

from reviewer_app.core.domain import CATEGORIES, ROLES, Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import ImportReport, apply_labels
from reviewer_app.core.exchange.library import (
    CallRecord,
    Label,
    channel_of,
    default_role,
    write_text,
)
from reviewer_app.core.reports.style import CATEGORY_COLOURS
from reviewer_app.core.storage import repository
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


def task_for(record: CallRecord, audio_prefix: str = "") -> dict:
    roles = record.analysis.audio.roles
    c = record.summary
    task: dict = {
        "data": {"audio": f"{audio_prefix}{c.path}", "path": c.path, "sha256": c.sha256,
                 "score": c.score_value, "grade": c.score_grade},
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
        for seg in record.segments:
            if seg.status in ("confirmed", "edited", "added"):
                origin = "manual" if seg.status == "added" else "prediction-changed"
                result += region(f"s{seg.id}", seg.start, seg.end, seg.category, seg.role, roles, origin)
        reviewers = sorted({s.reviewer for s in record.segments if s.reviewer})
        task["annotations"].append({"result": result, "was_cancelled": False, "ground_truth": False,
                                    "meta": {"reviewers": reviewers, "review_status": c.review_status}})
    return task


def export(records: list[CallRecord], out_dir: Path, audio_prefix: str = "") -> list[Path]:
    tasks = [task_for(r, audio_prefix) for r in records]
    return [write_text(out_dir / TASKS_FILE, json.dumps(tasks, ensure_ascii=False, indent=1)),
            write_text(out_dir / CONFIG_FILE, labeling_config())]


@dataclass
class TaskLabels:
    """What one exported task says: how to find its call, and its regions (role may be unknown)."""

    data: dict
    regions: list[tuple[float, float, str, str | None, int | None]]  # start, end, category, role, channel


def _pick_annotation(annotations: list[dict]) -> dict | None:
    done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        return None
    truth = [a for a in done if a.get("ground_truth")]
    pool = truth or done
    return max(enumerate(pool), key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""),
                                                 ia[0]))[1]


def _category(text: str) -> str:
    cat = str(text).strip().lower().replace(" ", "_").replace("-", "_")
    if cat not in CATEGORIES:
        raise ReviewerError(f"label {text!r} is not a problem category ({', '.join(CATEGORIES)})")
    return cat


def parse_export(tasks) -> list[TaskLabels]:
    """Tasks with a submitted annotation, from Label Studio's JSON export (a list of tasks)."""
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise ReviewerError("a Label Studio JSON export is a list of tasks")
    out = []
    for n, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ReviewerError(f"task {n}: no 'data' object")
        annotation = _pick_annotation(task.get("annotations") or [])
        if annotation is None:
            continue
        by_id: dict[str, dict] = {}
        for item in annotation.get("result") or []:
            value = item.get("value") or {}
            entry = by_id.setdefault(str(item.get("id")), {"labels": [], "role": None})
            if "labels" in value:
                entry.update(start=float(value["start"]), end=float(value["end"]), channel=value.get("channel"))
                entry["labels"] += [_category(v) for v in value["labels"]]
            elif item.get("from_name") == ROLE_NAME and value.get("choices"):
                role = str(value["choices"][0]).lower()
                if role not in ROLES:
                    raise ReviewerError(f"task {n}: unknown role {role!r}")
                entry["role"] = role
        regions = [(e["start"], e["end"], cat, e["role"], e.get("channel"))
                   for e in by_id.values() if e["labels"] for cat in e["labels"]]
        out.append(TaskLabels(task["data"], regions))
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


def labels_for(task: TaskLabels, roles: tuple[str, ...]) -> list[Label]:
    return [Label(start, end, cat, role or default_role(cat, roles, channel))
            for start, end, cat, role, channel in task.regions]


def import_export(engine: Engine, path: Path, reviewer: str, *, reject_missing: bool = True,
                  tasks: Iterable[TaskLabels] | None = None) -> ImportReport:
    """Apply every annotated task of a Label Studio JSON export to its call in the library."""
    if tasks is None:
        try:
            tasks = parse_export(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReviewerError(f"{path}: cannot read the Label Studio export ({exc})") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ReviewerError(f"{path}: not a Label Studio JSON export ({exc})") from None
    calls = repository.list_calls(engine)
    report = ImportReport()
    for task in tasks:
        call = find_task_call(engine, task.data, calls)
        if call is None:
            report.problems.append(f"{path}: no call in the library for task audio {task.data.get('audio')!r}")
            continue
        analysis = repository.load_analysis(engine, call.sha256)
        report += apply_labels(engine, call.id, labels_for(task, analysis.audio.roles), reviewer,
                               reject_missing=reject_missing, mark_reviewed=True)
    return report
