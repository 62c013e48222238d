"""Redacted personal data in the window: hatched over the waveform lanes and silent at playback,
on the widget and player directly and through the real window on a call stored with
`[privacy] redact` (a hand-built analysis of the fixture call: no ASR)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gui_builders import basic_analysis, mono_analysis, settle, words_of
from reviewer_app.core.domain import Turn
from reviewer_app.core.privacy.redact import redact_transcript, redaction_intervals
from reviewer_app.core.storage import find_call, save_analysis

CARD_TURN = "my card number is 4532 0151 1283 0366 thank you"


def _image(view) -> np.ndarray:
    view.redraw()
    img = view.grab().toImage()
    ptr = img.constBits()
    return np.array(ptr, dtype=np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width() * 4] \
        .reshape(img.height(), img.width(), 4).copy()


def test_signal_view_hatches_the_redacted_stretches(qtbot):
    from reviewer_app.core.review.viewport import Viewport
    from reviewer_app.gui.widgets.signal_view import SignalView

    view = SignalView()
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_call(10.0, ("customer", "agent"))
    view.redraw()
    plain = _image(view)
    view.set_pii([(2.0, 3.0), (6.5, 7.0)])
    hatched = _image(view)
    waves = [lane for lane in view._lanes if lane.is_wave]
    assert len(waves) == 2
    for lane in waves:
        assert view.pii.shown(lane.ax) == [(2.0, 3.0), (6.5, 7.0)]
    lane = waves[0]
    x = lambda t: int(round(lane.ax.transData.transform((t, 0))[0]))  # noqa: E731
    top = view.height() - int(lane.ax.bbox.y1) + 3
    bottom = view.height() - int(lane.ax.bbox.y0) - 3
    ratio = view.devicePixelRatioF()
    rows = slice(int(top * ratio), int(bottom * ratio))
    cols_in, cols_out = slice(int(x(2.1) * ratio), int(x(2.9) * ratio)), slice(int(x(4.0) * ratio), int(x(6.0) * ratio))
    inside = hatched[rows, cols_in] != plain[rows, cols_in]
    outside = hatched[rows, cols_out] != plain[rows, cols_out]
    assert inside.any(axis=2).mean() > 0.2  # the hatch and its fill are drawn there
    assert not outside.any()  # and nowhere else
    view.set_viewport(Viewport(10.0, 2.5, 8.0))
    view.redraw()
    assert view.pii.shown(lane.ax) == [(2.5, 3.0), (6.5, 7.0)]
    view.set_pii([])
    view.set_viewport(Viewport.whole(10.0))
    assert np.array_equal(_image(view)[rows], plain[rows])  # nothing hatched any more


@pytest.fixture
def redacted_window(qtbot, engine, settings, tmp_path):
    """The window on a library whose basic call was stored with its card number redacted."""
    from reviewer_app.gui.main_window import MainWindow

    analysis = basic_analysis()
    turns = list(analysis.transcript)
    old = turns[1]  # the customer's first turn
    turns[1] = Turn(old.role, old.start, old.end, CARD_TURN, words_of(CARD_TURN, old.start, old.end))
    redacted, spans = redact_transcript(turns)
    assert [s.kind for s in spans] == ["card"]
    save_analysis(engine, replace(analysis, transcript=redacted, pii=spans))
    win = MainWindow(engine, settings, str(tmp_path / "settings.toml"), db_label="test db")
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.ops.idle, timeout=20_000)
    yield win, spans
    win.player.stop()
    win.ops.wait(10_000)


def test_window_hatches_and_mutes_a_redacted_call(qtbot, redacted_window, engine):
    win, spans = redacted_window
    call = find_call(engine, basic_analysis().audio.sha256)
    with qtbot.waitSignal(win.privacy.spansShown, timeout=20_000) as shown:
        assert win.open_call(call)
    assert shown.args == [1]
    settle(qtbot, win)
    audio = win.calls.audio
    expected = redaction_intervals(spans, win.settings.privacy.padding_s, audio.duration_s)
    assert win.signal_view.pii.intervals == expected
    a, b = expected[0]
    rate = audio.sample_rate
    played = win.player.samples
    assert played.shape == audio.samples.shape
    inside = slice(int(np.ceil(a * rate)), int(b * rate))
    assert np.abs(audio.samples[:, inside]).max() > 0.01  # there was speech there
    assert np.all(played[:, inside] == 0.0)  # and none is played, on either channel
    keep = slice(0, int((a - 0.01) * rate))
    assert np.array_equal(played[:, keep], audio.samples[:, keep])
    text = " ".join(t.text for t in win.controller.session.analysis.transcript)
    assert "[CARD]" in text and "4532" not in text
    # another call without redaction: nothing hatched, its audio played as it is
    mono = find_call(engine, mono_analysis().audio.sha256)
    with qtbot.waitSignal(win.callReady, timeout=20_000):
        win.open_call(mono)
    settle(qtbot, win)
    assert win.signal_view.pii.intervals == []
    assert np.array_equal(win.player.samples, win.calls.audio.samples)
