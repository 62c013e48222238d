"""Reviewer window on a generated 2-hour stereo 8 kHz call.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--minutes 120] [--width 1600]

Measures, in one process (after one untimed warm-up open):
  * decode alone: core.audio.decode.decode_audio on the file (page cache warm);
  * open -> first waveform paint: MainWindow.open_call until the signal view has
    painted the waveform (decode + peak pyramids in the loader lane, first draw);
  * redraw of the signal view per zoom step (1.25x, wheel/keys) and per pan step
    (10 % of the view), at several zoom levels: the new viewport reaching every view, the
    signal view's redraw and a synchronous repaint;
  * memory: peak of tracemalloc-traced allocations (numpy reports its buffers)
    while opening and browsing the call (a separate pass: tracemalloc slows
    Python down), and the growth of ru_maxrss over the first open, both
    compared with the decoded float32 audio.
Targets: first paint <= 1.5x decode; median redraw <= 50 ms; memory <= 4x audio.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import wave
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REVIEWER_APP_NO_AUDIO", "1")

import numpy as np  # noqa: E402

SR = 8000


def make_call(path: Path, minutes: float) -> float:
    """Alternating agent/customer 'speech' (AM noise bursts + tones) with pauses, 16-bit stereo."""
    rng = np.random.default_rng(7)
    n = int(minutes * 60 * SR)
    chunk = SR * 60
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SR)
        for s0 in range(0, n, chunk):
            t = np.arange(s0, min(n, s0 + chunk)) / SR
            turn = (np.floor(t / 6.0) % 2).astype(np.float32)  # 6 s turns
            syll = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
            voice = (0.25 * rng.standard_normal(t.size) * syll + 0.1 * np.sin(2 * np.pi * 180 * t)).astype(np.float32)
            pause = (np.sin(2 * np.pi * t / 37.0) > -0.8).astype(np.float32)
            left = voice * turn * pause + 0.003 * rng.standard_normal(t.size)
            right = voice * (1 - turn) * pause + 0.003 * rng.standard_normal(t.size)
            frames = np.stack([left, right], axis=1)
            w.writeframes((np.clip(frames, -1, 1) * 32767).astype("<i2").tobytes())
    return n / SR


def make_analysis(path: Path, duration: float):
    from reviewer_app.core.audio.decode import sha256_of_file
    from reviewer_app.core.domain import CATEGORIES, AudioInfo, CallAnalysis, CallScore, Segment, Turn, Word

    turns = []
    for k in range(int(duration // 6)):
        start, role = k * 6.0, ("customer", "agent")[k % 2]
        words = tuple(Word(f"word{j}", start + 0.4 * j, start + 0.4 * j + 0.35, 0.9) for j in range(12))
        turns.append(Turn(role, start, start + 4.8, " ".join(w.word for w in words), words))
    segments = [Segment(60.0 * k + 10, 60.0 * k + 10 + 3 + k % 7, ("agent", "customer", "both")[k % 3],
                        CATEGORIES[k % len(CATEGORIES)], 0.3 + 0.07 * (k % 10), "bench", "generated")
                for k in range(int(duration // 60))]
    info = AudioInfo(str(path), sha256_of_file(path), round(duration, 3), SR, 2, ("customer", "agent"))
    return CallAnalysis(info, "en", turns, segments, CallScore(50, "low", {}), {}, {"app": "bench"})


def median_ms(values):
    return statistics.median(values), sorted(values)[int(0.9 * (len(values) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="timed opens (and decodes), interleaved")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_gui_") as tmp:
        tmp = Path(tmp)
        os.environ["REVIEWER_APP_DATA_DIR"] = str(tmp / "data")
        path = tmp / "two_hours.wav"
        t0 = time.perf_counter()
        duration = make_call(path, args.minutes)
        print(f"generated {path.name}: {duration / 3600:.2f} h stereo {SR} Hz, "
              f"{path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")

        from reviewer_app.core.audio.decode import decode_audio
        from reviewer_app.core.storage import find_call, open_database, save_analysis

        path.read_bytes()  # page cache warm for every measurement
        audio_bytes = 2 * int(duration * SR) * 4  # float32, two channels

        def decode_once() -> float:
            t0 = time.perf_counter()
            decode_audio(path)
            return time.perf_counter() - t0


        engine = open_database(f"sqlite:///{tmp / 'bench.sqlite3'}")
        analysis = make_analysis(path, duration)
        save_analysis(engine, analysis)
        call = find_call(engine, analysis.audio.sha256)

        from PySide6.QtWidgets import QApplication

        from reviewer_app.core.settings import Settings
        from reviewer_app.gui.main_window import MainWindow

        app = QApplication.instance() or QApplication([sys.argv[0]])
        win = MainWindow(engine, Settings(), str(tmp / "settings.toml"))
        win.resize(args.width, args.height)
        win.show()
        for _ in range(20):
            app.processEvents()

        from PySide6.QtCore import QEventLoop, QTimer

        import reviewer_app.core.review.call_audio as call_audio

        timeline: dict[str, float] = {}
        original_decode, original_pyramids = call_audio.decode_audio, call_audio.build_pyramids

        def timed_decode(*a, **k):
            t = time.perf_counter()
            try:
                return original_decode(*a, **k)
            finally:
                timeline["decode"] = time.perf_counter() - t

        def timed_pyramids(*a, **k):
            t = time.perf_counter()
            try:
                return original_pyramids(*a, **k)
            finally:
                timeline["pyramids"] = time.perf_counter() - t

        call_audio.decode_audio, call_audio.build_pyramids = timed_decode, timed_pyramids

        def open_and_wait_for_paint() -> float:
            loop = QEventLoop()  # the app's own kind of wait: no polling
            win.signal_view.waveformPainted.connect(loop.quit)
            QTimer.singleShot(120_000, loop.quit)
            win.open_call(call)
            loop.exec()
            win.signal_view.waveformPainted.disconnect(loop.quit)
            return win.calls.first_paint_s

        def settle(seconds: float = 1.5) -> None:
            """Let background work (the spectrogram of the new view) finish before the next measurement."""
            loop = QEventLoop()
            QTimer.singleShot(int(seconds * 1000), loop.quit)
            loop.exec()
            win.ops.wait()

        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        open_and_wait_for_paint()  # warm-up, not timed: first imports (torchaudio for the spectrogram), caches
        settle(4.0)
        rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        decodes, paints, parts = [], [], []
        for _ in range(args.runs):  # interleaved, so a busy machine slows both alike
            win.close_call()  # frees the call's audio, as before opening another
            settle(0.2)
            decodes.append(decode_once())
            settle(0.5)
            paints.append(open_and_wait_for_paint())
            parts.append(dict(timeline))
            settle()
        decode_s, first_paint = statistics.median(decodes), statistics.median(paints)
        print(f"decode alone: {', '.join(f'{d:.2f}' for d in decodes)} s (median {decode_s:.2f}, "
              f"best {min(decodes):.2f}); decoded float32 audio {audio_bytes / 1e6:.0f} MB")
        print(f"open -> first waveform paint: {', '.join(f'{p:.2f}' for p in paints)} s (median {first_paint:.2f} "
              f"= {first_paint / decode_s:.2f}x decode; best {min(paints):.2f} = "
              f"{min(paints) / min(decodes):.2f}x best decode; target <= 1.5x)")
        print("  of which, in the window's loading lane: decode " + ", ".join(f"{p['decode']:.2f}" for p in parts)
              + " s; peak pyramids " + ", ".join(f"{p['pyramids']:.2f}" for p in parts) + " s")

        view = win.signal_view
        width = view._lanes[0].ax.bbox.width

        def step(viewport) -> float:
            t = time.perf_counter()
            win.state.set_viewport(viewport)  # the overview strip moves its window (blit) here
            view.redraw()  # what a viewport change runs (coalesced on the event loop in the app)
            view.repaint()
            return (time.perf_counter() - t) * 1000

        # warm: spectrogram import, glyph caches
        step(win.state.viewport.whole_call())
        while app.hasPendingEvents() if hasattr(app, "hasPendingEvents") else False:
            app.processEvents()
        for _ in range(50):
            app.processEvents()
            time.sleep(0.02)

        zooms, pans = [], []
        anchor = duration * 0.37
        vp = win.state.viewport.whole_call()
        for _ in range(40):  # whole call -> about 1 s across, one 1.25x step at a time
            vp = vp.zoom_in(anchor)
            zooms.append(step(vp))
            app.processEvents()
        for _ in range(40):
            vp = vp.zoom_out(anchor)
            zooms.append(step(vp))
            app.processEvents()
        pans_by_span = {}
        for span in (duration, 3600.0, 600.0, 60.0, 10.0):
            vp = win.state.viewport.set(anchor - span / 2, anchor + span / 2)
            step(vp)
            for _ in range(15):
                vp = vp.pan_fraction(0.1)
                pans.append(step(vp))
                pans_by_span.setdefault(span, []).append(pans[-1])
                app.processEvents()
        z_med, z_p90 = median_ms(zooms)
        p_med, p_p90 = median_ms(pans)
        print(f"signal view {width:.0f} px wide; redraw per zoom step: median {z_med:.1f} ms, p90 {z_p90:.1f} ms "
              f"({len(zooms)} steps); per pan step: median {p_med:.1f} ms, p90 {p_p90:.1f} ms ({len(pans)} steps); "
              f"target <= 50 ms")
        print("  pan median by view length: " + ", ".join(
            f"{span:g} s: {statistics.median(v):.1f} ms" for span, v in pans_by_span.items()))

        for _ in range(30):  # let the spectrogram lane finish too
            app.processEvents()
            time.sleep(0.02)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

        # Memory pass (tracemalloc slows Python down, so it is not on while timing): open it again.
        win.close_call() if hasattr(win, "close_call") else None
        import gc

        gc.collect()
        tracemalloc.start()
        open_and_wait_for_paint()
        for k in range(30):
            step(win.state.viewport.zoom_in(anchor) if k < 15 else win.state.viewport.pan_fraction(0.1))
            app.processEvents()
        for _ in range(30):
            app.processEvents()
            time.sleep(0.02)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"memory (target <= 4x the decoded audio): tracemalloc peak while opening and browsing "
              f"{peak / 1e6:.0f} MB = {peak / audio_bytes:.2f}x; ru_maxrss growth over the first open "
              f"{(rss_first - rss0) / 1e6:.0f} MB = {(rss_first - rss0) / audio_bytes:.2f}x; over the whole run "
              f"(which also decodes a second copy alone) {(rss1 - rss0) / 1e6:.0f} MB = "
              f"{(rss1 - rss0) / audio_bytes:.2f}x")
        pyramid = sum(p.nbytes() for p in win.calls.audio.pyramids)
        print(f"peak pyramids: {pyramid / 1e6:.1f} MB ({pyramid / audio_bytes * 100:.1f} % of the audio)")
        win.close()
        win.deleteLater()
        app.processEvents()
        engine.dispose()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of Qt/matplotlib objects (nothing left to write)


if __name__ == "__main__":
    sys.exit(main())
