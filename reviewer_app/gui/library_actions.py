"""The library in the window: reading it, importing calls into it, reloading the open call and
re-running the rules on it.

The library is read on the read lane; imports and re-detection run through
their services (gui/services.py) on the analysis lane and report one typed
row change per file, which updates just those rows.
`actions()` lists the window actions this feature answers.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from reviewer_app.core.storage import repository
from reviewer_app.gui.context import WindowContext

AUDIO_FILTER = "Audio (*.wav *.flac *.mp3 *.ogg *.opus *.m4a *.aac *.wma *.webm);;All files (*)"


class LibraryActions(QObject):
    libraryLoaded = Signal(int)  # the whole library was (re)read: how many calls it holds

    def __init__(self, window, ctx: WindowContext, controller, calls, library, library_model, importer,
                 redetector) -> None:
        super().__init__(window)
        self.window, self.ctx, self.controller, self.calls = window, ctx, controller, calls
        self.library, self.library_model = library, library_model
        self.importer, self.redetector = importer, redetector
        self._open_after_import = False  # open the first imported call when the import ends
        library.callActivated.connect(calls.open_call)
        library.cancelRequested.connect(importer.cancel)
        importer.progress.connect(library.show_progress)
        importer.running.connect(library.set_importing)
        importer.fileFinished.connect(self._on_import_file_done)
        importer.finished.connect(self._on_import_finished)
        importer.failed.connect(ctx.show_error)
        redetector.finished.connect(self._on_redetected)
        redetector.failed.connect(ctx.show_error)

    def actions(self) -> dict:
        """The window actions this feature answers: ActionSpec name -> handler."""
        return {"import_files": self.do_import_files, "import_folder": self.do_import_folder,
                "reload": self.do_reload, "rerun_rules": self.do_rerun_rules}

    def refresh_library(self, then=None) -> None:
        """Read the whole library on the read lane; `then(calls)` once it is shown."""
        engine = self.ctx.engine

        def show(calls) -> None:
            self.library_model.set_calls(calls)
            if self.controller.session is not None:
                self.library.select_call(self.controller.session.call_id)
            if then is not None:
                then(calls)
            self.libraryLoaded.emit(len(calls))

        self.ctx.ops.query(lambda _c: repository.list_calls(engine), owner=self, on_success=show,
                           on_failure=lambda f: self.ctx.show_error(f.message))

    def apply_rows(self, change) -> None:
        """A LibraryRowsChanged: update or add just those rows."""
        if change is not None:
            self.library_model.upsert_calls(change.calls)

    def import_paths(self, paths: list[str], open_first: bool = False) -> None:
        if not paths:
            return
        if self.importer.busy:
            self.ctx.show_error("An import is already running; wait for it or cancel it.")
            return
        self.library.show_failures([])
        self._open_after_import = open_first
        self.importer.start(list(paths), self.ctx.settings)

    def _on_import_file_done(self, step) -> None:
        self.apply_rows(step.rows)

    def _on_import_finished(self, outcomes) -> None:
        failures = [o.error for o in outcomes if o.error]
        self.library.show_failures(failures)
        ok = sum(1 for o in outcomes if not o.error)
        self.ctx.show_info(f"Import finished: {ok} analysed, {len(failures)} failed."
                           if outcomes else "No audio files found in what was imported.")
        if failures:
            self.ctx.show_error(f"{len(failures)} file(s) failed: " + "; ".join(failures[:3]))
        if self._open_after_import:
            self._open_after_import = False
            first = next((o for o in outcomes if o.analysis is not None), None)
            call = self.library_model.find_sha(first.analysis.audio.sha256) if first else None
            if call is not None:
                self.calls.open_call(call)

    def do_import_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, "Import calls", "", AUDIO_FILTER)
        self.import_paths(paths)

    def do_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Import a folder of calls")
        if folder:
            self.import_paths([folder])

    def do_reload(self) -> None:
        self.controller.reload()

    def do_rerun_rules(self) -> None:
        session = self.controller.session
        if session is None:
            return
        self.ctx.show_info(f"Re-running the rules on {session.call.path}…")
        self.redetector.start(session.call, self.ctx.settings)

    def _on_redetected(self, change) -> None:
        session = self.controller.session
        self.apply_rows(change)
        if session is not None and session.call_id in change.ids:
            self.controller.reload()
            self.ctx.show_info("Rules re-run; your labels were kept.")
