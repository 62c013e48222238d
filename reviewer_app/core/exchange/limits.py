"""Bounds every label import keeps, whatever the file claims: checked before anything is allocated.

* A label file must be a regular file (a FIFO or a device would block or never end) of at most
  MAX_FILE_BYTES, checked with os.stat before it is opened; so must an audio file a label file names.
* JSON is scanned for its bracket depth before json.loads (whose recursion a deep file exhausts):
  deeper than MAX_JSON_DEPTH is refused.
* At most MAX_LABELS labels per import, and a TextGrid may not claim more tiers or intervals
  than its text holds.
* Times must be finite, 0 <= start < end, and end at most the call's duration plus
  END_TOLERANCE_S (formats round, players pad the last frame).
* What a file says is quoted in messages through reviewer_app.core.messages: control characters
  escaped, cut to a readable length.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_name, show_value

MAX_FILE_BYTES = 128 * 1024 * 1024  # 100,000 labels take about 16 MiB of JSON, 4 MiB of Audacity lines
MAX_LABELS = 1_000_000
MAX_JSON_DEPTH = 32
END_TOLERANCE_S = 0.5


def file_problem(path: str | os.PathLike[str], what: str = "file") -> str | None:
    """Why `path` cannot be read as a `what` (missing, not a regular file, too big), or None.

    Only os.stat is used: a FIFO or a device is refused without being opened.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return f"{what} {show_name(path)} not found"
    except OSError as exc:
        return f"{what} {show_name(path)} cannot be read ({exc.strerror or type(exc).__name__})"
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket or special file")
        return f"{what} {show_name(path)} is {kind}, not a regular file"
    return None


def read_bytes(path: str | os.PathLike[str], what: str = "label file", max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; a ReviewerError naming it otherwise."""
    problem = file_problem(path, what)
    if problem:
        raise ReviewerError(problem)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ReviewerError(f"{what} {show_name(path)} cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise ReviewerError(f"{what} {show_name(path)} is over {max_bytes // (1024 * 1024)} MiB: refused")
    return data


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def load_json(path: str | os.PathLike[str], what: str, max_depth: int = MAX_JSON_DEPTH):
    """A JSON file read within the bounds above; a ReviewerError naming the file otherwise."""
    raw = read_bytes(path, what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewerError(f"{show_name(path)}: {what} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    depth = json_depth(text)
    if depth > max_depth:
        raise ReviewerError(f"{show_name(path)}: {what} nests {depth} levels deep, over the {max_depth} "
                            "this format needs: refused")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReviewerError(f"{show_name(path)}: {what} is not valid JSON ({exc.msg} at line {exc.lineno} "
                            f"column {exc.colno})") from None
    except (RecursionError, ValueError) as exc:  # the depth scan makes these unlikely; keep them one line
        raise ReviewerError(f"{show_name(path)}: {what} cannot be parsed ({type(exc).__name__})") from None


def seconds(value, name: str) -> float:
    """A time value from a file as a float (numbers and numeric text); ValueError with a readable reason."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} {show_value(value)} is not a number")
    try:
        x = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} {show_value(value)} is not a number") from None
    return x


def time_problem(start: float, end: float, duration_s: float | None = None) -> str | None:
    """Why (start, end) is not a label of a call `duration_s` long, or None."""
    for name, x in (("start", start), ("end", end)):
        if not math.isfinite(x):
            return f"{name} {show_value(x)} is not a finite time"
    if start < 0:
        return f"start {start:g} is negative"
    if end < start:
        return f"end {end:g} is before start {start:g}"
    if end == start:
        return f"start and end are both {start:g}: a label needs a duration"
    if duration_s is not None and end > duration_s + END_TOLERANCE_S:
        return f"end {end:g} is past the end of the call ({duration_s:.3f} s)"
    return None


def check_count(n: int, where: str) -> None:
    """Stop reading a file once it holds more labels than one import takes."""
    if n > MAX_LABELS:
        raise ReviewerError(f"{where}: more than {MAX_LABELS} labels in one file: split it")


def where(path: str | os.PathLike[str] | Path, entry: str) -> str:
    """`labels.txt line 3`: the file and the entry, for a message."""
    return f"{show_name(path)} {entry}"
