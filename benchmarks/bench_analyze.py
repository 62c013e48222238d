"""Wall time of `reviewer-app analyze` against plain faster-whisper on the same call.

Both run as whole processes (start-up included), alternately, several times;
the reference transcribes the same channels with the same model and options
and does nothing else. Reported: the median of each and their ratio (target
<= 1.3: the app's own work - decode, VAD, features, rules, storage, start-up -
stays small next to ASR).

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
words = 0
for samples in reversed(channels):  # agent (right) first, as the app does
    segments, info = model.transcribe(samples, language=language, **options)
    words += sum(len(s.words or []) for s in segments)
    language = language or info.language
print(words)
"""


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{done.stderr.strip()[-2000:]}")
    return elapsed


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
            ref_times.append(timed([sys.executable, "-c", REFERENCE, model.path, args.audio, json.dumps(options)]))
            app_times.append(timed([app_exe, "analyze", args.audio, "--force", "--asr-model", args.asr_model,
                                    "--db", f"sqlite:///{tmp}/bench.sqlite3", "--out", tmp]))
            print(f"run {run + 1}: faster-whisper {ref_times[-1]:.2f} s, reviewer-app {app_times[-1]:.2f} s",
                  flush=True)
        report = json.loads(next(Path(tmp).glob("*.json")).read_text())
    ref, app = statistics.median(ref_times), statistics.median(app_times)
    print(f"audio: {args.audio} ({report['audio']['duration_s']:.1f} s, model {args.asr_model})")
    print(f"app stage timings of the last run: {report['timings_s']}")
    print(f"median faster-whisper alone: {ref:.2f} s; median reviewer-app analyze: {app:.2f} s")
    print(f"ratio app / faster-whisper: {app / ref:.2f} (target <= 1.30)")


if __name__ == "__main__":
    main()
