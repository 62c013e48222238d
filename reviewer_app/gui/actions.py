"""Every command of the window with its keys, in one table.

The window makes a QAction of each entry; the shortcuts sheet (F1) is drawn
from the same table, so the sheet can never disagree with the keys.
"""
from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.gui.theme import CATEGORY_LABELS


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    keys: tuple[str, ...]
    group: str
    checkable: bool = False


PLAYBACK, NAVIGATE, REVIEW, EDIT, LIBRARY, HELP = "Playback", "Navigate", "Review", "Edit", "Library", "Help"
TEAM, MODEL = "Team", "Model"

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("play_pause", "Play / Pause", ("Space",), PLAYBACK),
    ActionSpec("play_segment", "Play selected segment", ("Shift+Space",), PLAYBACK),
    ActionSpec("loop", "Loop", ("L",), PLAYBACK, checkable=True),
    ActionSpec("speed_down", "Slower", ("[",), PLAYBACK),
    ActionSpec("speed_up", "Faster", ("]",), PLAYBACK),
    ActionSpec("speed_reset", "Normal speed", ("\\",), PLAYBACK),
    ActionSpec("seek_back", "Back 5 s", ("Shift+Left",), PLAYBACK),
    ActionSpec("seek_forward", "Forward 5 s", ("Shift+Right",), PLAYBACK),
    ActionSpec("solo_agent", "Solo agent", ("Alt+A",), PLAYBACK, checkable=True),
    ActionSpec("solo_customer", "Solo customer", ("Alt+C",), PLAYBACK, checkable=True),
    ActionSpec("mute_agent", "Mute agent", ("Alt+Shift+A",), PLAYBACK, checkable=True),
    ActionSpec("mute_customer", "Mute customer", ("Alt+Shift+C",), PLAYBACK, checkable=True),
    ActionSpec("next_segment", "Next segment (plays it)", ("N",), NAVIGATE),
    ActionSpec("prev_segment", "Previous segment (plays it)", ("P",), NAVIGATE),
    ActionSpec("zoom_in", "Zoom in (1.25×)", ("+", "="), NAVIGATE),
    ActionSpec("zoom_out", "Zoom out (1.25×)", ("-",), NAVIGATE),
    ActionSpec("zoom_segment", "Zoom to segment", ("Z",), NAVIGATE),
    ActionSpec("zoom_all", "Whole call", ("0",), NAVIGATE),
    ActionSpec("hide_rejected", "Hide rejected findings", ("Ctrl+H",), NAVIGATE, checkable=True),
    ActionSpec("pan_left", "Scroll left", ("Left",), NAVIGATE),
    ActionSpec("pan_right", "Scroll right", ("Right",), NAVIGATE),
    ActionSpec("confirm", "Confirm segment", ("C",), REVIEW),
    ActionSpec("reject", "Reject segment", ("R",), REVIEW),
    ActionSpec("delete", "Delete segment", ("Delete",), REVIEW),
    ActionSpec("note", "Note on segment…", ("E",), REVIEW),
    ActionSpec("cycle_role", "Change segment role", ("Shift+R",), REVIEW),
    ActionSpec("nudge_start_left", "Move start earlier", ("Alt+Left",), REVIEW),
    ActionSpec("nudge_start_right", "Move start later", ("Alt+Right",), REVIEW),
    ActionSpec("nudge_end_left", "Move end earlier", ("Alt+Shift+Left",), REVIEW),
    ActionSpec("nudge_end_right", "Move end later", ("Alt+Shift+Right",), REVIEW),
    ActionSpec("mark_in", "New span: mark start at playhead", ("I",), REVIEW),
    ActionSpec("mark_out", "New span: mark end at playhead and add…", ("O",), REVIEW),
    ActionSpec("mark_reviewed", "Mark call reviewed", ("Ctrl+Return",), REVIEW),
    ActionSpec("edit_turn", "Edit the current turn's text", ("F2",), REVIEW),
    *(ActionSpec(f"category_{i + 1}", f"Category: {CATEGORY_LABELS[c]}", (str(i + 1),), REVIEW)
      for i, c in enumerate(CATEGORIES)),
    ActionSpec("undo", "Undo", ("Ctrl+Z",), EDIT),
    ActionSpec("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), EDIT),
    ActionSpec("import_files", "Import files…", ("Ctrl+O",), LIBRARY),
    ActionSpec("import_folder", "Import folder…", ("Ctrl+Shift+O",), LIBRARY),
    ActionSpec("focus_filter", "Filter the library", ("Ctrl+F",), LIBRARY),
    ActionSpec("toggle_library", "Show / hide the library", ("Ctrl+L",), LIBRARY),
    ActionSpec("reload", "Reload the call from the database", ("Ctrl+R",), LIBRARY),
    ActionSpec("rerun_rules", "Re-run the rules on this call", (), LIBRARY),
    ActionSpec("export", "Export…", ("Ctrl+E",), LIBRARY),
    ActionSpec("import_labels", "Import labels…", ("Ctrl+Shift+I",), LIBRARY),
    ActionSpec("scorecard", "Scorecard PDF of this call…", ("Ctrl+P",), LIBRARY),
    ActionSpec("settings", "Settings…", ("Ctrl+,",), LIBRARY),
    ActionSpec("quit", "Quit", ("Ctrl+Q",), LIBRARY),
    ActionSpec("review_queue", "Review queue", ("Ctrl+J",), TEAM),
    ActionSpec("dashboard", "Agent dashboard…", ("Ctrl+D",), TEAM),
    ActionSpec("quality", "Speech-data quality…", ("Ctrl+G",), TEAM),
    ActionSpec("calibration", "Calibration…", (), TEAM),
    ActionSpec("retrain", "Retrain the detector…", ("Ctrl+T",), MODEL),
    ActionSpec("shortcuts", "Keyboard shortcuts", ("F1", "?"), HELP),
)

MOUSE_HELP = (
    ("Wheel", "zoom in / out (1.25× per notch) at the pointer"),
    ("Shift+wheel, drag", "scroll in time"),
    ("Click", "seek there; selects the segment under the pointer"),
    ("Drag a selected segment's edge", "move that edge"),
    ("Shift+drag", "draw a new span (then pick its category)"),
    ("Right-click", "segment menu: confirm, reject, category, delete, note"),
    ("Click a word", "seek to it; double-click a turn to edit its text"),
    ("Overview strip", "click or drag to move the visible window"),
)


def spec(name: str) -> ActionSpec:
    return next(a for a in ACTIONS if a.name == name)
