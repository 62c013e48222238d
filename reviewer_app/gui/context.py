"""What the window's features share, handed to each of them explicitly.

`WindowContext` is the database, the settings in force (the Settings dialog
replaces them, so features read `ctx.settings` when they act, never a copy
taken at start), the one operations runner, and the two ways to tell the user
something. `WindowViews` is the views the shell lays out; a feature is given
the ones it drives.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer_app.core.settings import Settings
from reviewer_app.gui.ops import Ops


@dataclass
class WindowContext:
    engine: object  # sqlalchemy Engine
    settings: Settings
    settings_path: str
    ops: Ops
    show_info: Callable[[str], None]
    show_error: Callable[[str], None]


@dataclass(frozen=True)
class WindowViews:
    overview: object  # widgets.overview.OverviewStrip
    signal_view: object  # widgets.signal_view.SignalView
    transport: object  # widgets.transport.TransportBar
    transcript: object  # widgets.transcript_view.TranscriptView
    segment_table: object  # widgets.segment_table.SegmentTable
    call_badges: object  # widgets.call_badges.CallBadges
    library: object  # widgets.library_panel.LibraryPanel
