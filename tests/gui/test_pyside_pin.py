"""Why PySide6 is pinned to 6.11.3: 6.12.0 on Python 3.11 drops a reference to None on every
void method call, and after a few thousand calls the interpreter aborts ("none_dealloc")."""
import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_alive():
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(5000):
        probe.setObjectName("probe")
    assert before - sys.getrefcount(None) < 100
