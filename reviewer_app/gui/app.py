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
    if platform.startswith("linux") and has_x and (qpa == "xcb" or (not qpa and not has_wayland)):
        return x_display_problem(env["DISPLAY"])  # Qt aborts the process when the X server is not there
    return None


def x_display_problem(display: str) -> str | None:
    """Why the X server named by `display` cannot be used, or None when it answers (or cannot be
    checked here). libxcb does the same handshake Qt's xcb platform will, authentication included."""
    import ctypes
    import ctypes.util

    from reviewer_app.core.messages import show_value

    try:
        xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
    except OSError:
        return None  # no libxcb: Qt cannot use X either, and says so itself
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode("utf-8", "surrogateescape"), None)
    try:
        failed = xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)
    if failed:
        return (f"cannot connect to the X display DISPLAY={show_value(display)} (no X server answers there, or it "
                "refuses this user); start one, run under xvfb-run, or use QT_QPA_PLATFORM=offscreen")
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


def create_window(files: list[str], db_url: str | None, settings_path: str | None = None,
                  reviewer: str | None = None):
    """The QApplication (created if needed) and a shown MainWindow. Raises ReviewerError.

    `reviewer` overrides the settings' reviewer name for this run. On first start (no settings
    file yet, no override) the window asks for the name and saves it."""
    from PySide6.QtWidgets import QApplication

    from reviewer_app.core import paths
    from reviewer_app.core.storage.db import mask_url, open_database
    from reviewer_app.gui.main_window import MainWindow

    settings, path = load_app_settings(settings_path)
    first_start = not path.exists() and not (reviewer and reviewer.strip())
    if reviewer and reviewer.strip():
        settings.reviewer.name = " ".join(reviewer.split())
    url = db_url or paths.default_db_url()
    engine = open_database(url)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "reviewer-app"])
    app.setApplicationName("reviewer_app")
    app.setOrganizationName("reviewer_app")
    if "Fusion" in _styles():
        app.setStyle("Fusion")
    window = MainWindow(engine, settings, str(path), db_label=mask_url(url))  # reads the library in the background
    window.show()
    if first_start:
        window.reviewer_name.ask_reviewer_name(first_start=True)
    if files:
        window.import_paths(list(files), open_first=True)
    else:
        from PySide6.QtCore import QTimer

        def first_load(count: int) -> None:
            window.libraryLoaded.disconnect(first_load)
            if count == 0 and paths.demo_calls():
                window.show_info("The library is empty: importing the bundled demo calls.")
                window.import_paths([str(p) for p in paths.demo_calls()], open_first=True)
            else:  # the user picks a call in a moment: load the spectrogram code meanwhile, not when it opens
                QTimer.singleShot(800, window.spectrograms.warm_up)

        window.libraryLoaded.connect(first_load)
    return app, window


def _styles() -> list[str]:
    from PySide6.QtWidgets import QStyleFactory

    return QStyleFactory.keys()


def run_gui(files: list[str], db_url: str | None, settings_path: str | None = None,
            reviewer: str | None = None) -> int:
    problem = display_problem()
    if problem:
        print(f"error: cannot open the reviewer window: {problem}", file=sys.stderr)
        return 2
    import signal

    from reviewer_app.core.errors import ReviewerError
    from reviewer_app.core.messages import one_line

    interrupted: list[bool] = []

    def on_interrupt(_signum, _frame) -> None:  # Ctrl-C: close the window and leave the event loop
        from PySide6.QtWidgets import QApplication

        interrupted.append(True)
        app = QApplication.instance()
        if app is not None:
            app.closeAllWindows()
            app.quit()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        try:
            app, window = create_window(files, db_url, settings_path, reviewer)
        except ReviewerError as exc:
            print(f"error: {one_line(exc)}", file=sys.stderr)
            return 1
        if not app.platformName():
            print("error: cannot open the reviewer window: Qt found no usable display platform", file=sys.stderr)
            return 2
        if interrupted:  # Ctrl-C while the window was being made: close it as the user would (stops the work)
            window.close()
            return 130
        from PySide6.QtCore import QTimer

        # Python runs signal handlers only between bytecodes: a short timer hands it control now and then.
        wake = QTimer()
        wake.timeout.connect(lambda: None)
        wake.start(200)
        QTimer.singleShot(0, lambda: interrupted and app.quit())  # Ctrl-C just before the loop started
        code = int(app.exec())
        wake.stop()
        return 130 if interrupted else code
    finally:
        signal.signal(signal.SIGINT, previous)
