"""The app installs as a wheel: its packages are all listed, and the wheel runs outside the checkout."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "reviewer_app").rglob("__init__.py")}
    found.add("reviewer_app.resources")
    assert listed == found, f"pyproject.toml [tool.setuptools] packages: missing {found - listed}, stale {listed - found}"


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    """The built wheel installed into an empty folder (its dependencies come from this environment)."""
    work = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = (work / "dist").glob("reviewer_app-*.whl")
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return target


def _run_installed(target: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)  # ahead of site-packages, whose editable hook points at the checkout
    env["REVIEWER_APP_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([sys.executable, "-m", "reviewer_app", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_wheel_carries_demo_calls_and_model_and_runs_outside_the_checkout(installed_wheel, tmp_path):
    probe = _run_installed(installed_wheel, tmp_path, "info", "--json")
    assert probe.returncode == 0, probe.stderr
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed_wheel)
    where = subprocess.run(
        [sys.executable, "-c", "import reviewer_app, json; from reviewer_app.core import paths; "
         "print(json.dumps([reviewer_app.__file__, str(paths.resources_dir()), [str(p) for p in paths.demo_calls()]]))"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    module_file, resources, demos = json.loads(where.stdout)
    assert module_file.startswith(str(installed_wheel)) and resources.startswith(str(installed_wheel))
    assert len(demos) == 2 and all(d.startswith(str(installed_wheel)) for d in demos)
    assert (Path(resources) / "models" / "default.safetensors").stat().st_size > 100_000

    out = tmp_path / "out"
    run = _run_installed(installed_wheel, tmp_path, "analyze", demos[0], "--asr-model", "tiny.en", "--out", str(out),
                         "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    assert run.returncode == 0, run.stderr[-2000:]
    [result] = out.glob("*.json")
    analysis = json.loads(result.read_text())
    assert analysis["transcript"] and analysis["audio"]["path"] == demos[0]
