"""Wall time of `reviewer-app analyze` against plain faster-whisper on the same call.

Both run as whole processes (start-up included), alternately, several times;
the reference transcribes the same channels with the same model and options
and does nothing else. Reported: the median of each and their ratio (target
<= 1.15: the app's own work - decode, VAD, features, rules, model, storage,
start-up - stays small next to ASR), the app's stage timings with the share
of detection (rules and learned model), and, when the audio has word timings beside it (calls_en's
`<call>.json`: speaker A = left = customer, B = right = agent), the word error
rate per channel of both runs against them (target: the app's no higher).

The learned model's share: its inference on every window category, the explanation of its
findings and its inputs (frame features; Whisper states are reused from the ASR) against the whole
analysis (target < 10% on CPU). `--five-minute` measures it on a 5-minute call made by joining the
real calls of ../shared/data/calls_en (fine for timing; written to a temp dir, never kept), and
`--no-reference` skips the faster-whisper runs when only that share is wanted.

    .venv/bin/python benchmarks/bench_analyze.py [AUDIO] [--runs N] [--asr-model base]
    .venv/bin/python benchmarks/bench_analyze.py --five-minute --no-reference --runs 1
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_CALL = ROOT.parent / "shared" / "data" / "calls_en" / "SNG0072.wav"
FIVE_MINUTES_S = 300.0

# The reference: faster-whisper alone, per channel, the app's options. Imports nothing of the app.
REFERENCE = r"""
import json, sys
from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
model_path, audio_path, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
model = WhisperModel(model_path, device="cpu", compute_type="int8")
channels = decode_audio(audio_path, split_stereo=True)
language = options.pop("language")
words = {}
for index in reversed(range(len(channels))):  # agent (right) first, as the app does
    segments, info = model.transcribe(channels[index], language=language, **options)
    words[index] = [w.word for s in segments for w in (s.words or [])]
    language = language or info.language
print(json.dumps(words))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{done.stderr.strip()[-2000:]}")
    return elapsed, done.stdout


def five_minute_call(folder: Path) -> Path:
    """calls_en's calls one after another (repeated) up to FIVE_MINUTES_S, as a 16-bit stereo WAV."""
    import wave

    import numpy as np

    from reviewer_app.core.audio.decode import decode_audio

    sources = sorted(SHARED_CALL.parent.glob("*.wav"))
    if not sources:
        sys.exit(f"no calls in {SHARED_CALL.parent}: the 5-minute call is made from them")
    calls = [decode_audio(str(p)) for p in sources]
    rate = calls[0].sample_rate
    if any(c.sample_rate != rate or c.channels != 2 for c in calls):
        sys.exit(f"{SHARED_CALL.parent}: the calls must all be stereo at one sample rate to be joined")
    parts, total, k = [], 0, 0
    while total < FIVE_MINUTES_S * rate:
        samples = calls[k % len(calls)].samples[:, : int(FIVE_MINUTES_S * rate) - total]
        parts.append(samples)
        total += samples.shape[1]
        k += 1
    pcm = (np.clip(np.concatenate(parts, axis=1), -1, 1) * 32767).astype("<i2").T.copy()
    out = folder / "calls_en_5min.wav"
    with wave.open(str(out), "wb") as fh:
        fh.setnchannels(2)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes(pcm.tobytes())
    return out


def channel_wer(audio: str, plain_words: dict, report: dict) -> list[str]:
    """Per-channel WER lines of plain faster-whisper and of the app, if word timings exist."""
    from reviewer_app.core.evaluate import word_error_rate

    truth_file = Path(audio).with_suffix(".json")
    roles = report["audio"]["roles"]
    if not truth_file.exists() or len(roles) != 2:
        return [f"no word timings beside {audio}: WER not measured"]
    truth = json.loads(truth_file.read_text())
    lines = []
    for index, (role, speaker) in enumerate(zip(roles, ("A", "B"))):
        ref = [w["word"] for w in truth if w["speaker"] == speaker]
        plain = word_error_rate(ref, plain_words.get(str(index), []))
        app_words = [w["word"] for t in report["transcript"] if t["role"] == role for w in t["words"]]
        app = word_error_rate(ref, app_words)
        verdict = "ok" if app <= plain + 1e-9 else "WORSE"
        lines.append(f"WER {role:8s} (channel {index}): faster-whisper {plain:.3f}, reviewer-app {app:.3f} [{verdict}]")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", nargs="?", default=str(SHARED_CALL if SHARED_CALL.exists() else
                                                         ROOT / "resources" / "demo_calls" / "demo_support_call.wav"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--asr-model", default="base")
    parser.add_argument("--five-minute", action="store_true",
                        help="analyse a 5-minute call joined from calls_en's real calls instead of AUDIO")
    parser.add_argument("--no-reference", action="store_true", help="skip the faster-whisper reference runs")
    args = parser.parse_args()

    from reviewer_app.core.asr.model_store import resolve_model
    from reviewer_app.core.asr.transcribe import transcribe_options

    model = resolve_model(args.asr_model)  # joins the bundled model before timing anything
    options = transcribe_options(None, multilingual=not args.asr_model.endswith(".en"))
    app_exe = str(Path(sys.executable).with_name("reviewer-app"))
    app_times, ref_times = [], []
    plain_words: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.five_minute:
            args.audio = str(five_minute_call(Path(tmp)))
        for run in range(args.runs):
            if not args.no_reference:
                elapsed, out = timed([sys.executable, "-c", REFERENCE, model.path, args.audio, json.dumps(options)])
                ref_times.append(elapsed)
                plain_words = json.loads(out.strip().splitlines()[-1])
            app_times.append(timed([app_exe, "analyze", args.audio, "--force", "--asr-model", args.asr_model,
                                    "--db", f"sqlite:///{tmp}/bench.sqlite3", "--out", tmp])[0])
            reference = "" if args.no_reference else f"faster-whisper {ref_times[-1]:.2f} s, "
            print(f"run {run + 1}: {reference}reviewer-app {app_times[-1]:.2f} s", flush=True)
        report = json.loads(next(Path(tmp).glob("*.json")).read_text())
    app = statistics.median(app_times)
    print(f"audio: {args.audio} ({report['audio']['duration_s']:.1f} s, model {args.asr_model})")
    timings = report["timings_s"]
    print(f"app stage timings of the last run: {timings}")
    if timings.get("total"):
        print(f"detection's share (rules + learned model): {timings.get('rules', 0.0) / timings['total']:.1%}")
        if "model" in timings:
            print(f"learned model's share (inputs, inference on every category, explanations): "
                  f"{timings['model']:.2f} s of {timings['total']:.2f} s = {timings['model'] / timings['total']:.1%} "
                  "(target < 10% on CPU)")
        else:
            print("the learned model did not run (see the analysis warnings)")
    if args.no_reference:
        print(f"median reviewer-app analyze: {app:.2f} s")
        return
    ref = statistics.median(ref_times)
    print(f"median faster-whisper alone: {ref:.2f} s; median reviewer-app analyze: {app:.2f} s")
    print(f"ratio app / faster-whisper: {app / ref:.2f} (target <= 1.15)")
    for line in channel_wer(args.audio, plain_words, report):
        print(line)


if __name__ == "__main__":
    main()
