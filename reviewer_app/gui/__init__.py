"""The PySide6 reviewer window. Everything Qt lives here; the logic it shows lives in
reviewer_app.core (review/, storage/, audio/)."""
from __future__ import annotations

import ctypes
import sys


def _guard_none_refcount() -> None:
    """Keep PySide6 from crashing the app on Python 3.11.

    The PySide6 6.12.0 wheels return None from every void method without a new
    reference. On Python >= 3.12 None is immortal and that is harmless; on 3.11
    each such call drops one reference, and after a few thousand calls Python
    aborts with "Fatal Python error: none_dealloc". When that is detected here,
    None's reference count is raised so far that it cannot reach zero, which is
    what Python 3.12 does for every process.
    """
    if sys.version_info >= (3, 12):
        return
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(200):
        probe.setObjectName("probe")
    if before - sys.getrefcount(None) >= 150:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


_guard_none_refcount()
