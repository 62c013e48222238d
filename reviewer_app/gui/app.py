"""Entry point of the reviewer window: `run_gui(files, db_url, settings_path)`.

`reviewer-app` (no arguments) opens the library (importing the bundled demo
calls when it is empty); `reviewer-app gui FILE... --db URL` imports the
files in the background and opens the first one when it is ready. With no
display it prints one line and returns 2 instead of letting Qt abort.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HEADLESS_PLATFORMS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can be shown here, or None when one can (QT_QPA_PLATFORM=offscreen counts)."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    has_x, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if qpa in HEADLESS_PLATFORMS:
        return None
    if qpa == "xcb" and not has_x:
        return "QT_QPA_PLATFORM=xcb but DISPLAY is not set"
    if qpa.startswith("wayland") and not has_wayland:
        return "QT_QPA_PLATFORM=wayland but WAYLAND_DISPLAY is not set"
    if qpa:
        return None
    if platform.startswith("linux") and not (has_x or has_wayland):
        return ("no display available (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, "
                "under xvfb-run, or with QT_QPA_PLATFORM=offscreen")
    return None


def default_settings_path() -> Path:
    from reviewer_app.core.paths import data_dir

    return data_dir() / "settings.toml"


def load_app_settings(settings_path: str | None):
    """(settings, path they save to). A missing default file means defaults; a bad one is an error."""
    from reviewer_app.core.settings import Settings, load_settings

    path = Path(settings_path) if settings_path else default_settings_path()
    if settings_path or path.exists():
        return load_settings(path), path
    return Settings(), path


def create_window(files: list[str], db_url: str | None, settings_path: str | None = None):
    """The QApplication (created if needed) and a shown MainWindow. Raises ReviewerError."""
    from PySide6.QtWidgets import QApplication

    from reviewer_app.core import paths
    from reviewer_app.core.storage.db import mask_url, open_database
    from reviewer_app.gui.main_window import MainWindow

    settings, path = load_app_settings(settings_path)
    url = db_url or paths.default_db_url()
    engine = open_database(url)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "reviewer-app"])
    app.setApplicationName("reviewer_app")
    app.setOrganizationName("reviewer_app")
    if "Fusion" in _styles():
        app.setStyle("Fusion")
    window = MainWindow(engine, settings, str(path), db_label=mask_url(url))
    window.show()
    if files:
        window.import_paths(list(files), open_first=True)
    elif window.library_model.rowCount() == 0 and paths.demo_calls():
        window.show_info("The library is empty: importing the bundled demo calls.")
        window.import_paths([str(p) for p in paths.demo_calls()], open_first=True)
    else:  # the user picks a call in a moment: load the spectrogram code meanwhile, not when it opens
        from PySide6.QtCore import QTimer

        QTimer.singleShot(800, window.spectrograms.warm_up)
    return app, window


def _styles() -> list[str]:
    from PySide6.QtWidgets import QStyleFactory

    return QStyleFactory.keys()


def run_gui(files: list[str], db_url: str | None, settings_path: str | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"error: cannot open the reviewer window: {problem}", file=sys.stderr)
        return 2
    from reviewer_app.core.errors import ReviewerError

    try:
        app, window = create_window(files, db_url, settings_path)
    except ReviewerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not app.platformName():
        print("error: cannot open the reviewer window: Qt found no usable display platform", file=sys.stderr)
        return 2
    return int(app.exec())
