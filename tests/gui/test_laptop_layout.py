"""Laptop screens: the real window laid out at 1280×800, 1366×768 and 1024×700 keeps every toolbar button
whole (a button that does not fit goes to the overflow menu, never elided), keeps the segment table's key
columns in view, and never resizes itself; its geometry, splitters and docks are restored next time."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QToolButton

from reviewer_app.gui.models.segment_model import COLUMNS

KEY_COLUMNS = ("Category", "Status", "Start", "End", "Source")


@pytest.fixture(autouse=True)
def _no_saved_window_state():
    """Start from the window's own layout, not from what an earlier test's window saved."""
    from PySide6.QtCore import QSettings

    QSettings("reviewer_app", "reviewer").clear()


def _settle(qtbot, window):
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)


def _layout(qtbot, window, w, h):
    window.resize(w, h)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (w, h), timeout=5_000)
    qtbot.wait(50)


def elided_buttons(root) -> list[str]:
    """Visible tool buttons narrower than their text needs."""
    out = []
    for button in root.findChildren(QToolButton):
        if not button.isVisibleTo(root) or not button.text() or button.objectName() == "qt_toolbar_ext_button":
            continue
        need = button.fontMetrics().horizontalAdvance(button.text())
        if button.width() < need + 4 or button.width() < button.sizeHint().width():
            out.append(f"{button.text()!r} {button.width()} < {button.sizeHint().width()}")
    return out


def hidden_key_columns(table, names=KEY_COLUMNS, columns=COLUMNS) -> list[str]:
    header = table.horizontalHeader()
    width = table.viewport().width()
    out = []
    for name in names:
        col = columns.index(name)
        x = header.sectionViewportPosition(col)
        if header.isSectionHidden(col) or x < 0 or x + header.sectionSize(col) > width or header.sectionSize(col) < 30:
            out.append(f"{name} x={x} w={header.sectionSize(col)} of {width}")
    return out


@pytest.mark.parametrize("size", [(1280, 800), (1366, 768), (1024, 700)])
def test_window_is_usable_at_laptop_sizes(qtbot, opened, size):
    w = opened
    _layout(qtbot, w, *size)
    assert elided_buttons(w.transport) == []
    assert hidden_key_columns(w.segment_table) == []
    from reviewer_app.gui.models import library_model

    assert hidden_key_columns(w.library.table, ("File", "Status", "Score", "Grade"), library_model.COLUMNS) == []
    assert w.segment_table.isVisible() and w.segment_table.width() > 300
    assert w.signal_view.isVisible() and w.signal_view.height() >= 150
    for _ in range(3):  # Ctrl+L hides and shows the library (and its tabs), never growing the window
        w.act["toggle_library"].trigger()
        qtbot.wait(30)
        assert not w.library_dock.isVisible() and not w.queue_dock.isVisible()
        w.act["toggle_library"].trigger()
        qtbot.wait(30)
        assert w.library_dock.isVisible() or w.queue_dock.isVisible()
        assert (w.width(), w.height()) == size


def test_geometry_splitters_and_docks_are_restored(qtbot, engine, settings, tmp_path):
    from reviewer_app.gui.main_window import MainWindow

    first = MainWindow(engine, settings, str(tmp_path / "settings.toml"))
    qtbot.addWidget(first)
    first.show()
    _settle(qtbot, first)
    _layout(qtbot, first, 760, 640)  # the offscreen screen is 800×800: a restored size must fit in it
    first.splitter.setSizes([430, 120])
    first.bottom_splitter.setSizes([100, 500])
    sizes = first.splitter.sizes(), first.bottom_splitter.sizes()
    first.library_dock.hide()
    _settle(qtbot, first)
    first.close()
    first.ops.wait(10_000)
    _settle(qtbot, first)

    again = MainWindow(engine, settings, str(tmp_path / "settings.toml"))
    qtbot.addWidget(again)
    again.show()
    _settle(qtbot, again)
    assert (again.width(), again.height()) == (760, 640)
    assert (again.splitter.sizes(), again.bottom_splitter.sizes()) == sizes
    assert not again.library_dock.isVisible()
    _settle(qtbot, again)
