"""The window's Import folder on a real Ray cluster (issue 11): with `cluster.address` set in the
settings, the import runs core.cluster.driver on the analysis lane with the same progress bar, each
analysed call's library row appears, failures are listed with their reason, and the database holds
each call once, naming the Ray node that analysed it.

The cluster is two raylets on 127.0.0.1 (tests/core/test_cluster.py's LocalCluster), stopped in teardown.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from reviewer_app.core.settings import dump_settings, load_settings
from reviewer_app.core.storage.repository import load_analysis
from tests.conftest import FIXTURES


def test_cluster_settings_load_save_and_show_in_the_dialog(qtbot, settings, tmp_path):
    from reviewer_app.core.errors import SettingsError
    from reviewer_app.gui.dialogs.settings_dialog import SettingsDialog

    assert settings.cluster.address == "" and settings.cluster.ship_audio is False  # in-process by default
    path = tmp_path / "settings.toml"
    path.write_text('[cluster]\naddress = "ray://head:10001"\nship_audio = true\n')
    loaded = load_settings(path)
    assert (loaded.cluster.address, loaded.cluster.ship_audio) == ("ray://head:10001", True)
    path.write_text(dump_settings(loaded))
    assert load_settings(path).cluster == loaded.cluster
    path.write_text('[cluster]\nship_audio = "yes"\n')
    with pytest.raises(SettingsError, match="cluster.ship_audio"):
        load_settings(path)

    dialog = SettingsDialog(settings, str(tmp_path / "settings.toml"))
    qtbot.addWidget(dialog)
    assert dialog.cluster_edit.text() == "" and not dialog.ship_audio_box.isChecked()
    dialog.cluster_edit.setText("  127.0.0.1:6379 ")
    dialog.ship_audio_box.setChecked(True)
    result = dialog.result_settings()
    assert (result.cluster.address, result.cluster.ship_audio) == ("127.0.0.1:6379", True)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    from tests.core.test_cluster import LocalCluster

    cluster = LocalCluster([1, 1], tmp_path_factory.mktemp("ray-workers-data"))
    yield cluster
    cluster.shutdown()


def test_import_folder_runs_on_the_cluster_set_in_settings(qtbot, window, engine, tmp_path, two_nodes,
                                                          monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window.settings.asr.model, window.settings.asr.language = "tiny.en", "en"
    window.settings.cluster.address = two_nodes.address
    folder = tmp_path / "calls"
    folder.mkdir()
    for wav in sorted(FIXTURES.glob("*.wav")):  # two bytes short: new audio (the library holds the fixtures)
        (folder / wav.name).write_bytes(wav.read_bytes()[:-2])
    (folder / "broken.wav").write_text("this is not audio")
    names = sorted(p.name for p in folder.iterdir())
    rows_before = window.library.proxy.rowCount()
    with engine.connect() as conn:
        calls_before = conn.execute(text("SELECT count(*) FROM calls")).scalar_one()

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    progress, rows = [], []
    window.importer.progress.connect(lambda i, n, f, m: progress.append((i, n, m)))
    window.importer.fileFinished.connect(rows.append)
    with qtbot.waitSignal(window.importer.finished, timeout=400_000) as blocker:
        window.act["import_folder"].trigger()
        assert window.library.progress.isVisible()  # the window's own progress bar, the window free meanwhile
    outcomes = blocker.args[0]

    assert [Path(o.path).name for o in outcomes] == names
    assert any("connecting to Ray" in m for _i, _n, m in progress)
    assert any("in flight:" in m for _i, _n, m in progress)  # the driver's progress, shown as it comes
    assert {n for _i, n, _m in progress} == {len(names)}
    assert sorted(Path(s.outcome.path).name for s in rows) == names  # every file reported once, as it ends
    lines = [window.library.failures.item(i).text() for i in range(window.library.failures.count())]
    assert len(lines) == 1 and "broken.wav" in lines[0] and "not an audio file" in lines[0]

    good = [o for o in outcomes if o.error is None]
    assert sorted(Path(o.path).name for o in good) == sorted(p.name for p in FIXTURES.glob("*.wav"))
    assert not any(o.skipped for o in outcomes)
    listed = [window.library_model.find_sha(o.analysis.audio.sha256) for o in good]
    assert None not in listed and window.library.proxy.rowCount() == rows_before + len(good)
    with engine.connect() as conn:
        calls_after = conn.execute(text("SELECT count(*) FROM calls")).scalar_one()
        for o in good:  # stored once each
            n = conn.execute(text("SELECT count(*) FROM calls WHERE sha256 = :s"),
                             {"s": o.analysis.audio.sha256}).scalar_one()
            assert n == 1
    assert calls_after == calls_before + len(good)
    for o in good:
        stored = load_analysis(engine, o.analysis.audio.sha256)
        assert stored.audio.path == str(folder / Path(o.path).name)
        assert stored.analysed_by["node"] in two_nodes.node_ids
        assert stored.transcript  # really transcribed, on the worker
        node, pid = stored.analysed_by["node"], stored.analysed_by["pid"]
        assert any(m == f"{o.path}: done on {node[:8]}/pid {pid}" for _i, _n, m in progress)
    # The bar counts finished files, whatever order the workers finish them in.
    assert [i for i, _n, m in progress if m.startswith(f"{folder}/")] == [0, 1, 2]
    qtbot.waitUntil(lambda: not window.library.progress.isVisible(), timeout=10_000)
