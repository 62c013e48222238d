"""GUI test set-up: offscreen Qt, no audio device, isolated QSettings, a database with
two hand-built analysed calls (no ASR), and a ready MainWindow."""
from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["REVIEWER_APP_NO_AUDIO"] = "1"

import pytest  # noqa: E402

from gui_builders import basic_analysis, mono_analysis  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402
from reviewer_app.core.storage import find_call, open_database, save_analysis  # noqa: E402


@pytest.fixture(autouse=True)
def _qt_test_paths(tmp_path):
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)  # QSettings (window geometry) never touch the user's files
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):  # nor another test's (a hidden dock)
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory):
    """One migrated database holding both calls; each test gets its own copy of the file."""
    path = tmp_path_factory.mktemp("template") / "library.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    save_analysis(engine, basic_analysis())
    save_analysis(engine, mono_analysis())
    engine.dispose()
    return path


@pytest.fixture
def db_url(tmp_path, _template_db):
    path = tmp_path / "library.sqlite3"
    shutil.copyfile(_template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url):
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def calls(engine):
    return {"basic": find_call(engine, basic_analysis().audio.sha256),
            "mono": find_call(engine, mono_analysis().audio.sha256)}


@pytest.fixture
def settings():
    s = Settings()
    s.reviewer.name = "tester"
    s.reviewer.advance_after_decision = False  # one key, one step; test_accept_and_next turns it on
    return s


@pytest.fixture
def window(qtbot, engine, settings, tmp_path):
    from reviewer_app.gui.main_window import MainWindow

    win = MainWindow(engine, settings, str(tmp_path / "settings.toml"), db_label="test db")
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.ops.idle, timeout=20_000)  # the library is read in the background
    yield win
    win.player.stop()
    win.ops.wait(10_000)


@pytest.fixture
def opened(qtbot, window, calls):
    """The window with call_basic open and its audio loaded."""
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        assert window.open_call(calls["basic"])
    return window
