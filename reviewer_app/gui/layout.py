"""Where the window's views and commands sit: the central views (badges, overview, signal lanes
and transport above; transcript and segment table below), the library dock, and the menus, the
transport bar's buttons and the toolbar made from gui/actions.py's table.

Only placement lives here; what each command does is the features' (see main_window.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSplitter, QToolBar, QVBoxLayout, QWidget

from reviewer_app.gui.actions import ACTIONS, EDIT, HELP, LIBRARY, MODEL, NAVIGATE, PLAYBACK, REVIEW, TEAM
from reviewer_app.gui.context import WindowViews
from reviewer_app.gui.widgets.call_badges import CallBadges
from reviewer_app.gui.widgets.library_panel import LibraryPanel
from reviewer_app.gui.widgets.overview import OverviewStrip
from reviewer_app.gui.widgets.segment_table import SegmentTable
from reviewer_app.gui.widgets.signal_view import SignalView
from reviewer_app.gui.widgets.transcript_view import TranscriptView
from reviewer_app.gui.widgets.transport import TransportBar

TOOLBAR_ACTIONS = ("import_files", "export", "import_labels", "scorecard", None, "review_queue", "dashboard",
                   "quality", None, "retrain")
TRANSPORT_ROWS = (
    ((("play_pause", "▶ Play/Pause"), ("play_segment", "▶ Segment"), ("loop", "⟲ Loop"),
      ("speed_down", "Slower"), ("speed_up", "Faster")),
     (("solo_agent", "Solo agent"), ("solo_customer", "Solo customer"),
      ("mute_agent", "Mute agent"), ("mute_customer", "Mute customer")),
     (("zoom_out", "Zoom −"), ("zoom_in", "Zoom +"), ("zoom_segment", "Zoom to segment"),
      ("zoom_all", "Whole call"))),
    ((("prev_segment", "◀ Previous"), ("next_segment", "Next ▶"), ("confirm", "✔ Confirm"),
      ("reject", "✘ Reject"), ("delete", "Delete"), ("note", "Note…"), ("mark_reviewed", "Mark call reviewed")),
     (("undo", "↶ Undo"), ("redo", "↷ Redo"))),
)  # per row, groups of (action, button text) with a separator between groups


@dataclass(frozen=True)
class CentralLayout:
    views: WindowViews
    splitter: QSplitter  # the signal views above, transcript and segments below
    bottom_splitter: QSplitter  # transcript | segments
    library_dock: QDockWidget


def titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.setSpacing(2)
    label = QLabel(f"<b>{title}</b>")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box


def lay_out_views(window: QMainWindow, library_model, segment_model) -> CentralLayout:
    overview = OverviewStrip()
    signal_view = SignalView()
    transport = TransportBar()
    transcript = TranscriptView()
    segment_table = SegmentTable(segment_model)
    library = LibraryPanel(library_model)
    library.setMinimumWidth(240)

    top = QWidget()
    top_layout = QVBoxLayout(top)
    top_layout.setContentsMargins(0, 0, 0, 0)
    top_layout.setSpacing(2)
    call_badges = CallBadges()
    top_layout.addWidget(call_badges)
    top_layout.addWidget(overview)
    top_layout.addWidget(signal_view, 1)
    top_layout.addWidget(transport)

    bottom = QSplitter(Qt.Orientation.Horizontal)
    bottom.addWidget(titled("Transcript", transcript))
    bottom.addWidget(titled("Segments", segment_table))
    bottom.setStretchFactor(0, 2)
    bottom.setStretchFactor(1, 3)
    bottom.setChildrenCollapsible(True)
    bottom.setSizes([600, 900])

    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(top)
    splitter.addWidget(bottom)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    splitter.setSizes([560, 360])
    window.setCentralWidget(splitter)

    library_dock = QDockWidget("Library", window)
    library_dock.setObjectName("library")
    library_dock.setWidget(library)
    library_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, library_dock)
    window.resizeDocks([library_dock], [320], Qt.Orientation.Horizontal)
    views = WindowViews(overview, signal_view, transport, transcript, segment_table, call_badges, library)
    return CentralLayout(views, splitter, bottom, library_dock)


def make_actions(window: QMainWindow, undo_group, views: WindowViews) -> dict[str, QAction]:
    """A QAction of each ActionSpec, in its menu with its keys, on the transport bar and the library's
    import row; the handlers come from the features (MainWindow connects them)."""
    act: dict[str, QAction] = {}
    groups = (LIBRARY, EDIT, REVIEW, PLAYBACK, NAVIGATE, TEAM, MODEL, HELP)
    menus = {g: window.menuBar().addMenu(g) for g in groups}
    menus[LIBRARY].setTitle("&File")
    undo = undo_group.createUndoAction(window, "Undo")
    redo = undo_group.createRedoAction(window, "Redo")
    for spec in ACTIONS:
        if spec.name == "undo":
            action = undo
        elif spec.name == "redo":
            action = redo
        else:
            action = QAction(spec.text, window)
            action.setCheckable(spec.checkable)
        action.setShortcuts([QKeySequence(k) for k in spec.keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        menus[spec.group].addAction(action)
        act[spec.name] = action
    bar = views.transport
    for row, row_groups in enumerate(TRANSPORT_ROWS):
        for g, group in enumerate(row_groups):
            if g:
                bar.add_separator(row=row)
            for name, label in group:
                bar.add_action(act[name], label, row=row)
    bar.finish()
    views.library.add_import_action(act["import_files"])
    views.library.add_import_action(act["import_folder"])
    views.library.finish_import_row()
    return act


def make_toolbar(window: QMainWindow, act: dict[str, QAction]) -> QToolBar:
    bar = QToolBar("Tools", window)
    bar.setObjectName("tools")
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.setMovable(False)
    for name in TOOLBAR_ACTIONS:
        if name is None:
            bar.addSeparator()
        else:
            bar.addAction(act[name])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar
