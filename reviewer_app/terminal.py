"""A terminal progress bar for the CLI, driven by core Progress values."""
from __future__ import annotations

import sys
import time

from reviewer_app.core.messages import one_line
from reviewer_app.core.progress import Progress


class TerminalBar:
    """Redraws one line on a terminal; on a pipe or CI log prints at most one line per message."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_message = None
        self._last_draw = 0.0

    def __call__(self, progress: Progress) -> None:
        message = one_line(progress.message, 200)  # a file name cannot move the cursor or forge a line
        if self.tty:
            now = time.monotonic()
            if now - self._last_draw < 0.1 and progress.fraction < 1:
                return
            self._last_draw = now
            filled = int(self.width * progress.fraction)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {100 * progress.fraction:5.1f}% {message[:60]:<60}")
            self.stream.flush()
        elif progress.message != self._last_message:
            self.stream.write(f"[{100 * progress.fraction:5.1f}%] {message}\n")
        self._last_message = progress.message

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
