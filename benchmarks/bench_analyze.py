"""Wall time of `reviewer-app analyze` against plain faster-whisper on the same call.

Both run as whole processes (start-up included), alternately, several times;
the reference transcribes the same channels with the same model and options
and does nothing else. Reported: the median of each and their ratio (target
<= 1.15: the app's own work - decode, VAD, features, rules, model, storage,
start-up - stays small next to ASR), the app's stage timings with the share
of detection (rules and learned model), and, when the audio has word timings beside it (calls_en's
`<call>.json`: speaker A = left = customer, B = right = agent), the word error
rate per channel of both runs against them (target: the app's no higher).

    .venv/bin/python benchmarks/bench_analyze.py [AUDIO] [--runs N] [--asr-model base]
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
    args = parser.parse_args()

    from reviewer_app.core.asr.model_store import resolve_model
    from reviewer_app.core.asr.transcribe import transcribe_options

    model = resolve_model(args.asr_model)  # joins the bundled model before timing anything
    options = transcribe_options(None, multilingual=not args.asr_model.endswith(".en"))
    app_exe = str(Path(sys.executable).with_name("reviewer-app"))
    app_times, ref_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            elapsed, out = timed([sys.executable, "-c", REFERENCE, model.path, args.audio, json.dumps(options)])
            ref_times.append(elapsed)
            plain_words = json.loads(out.strip().splitlines()[-1])
            app_times.append(timed([app_exe, "analyze", args.audio, "--force", "--asr-model", args.asr_model,
                                    "--db", f"sqlite:///{tmp}/bench.sqlite3", "--out", tmp])[0])
            print(f"run {run + 1}: faster-whisper {ref_times[-1]:.2f} s, reviewer-app {app_times[-1]:.2f} s",
                  flush=True)
        report = json.loads(next(Path(tmp).glob("*.json")).read_text())
    ref, app = statistics.median(ref_times), statistics.median(app_times)
    print(f"audio: {args.audio} ({report['audio']['duration_s']:.1f} s, model {args.asr_model})")
    timings = report["timings_s"]
    print(f"app stage timings of the last run: {timings}")
    if timings.get("total"):
        print(f"detection's share (rules + learned model): {timings.get('rules', 0.0) / timings['total']:.1%}")
    print(f"median faster-whisper alone: {ref:.2f} s; median reviewer-app analyze: {app:.2f} s")
    print(f"ratio app / faster-whisper: {app / ref:.2f} (target <= 1.15)")
    for line in channel_wer(args.audio, plain_words, report):
        print(line)


if __name__ == "__main__":
    main()
