"""The headless core must import without Qt: importing every core module loads no PySide6."""
import subprocess
import sys

SCRIPT = r"""
import importlib, pkgutil, sys
import reviewer_app.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "reviewer_app.core.")]
for name in names:
    importlib.import_module(name)
assert len(names) > 20, names
bad = sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6", "PyQt")))
print(len(names), bad)
sys.exit(1 if bad else 0)
"""


def test_importing_every_core_module_loads_no_qt():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
