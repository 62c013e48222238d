"""Compare predicted problem segments with truth: per-category precision, recall and F1.

A predicted segment matches a truth segment of the same category when their
overlap is at least 30% of the shorter of the two. Each truth segment is
matched at most once and so is each prediction (greedy, largest overlap first).
With `match_role`, the two must also have the same role (agent, customer or
both), so a problem found on the wrong channel does not count.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.core import intervals
from reviewer_app.core.domain import Interval
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import one_line, show_name, show_value

MIN_OVERLAP = 0.3


@dataclass
class CategoryScore:
    category: str
    true_positives: int = 0
    predicted: int = 0
    truth: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else (1.0 if not self.truth else 0.0)

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else (1.0 if not self.predicted else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
            "true_positives": self.true_positives, "predicted": self.predicted, "truth": self.truth,
        }


def overlaps_enough(a: Interval, b: Interval, min_overlap: float = MIN_OVERLAP) -> bool:
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return overlap > 0 and shorter > 0 and overlap >= min_overlap * shorter


def match_pairs(pred: list[Interval], truth: list[Interval], min_overlap: float = MIN_OVERLAP) -> list[tuple[int, int]]:
    """(pred index, truth index) of each match: greedy, largest overlap first, each used once."""
    pairs = [
        (min(p[1], t[1]) - max(p[0], t[0]), i, j)
        for i, p in enumerate(pred) for j, t in enumerate(truth) if overlaps_enough(p, t, min_overlap)
    ]
    used_p, used_t, matched = set(), set(), []
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            matched.append((i, j))
    return matched


def count_matches(pred: list[Interval], truth: list[Interval]) -> int:
    return len(match_pairs(pred, truth))


def match_segments(pred: list[dict], truth: list[dict], *, match_role: bool = False,
                   min_overlap: float = MIN_OVERLAP) -> list[tuple[int, int]]:
    """(pred index, truth index) of each match between segment dicts (start, end, category[, role]).

    Only segments of the same category match, and with `match_role` only those
    of the same role too; within a group the matching is `match_pairs`'.
    """
    def key(seg: dict):
        return (seg["category"], seg.get("role")) if match_role else seg["category"]

    groups: dict = {}
    for i, seg in enumerate(pred):
        groups.setdefault(key(seg), ([], []))[0].append(i)
    for j, seg in enumerate(truth):
        groups.setdefault(key(seg), ([], []))[1].append(j)
    out = []
    for p_idx, t_idx in groups.values():
        p = [(float(pred[i]["start"]), float(pred[i]["end"])) for i in p_idx]
        t = [(float(truth[j]["start"]), float(truth[j]["end"])) for j in t_idx]
        out += [(p_idx[a], t_idx[b]) for a, b in match_pairs(p, t, min_overlap)]
    return sorted(out)


def score_segments(pred: Iterable[dict], truth: Iterable[dict], into: dict[str, CategoryScore] | None = None,
                   *, match_role: bool = False):
    """Add one call's segments (dicts with start, end, category; role when `match_role`) to
    per-category counts."""
    scores = into if into is not None else {}
    pred, truth = list(pred), list(truth)
    for cat in dict.fromkeys([seg["category"] for seg in pred] + [seg["category"] for seg in truth]):
        s = scores.setdefault(cat, CategoryScore(cat))
        s.predicted += sum(seg["category"] == cat for seg in pred)
        s.truth += sum(seg["category"] == cat for seg in truth)
    for i, _ in match_segments(pred, truth, match_role=match_role):
        scores[pred[i]["category"]].true_positives += 1
    return scores


def _segments_in(path: Path) -> list[dict]:
    """The segments of a truth or prediction file, each checked: a dict with a category name and
    finite bounds 0 <= start <= end. A bad one is an error naming the file and the entry."""
    shown = show_name(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ReviewerError(f"{shown}: cannot read segments (nested too deeply)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: bad JSON, an over-long integer
        raise ReviewerError(f"{shown}: cannot read segments ({one_line(exc, 200)})") from None
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list):
        raise ReviewerError(f"{shown}: no 'segments' list")
    for n, seg in enumerate(segments):
        _check_segment(shown, n, seg)
    return segments


def _check_segment(shown: str, n: int, seg) -> None:
    where = f"{shown}: segment {n}"
    if not isinstance(seg, dict):
        raise ReviewerError(f"{where}: must be an object with start, end and category, got {show_value(seg)}")
    category = seg.get("category")
    if not isinstance(category, str) or not category or len(category) > 100:
        raise ReviewerError(f"{where}: 'category' must be a category name, got {show_value(category)}")
    bounds = []
    for key in ("start", "end"):
        value = seg.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ReviewerError(f"{where}: '{key}' must be a number of seconds, got {show_value(value)}")
        try:
            value = float(value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise ReviewerError(f"{where}: '{key}' must be finite, got {show_value(seg.get(key))}")
        bounds.append(value)
    if not 0 <= bounds[0] <= bounds[1]:
        raise ReviewerError(f"{where}: bad bounds {bounds[0]:g}..{bounds[1]:g}: need 0 <= start <= end")
    if "role" in seg and not isinstance(seg["role"], str):
        raise ReviewerError(f"{where}: 'role' must be a role name, got {show_value(seg['role'])}")


def evaluate_dirs(truth_dir: str | Path, pred_dir: str | Path) -> dict[str, CategoryScore]:
    """Score every `<stem>.json` in truth_dir against the same name in pred_dir."""
    truth_dir, pred_dir = Path(truth_dir), Path(pred_dir)
    for d in (truth_dir, pred_dir):
        if not d.is_dir():
            raise ReviewerError(f"{d}: not a folder")
    truth_files = sorted(truth_dir.glob("*.json"))
    if not truth_files:
        raise ReviewerError(f"{truth_dir}: no .json truth files")
    scores: dict[str, CategoryScore] = {}
    for truth_file in truth_files:
        pred_file = pred_dir / truth_file.name
        pred = _segments_in(pred_file) if pred_file.exists() else []
        score_segments(pred, _segments_in(truth_file), scores)
    return dict(sorted(scores.items()))


def truth_from_words(
    words: list[dict], duration_s: float, dead_air_min_s: float, overtalk_min_s: float, speakers=("A", "B")
) -> list[dict]:
    """Dead air and overtalk truth from a word-timed transcript (e.g. SpokenWOZ's per-word timings).

    Dead air: no word of any speaker for at least dead_air_min_s. Overtalk: both
    speakers inside words at once for at least overtalk_min_s, joining overlaps
    less than 0.2 s apart (the same joining the rule uses).
    """
    spans = {s: intervals.merge((float(w["start"]), float(w["end"])) for w in words if w["speaker"] == s)
             for s in speakers}
    everyone = intervals.merge(iv for s in speakers for iv in spans[s])
    truth = [
        {"start": s, "end": e, "category": "dead_air", "role": "both"}
        for s, e in intervals.complement(everyone, 0.0, duration_s) if e - s >= dead_air_min_s
    ]
    both = intervals.merge(intervals.intersect(spans[speakers[0]], spans[speakers[1]]), gap=0.2)
    truth += [
        {"start": s, "end": e, "category": "overtalk", "role": "both"}
        for s, e in both if e - s >= overtalk_min_s
    ]
    return truth


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised tokens."""
    from reviewer_app.core.detect.text import normalize

    ref = normalize(" ".join(reference)).split()
    hyp = normalize(" ".join(hypothesis)).split()
    if not ref:
        return 0.0 if not hyp else 1.0
    return _edit_distance(ref, hyp) / len(ref)


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance over characters with spaces and punctuation removed (for Chinese)."""
    from reviewer_app.core.detect.text import normalize

    ref = list(normalize(reference).replace(" ", ""))
    hyp = list(normalize(hypothesis).replace(" ", ""))
    if not ref:
        return 0.0 if not hyp else 1.0
    return _edit_distance(ref, hyp) / len(ref)
