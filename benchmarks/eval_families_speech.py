"""Detection benchmark, scenario families about what is said and how: fast speech, repetition,
forbidden phrases, missing greeting / closing and negative emotion. Each build_* returns one Scenario.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from eval_calls import (AGENT, BANDS, CALLS_EN, CLOSING_WINDOW_S, CUSTOMER, DEFAULTS, FAST_MAX_PAUSE_S,
                        FAST_MIN_WORDS, FAST_WPM, GREETING_WINDOW_S, ROLES, SHARED, Call, Retry, Scenario,
                        _insert_at_gap, _say, _spoken_block, _tokens, _uniform, _voice, calls_en,
                        closing_truth, greeting_truth, inj, phrase_hits, random_excerpt, speech)


# fast speech --------------------------------------------------------------------------------------


TEMPO = {"mild": (1.3, 1.5), "moderate": (1.5, 1.7), "severe": (1.7, 1.9), "negative": (1.0, 1.0)}
EXPLANATIONS = (
    "your order was shipped on monday from our warehouse in leeds and the courier should deliver it within "
    "three working days, you will get a text message with the tracking number and a one hour delivery window "
    "on the morning it arrives at your address",
    "the refund has been approved today and it goes back to the card you paid with, it normally takes five to "
    "seven working days to show on your statement depending on your bank, and you will receive an email "
    "confirmation with the reference number for your records",
    "to reset the router please unplug it from the wall for thirty seconds, then plug it back in and wait until "
    "the light on the front turns green, after that open the app on your phone and choose the option to "
    "connect a new device to the network",
    "the contract runs for twelve months from the start date, after that it rolls over to a monthly plan at "
    "the same price unless you tell us otherwise, and you can change the tariff at any time through the "
    "account page on our website or in the app",
    "i have booked the engineer for thursday between eight in the morning and one in the afternoon, they will "
    "call you about thirty minutes before they arrive, so please make sure someone over eighteen is at home "
    "to let them into the property",
    "the train leaves cambridge at ten past two and arrives in leicester at ten to five, there is one change "
    "at peterborough with about twelve minutes between the trains, and the ticket costs thirty seven pounds "
    "eighty with the railcard discount",
)


def _wpm(words: list[dict]) -> float:
    """Speaking rate as the fast_speech rule defines it: words over their span, pauses capped."""
    words = sorted(words, key=lambda w: w["start"])
    if not words:
        return 0.0
    t = sum(w["end"] - w["start"] for w in words)
    t += sum(min(max(0.0, b["start"] - a["end"]), FAST_MAX_PAUSE_S) for a, b in zip(words, words[1:]))
    return 60.0 * len(words) / t if t > 0 else 0.0


def build_fast_speech(rng, band: str) -> Scenario:
    sc = Scenario("", "fast_speech", band, random_excerpt(rng, 30.0))
    call = sc.call
    text = EXPLANATIONS[int(rng.integers(len(EXPLANATIONS)))]
    # espeak's -s 115-135 measures about 150-175 words/min over the turn: natural, then sped up
    audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 115, 135))
    factor = _uniform(rng, *TEMPO[band])
    audio = speech.tempo(audio, call.rate, factor)
    length = audio.size / call.rate
    tokens = text.split()
    # The turn's words, spread evenly over its length (espeak gives no word timings).
    words = [{"role": AGENT, "word": tok, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
             for k, tok in enumerate(tokens)]
    rate = 60.0 * len(tokens) / length
    at = _insert_at_gap(call, rng)
    call.insert(at, _spoken_block(call, AGENT, audio, rng), words)
    what = f"{len(tokens)} words by {voice} at espeak {wpm} wpm, tempo {factor:.2f}: {rate:.0f} words/min"
    is_fast = rate > FAST_WPM and len(tokens) >= FAST_MIN_WORDS
    if band in BANDS and not is_fast:
        raise Retry("the sped-up turn is not over the limit")
    sc.place(at, at + length, AGENT, band if is_fast else "negative", what)
    if is_fast:
        sc.add_truth(at, at + length, AGENT, band, what)
    sc.meta["turn_wpm"] = round(rate, 1)
    return sc


# repetition ---------------------------------------------------------------------------------------


REPEAT_COUNT = {"mild": (2, 2), "moderate": (3, 3), "severe": (4, 6)}
NUMBERS = ("four five two seven", "nine one one three eight", "two zero six four")
PHRASES = ("your reference number is four five two seven", "the account is in your name",
           "can you hear me now", "the payment did not go through", "please hold the line for me",
           "i need the tracking number")


def _repeat_said(sc: Scenario, rng, count: int, band: str) -> None:
    call = sc.call
    role = AGENT if rng.random() < 0.7 else CUSTOMER
    phrase = PHRASES[int(rng.integers(len(PHRASES)))]
    voice, wpm = _voice(rng), int(rng.uniform(140, 200))
    pieces, words, t = [], [], 0.0
    tokens = phrase.split()
    for k in range(count):
        if k:
            pause = _uniform(rng, 0.2, 1.2)
            pieces.append(np.zeros(int(pause * call.rate)))
            t += pause
        # each saying a little different (rate, pitch), as a person says it again; a loop is the same audio
        once = speech.espeak(phrase, voice=voice, wpm=int(wpm * rng.uniform(0.88, 1.12)),
                             pitch=int(rng.integers(35, 70)), rate=call.rate)
        pieces.append(once)
        step = once.size / call.rate / len(tokens)
        words += [{"role": role, "word": tok, "start": t + j * step, "end": t + (j + 1) * step}
                  for j, tok in enumerate(tokens)]
        t += once.size / call.rate
    audio = np.concatenate(pieces)
    at = _insert_at_gap(call, rng, avoid=[(p["start"], p["end"]) for p in sc.placed])
    call.insert(at, _spoken_block(call, role, audio, rng), words)
    sc.shift_after(at, audio.size / call.rate)
    what = f"'{phrase}' said {count} times by {role} ({voice}, {wpm} wpm)"
    sc.place(at, at + t, role, band, what)
    sc.add_truth(at, at + t, role, band, what)


def _repeat_looped(sc: Scenario, rng, count: int, band: str) -> None:
    """Real words of one side (3-6 words, the other side silent) played `count` times in a row."""
    call = sc.call
    options = []
    for role in ROLES:
        other = CUSTOMER if role == AGENT else AGENT
        ws = call.words_of(role)
        for i in range(len(ws)):
            for n in range(3, 7):
                if i + n > len(ws):
                    break
                group = ws[i:i + n]
                if any(b["start"] - a["end"] > 0.3 for a, b in zip(group, group[1:])):
                    break
                toks = [_tokens(w["word"]) for w in group]
                if len({t for tt in toks for t in tt}) < 3:
                    continue
                a, b = group[0]["start"] - 0.05, group[-1]["end"] + 0.05
                if 0.8 <= b - a <= 3.0 and 0.0 < a and b < call.duration - 0.1 and \
                        call.is_clear(other, a - 0.3, b + 0.3) and \
                        all(b < p["start"] - 1 or a > p["end"] + 1 for p in sc.placed):
                    options.append((role, a, b, group))
    if not options:
        raise Retry("no phrase to loop")
    role, a, b, group = options[int(rng.integers(len(options)))]
    length = b - a
    copies = count - 1
    block = np.concatenate([call.audio[:, int(a * call.rate):int(b * call.rate)]] * copies, axis=1)
    copied = [dict(w, start=w["start"] - a + k * (block.shape[1] / copies / call.rate),
                   end=w["end"] - a + k * (block.shape[1] / copies / call.rate))
              for k in range(copies) for w in group]
    call.insert(b, block, copied)
    sc.shift_after(b, block.shape[1] / call.rate)
    phrase = " ".join(w["word"] for w in group)
    what = f"'{phrase}' ({role}, real audio) looped to {count} times"
    end = a + length * count
    sc.place(a, end, role, band, what)
    sc.add_truth(a, end, role, band, what)


def _say_apart(sc: Scenario, rng) -> None:
    """Decoy: one side says the same phrase once early and once more than 20 s later."""
    call = sc.call
    role = AGENT if rng.random() < 0.7 else CUSTOMER
    phrase = PHRASES[int(rng.integers(len(PHRASES)))]
    voice, wpm = _voice(rng), int(rng.uniform(140, 200))
    once = speech.espeak(phrase, voice=voice, wpm=wpm, rate=call.rate)
    length = once.size / call.rate
    tokens = phrase.split()
    words = [{"role": role, "word": tok, "start": j * length / len(tokens), "end": (j + 1) * length / len(tokens)}
             for j, tok in enumerate(tokens)]
    early = [(a + b) / 2 for a, b in call.gaps() if b - a >= 0.3 and 1.0 <= (a + b) / 2 <= 8.0]
    if not early:
        raise Retry("no pause early in the call")
    first = float(early[int(rng.integers(len(early)))])
    call.insert(first, _spoken_block(call, role, once, rng), words)
    late = [(a + b) / 2 for a, b in call.gaps() if b - a >= 0.3 and (a + b) / 2 >= first + length + 22.0]
    if not late:
        raise Retry("no pause 22 s later")
    second = float(late[int(rng.integers(len(late)))])
    call.insert(second, _spoken_block(call, role, once, rng), words)
    what = f"'{phrase}' said by {role} at {first:.0f} s and again at {second:.0f} s ({voice})"
    sc.place(first, first + length, role, "negative", what)
    sc.place(second, second + length, role, "negative", what)


def _read_back(sc: Scenario, rng) -> None:
    """Decoy: a number read back at once ('four five two seven, four five two seven')."""
    call = sc.call
    role = AGENT if rng.random() < 0.5 else CUSTOMER
    number = NUMBERS[int(rng.integers(len(NUMBERS)))]
    text = f"{number}, {number}"
    voice, wpm = _voice(rng), int(rng.uniform(140, 180))
    sayings = [speech.espeak(number, voice=voice, wpm=int(wpm * rng.uniform(0.88, 1.12)),
                             pitch=int(rng.integers(35, 70)), rate=call.rate) for _ in range(2)]
    audio = np.concatenate([sayings[0], np.zeros(int(_uniform(rng, 0.2, 0.5) * call.rate)), sayings[1]])
    at = _place_sentence(sc, rng, role, audio, text.replace(",", ""), 0.0)
    sc.place(at, at + audio.size / call.rate, role, "negative", f"number read back '{text}' ({voice}, {wpm} wpm)")


def build_repetition(rng, band: str) -> Scenario:
    if band not in BANDS:
        sc = Scenario("", "repetition", band, random_excerpt(rng, 40.0))
        _say_apart(sc, rng)
        _read_back(sc, rng)
        return sc
    sc = Scenario("", "repetition", band, random_excerpt(rng, 35.0))
    _repeat_said(sc, rng, int(rng.integers(REPEAT_COUNT[band][0], REPEAT_COUNT[band][1] + 1)), band)
    _repeat_looped(sc, rng, int(rng.integers(REPEAT_COUNT[band][0], REPEAT_COUNT[band][1] + 1)), band)
    return sc


# forbidden phrases --------------------------------------------------------------------------------


FORBIDDEN_SENTENCES = (
    ("look, honestly", "that's not my problem", "you have to call the bank about it yourself"),
    ("i have told you twice already so", "calm down", "and let me finish what i was saying"),
    ("sorry but", "that's not my job", "somebody in the billing team will have to look at it"),
    ("you know what,", "whatever", "just do what you think is best then"),
    ("this is always the same with", "you people", "nobody ever reads the letters we send"),
    ("to be honest", "i don't care", "which option you pick in the end"),
    ("please just", "shut up", "for one second and listen to me"),
)
NEAR_MISSES = (
    "that's no problem at all, i will fix it for you right now",
    "please stay calm, we will sort this out together today",
    "i really care about getting this right for you",
    "it is my job to help you with this, so let us start",
    "people often ask about this, so you are not alone",
)
FORBIDDEN_STYLE = {
    "mild": (("en-us", "en-gb"), (140, 170), 0.0),
    "moderate": (("en-us+f3", "en-us+m3", "en-gb+f4", "en-us+m7"), (170, 210), 0.0),
    "severe": (("en-gb-scotland", "en-029", "en-us+f3"), (200, 260), -6.0),
}


def _place_sentence(sc: Scenario, rng, role: str, audio: np.ndarray, text: str, rel_db: float) -> float:
    call = sc.call
    at = _insert_at_gap(call, rng, avoid=[(p["start"], p["end"]) for p in sc.placed])
    length = audio.size / call.rate
    tokens = text.split()
    words = [{"role": role, "word": tok, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
             for k, tok in enumerate(tokens)]
    call.insert(at, _spoken_block(call, role, audio, rng, rel_db), words)
    sc.shift_after(at, length)
    return at


def build_forbidden_phrase(rng, band: str) -> Scenario:
    sc = Scenario("", "forbidden_phrase", band, random_excerpt(rng, 35.0))
    call = sc.call
    style = FORBIDDEN_STYLE.get(band, FORBIDDEN_STYLE["moderate"])
    n_pos = 2 if band in BANDS else 0
    for k in range(n_pos):
        before, phrase, after = FORBIDDEN_SENTENCES[int(rng.integers(len(FORBIDDEN_SENTENCES)))]
        voice = _voice(rng, style[0])
        wpm = int(rng.uniform(*style[1]))
        role = AGENT if k == 0 or rng.random() < 0.6 else CUSTOMER
        pitch = int(rng.integers(35, 70))

        def say(text):
            return speech.espeak(text, voice=voice, wpm=wpm, pitch=pitch, rate=call.rate)

        full = say(f"{before} {phrase} {after}")
        # Where the phrase lies in the sentence: the lengths of its start and of its start plus the phrase.
        t0, t1 = say(before).size / call.rate, say(f"{before} {phrase}").size / call.rate
        at = _place_sentence(sc, rng, role, full, f"{before} {phrase} {after}", style[2])
        what = f"'{phrase}' by {role} ({voice}, {wpm} wpm) in a sentence"
        sc.place(at + t0, at + t1, role, band, what)
        sc.add_truth(at + t0, at + t1, role, band, what)
    for _ in range(1 if band in BANDS else 3):
        text = NEAR_MISSES[int(rng.integers(len(NEAR_MISSES)))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 140, 230))
        role = AGENT if rng.random() < 0.7 else CUSTOMER
        at = _place_sentence(sc, rng, role, audio, text, 0.0)
        sc.place(at, at + audio.size / call.rate, role, "negative", f"near miss '{text}' ({voice}, {wpm} wpm)")
    return sc


# greeting and closing -----------------------------------------------------------------------------


GREETINGS = (
    "good morning and thank you for calling city travel, my name is alex, how can i help you today",
    "hello, you are through to customer service, this is sam speaking, how may i help",
    "good afternoon, thanks for calling the bookings desk, what can i do for you",
    "hi there, welcome to the help line, how can i help you this evening",
)
NOT_GREETINGS = (
    "bookings desk, can i take your reference number please",
    "right, what is the postcode of the property",
    "account team, please give me your date of birth first",
)
CLOSINGS = (
    "is there anything else i can do for you today, no, then thank you for calling and have a nice day",
    "thanks for calling us, take care and goodbye",
    "you are all set now, have a great day, bye",
)
NOT_CLOSINGS = (
    "i have sent the confirmation to your email address now",
    "the booking is confirmed under your surname",
    "your case number is on the letter we posted yesterday",
)


def _cut_agent(call: Call, start: float, end: float, rng) -> None:
    """Remove the agent's words between start and end: their audio becomes line noise."""
    i = call.ch(AGENT)
    a, b = int(start * call.rate), int(end * call.rate)
    call.audio[i, a:b] = inj.comfort_noise(b - a, call.rate, min(call.floor_dbfs(AGENT), -50.0), rng)
    call.words = [w for w in call.words if not (w["role"] == AGENT and w["start"] >= start and w["end"] <= end)]


def build_missing_greeting(rng, band: str, variant: int) -> Scenario:
    base = calls_en(CALLS_EN[variant % 2])
    cuts = [(a + b) / 2 for a, b in base.gaps()]
    call = base.excerpt(0.0, min(cuts, key=lambda c: abs(c - 35.0)))
    sc = Scenario("", "missing_greeting", band, call)
    first_turn = call.runs(AGENT, gap=0.5)[0]
    kind = ("original" if variant < 2 else "espeak") if band == "negative" else ("cut" if variant < 2 else "replaced")
    what = "the original greeting"
    if kind != "original":
        _cut_agent(call, first_turn[0] - 0.05, first_turn[1] + 0.05, rng)
    if kind in ("espeak", "replaced"):
        text = (GREETINGS if kind == "espeak" else NOT_GREETINGS)[int(rng.integers(3 if kind == "replaced" else 4))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 130, 230))
        at = max(c for c in [0.0] + [(a + b) / 2 for a, b in call.gaps()] if c <= first_turn[0])
        length = audio.size / call.rate
        tokens = text.replace(",", "").split()
        words = [{"role": AGENT, "word": t, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
                 for k, t in enumerate(tokens)]
        call.insert(at, _spoken_block(call, AGENT, audio, rng), words)
        what = f"'{text}' ({voice}, {wpm} wpm)"
    elif kind == "cut":
        what = "the agent's greeting cut out"
    found = greeting_truth(call)
    if (band == "negative") == bool(found):
        raise Retry("the greeting truth does not fit the variant")
    agent_words = call.words_of(AGENT)
    span = (agent_words[0]["start"], min(agent_words[0]["start"] + GREETING_WINDOW_S, agent_words[-1]["end"]))
    sc.place(*span, AGENT, band, what)
    for s, e in found:
        sc.add_truth(s, e, AGENT, band, what)
    return sc


def build_missing_closing(rng, band: str, variant: int) -> Scenario:
    base = calls_en(CALLS_EN[variant % 2])
    cuts = [(a + b) / 2 for a, b in base.gaps()]
    call = base.excerpt(min(cuts, key=lambda c: abs(c - (base.duration - 35.0))), base.duration)
    sc = Scenario("", "missing_closing", band, call)
    kind = ("original" if variant < 2 else "espeak") if band == "negative" else ("cut" if variant < 2 else "replaced")
    what = "the original closing"
    if kind != "original":
        # cut every agent turn in the last CLOSING_WINDOW_S that holds a closing phrase
        for a, b in reversed(call.runs(AGENT, gap=0.5)):
            in_turn = [w for w in call.words_of(AGENT) if a <= w["start"] and w["end"] <= b]
            if phrase_hits(in_turn, DEFAULTS.lexicon.closing):
                _cut_agent(call, a - 0.05, b + 0.05, rng)
        what = "the agent's closing cut out"
    if kind in ("espeak", "replaced"):
        text = (CLOSINGS if kind == "espeak" else NOT_CLOSINGS)[int(rng.integers(3))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 130, 230))
        last = max(w["end"] for w in call.words)
        at = _insert_at_gap(call, rng, margin=0.0) if rng.random() < 0.3 else last + 0.3
        length = audio.size / call.rate
        tokens = text.replace(",", "").split()
        words = [{"role": AGENT, "word": t, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
                 for k, t in enumerate(tokens)]
        call.insert(min(at, call.duration), _spoken_block(call, AGENT, audio, rng), words)
        what = f"'{text}' ({voice}, {wpm} wpm)"
    found = closing_truth(call)
    if (band == "negative") == bool(found):
        raise Retry("the closing truth does not fit the variant")
    agent_words = call.words_of(AGENT)
    last = agent_words[-1]["end"]
    sc.place(max(agent_words[0]["start"], last - CLOSING_WINDOW_S), last, AGENT, band, what)
    for s, e in found:
        sc.add_truth(s, e, AGENT, band, what)
    return sc


# negative emotion (emotion_de) --------------------------------------------------------------------


EMOTION_RATE = 16000
EMO_SPEAKERS = ("03", "08", "09", "10", "11")
ANGER_CLIPS = {"mild": (1, 1), "moderate": (2, 2), "severe": (3, 4)}
_CLIPS: dict[str, np.ndarray] = {}


def _emotion_clips() -> dict[str, dict[str, list[str]]]:
    import csv

    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"neutral": [], "anger": []})
    with open(SHARED / "emotion_de" / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["speaker_id"]][row["emotion"]].append(row["file"])
    return out


def _clip(name: str) -> np.ndarray:
    if name not in _CLIPS:
        audio, rate = speech.read_wav(SHARED / "emotion_de" / name)
        audio = audio if audio.ndim == 1 else audio[0]
        _CLIPS[name] = speech.trim_silence(speech.resample(audio, rate, EMOTION_RATE), EMOTION_RATE, -45.0)
    return _CLIPS[name]


def build_negative_emotion(rng, band: str, speaker: str, loud: str = "") -> Scenario:
    """One speaker's clips on the customer (left) channel of a 16 kHz stereo call; the agent side is line
    noise. Neutral clips first (the speaker's own baseline), then anger, then neutral again."""
    clips = _emotion_clips()[speaker]
    neutral = list(clips["neutral"])
    rng.shuffle(neutral)
    n_before, n_after = int(rng.integers(4, 7)), int(rng.integers(2, 4))
    order = [neutral[k % len(neutral)] for k in range(n_before + n_after)]
    angry: list[str] = []
    if band in BANDS:
        pool = list(clips["anger"])
        rng.shuffle(pool)
        angry = pool[: int(rng.integers(ANGER_CLIPS[band][0], ANGER_CLIPS[band][1] + 1))]
    sequence = [(c, "neutral") for c in order[:n_before]] + [(c, "anger") for c in angry] + \
        [(c, "neutral") for c in order[n_before:]]
    loud_from = int(rng.integers(2, len(sequence) - 2)) if loud == "stretch" else -1
    gain_db = _uniform(rng, 8.0, 12.0)
    pieces, spans, t = [], [], 0.6
    pieces.append(np.zeros(int(0.6 * EMOTION_RATE)))
    for k, (name, emotion) in enumerate(sequence):
        audio = _clip(name)
        if loud == "whole" or loud_from <= k < loud_from + 2:
            audio = audio * inj.db_to_gain(gain_db)
        spans.append((t, t + audio.size / EMOTION_RATE, emotion, k))
        pieces.append(audio)
        pause = _uniform(rng, 0.3, 0.9)
        pieces.append(np.zeros(int(pause * EMOTION_RATE)))
        t += audio.size / EMOTION_RATE + pause
    pieces.append(np.zeros(int(0.6 * EMOTION_RATE)))
    voice = np.concatenate(pieces)
    peak = float(np.max(np.abs(voice)))
    voice = voice * (0.9 / peak) if peak > 0.9 else voice
    n = voice.size
    floor = np.stack([inj.comfort_noise(n, EMOTION_RATE, -62.0, rng) for _ in ROLES])
    floor[0] += voice
    call = Call(floor, EMOTION_RATE, [])
    sc = Scenario("", "negative_emotion", band, call, meta={"speaker": speaker, "clips": [s[0] for s in sequence]})
    anger_spans = [(a, b) for a, b, e, _ in spans if e == "anger"]
    if anger_spans:
        what = f"speaker {speaker}: {len(anger_spans)} anger clip(s) between neutral ones"
        sc.place(anger_spans[0][0], anger_spans[-1][1], CUSTOMER, band, what)
        sc.add_truth(anger_spans[0][0], anger_spans[-1][1], CUSTOMER, band, what)
    elif loud == "stretch":
        a, b = spans[loud_from][0], spans[loud_from + 1][1]
        sc.place(a, b, CUSTOMER, "negative", f"speaker {speaker}: two neutral clips {gain_db:.0f} dB louder")
    else:
        sc.place(spans[0][0], spans[-1][1], CUSTOMER, "negative",
                 f"speaker {speaker}: neutral only" + (f", all {gain_db:.0f} dB louder" if loud else ""))
    return sc
