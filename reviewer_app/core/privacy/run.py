"""Redact one audio file: hear it, find the personal data, remove it from a copy of the audio and
from the transcript, then hear the copy again to prove nothing is left.

`redact_file` is a progress generator (as pipeline.analyze is). It analyses the call with the
app's own ASR as `[privacy] redact = true` does (with the second, digit-biased hearing of the
read-outs: redecode.py), writes `<stem>.redacted.<ext>` (every channel, the same length and sample rate; see
audio_out.py for the formats) and `<stem>.redacted.json` (the transcript with each personal word
replaced by its kind, and the spans: kinds and times, no text), then transcribes the redacted
audio the same way. Personal data heard in it is a `StillHeard` error naming the file, and nothing
is left in the output folder: both files appear only once the check has passed.
"""
from __future__ import annotations

import copy
import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.analysis_json import write_json_atomic
from reviewer_app.core.audio.decode import MAX_SOURCE_CHANNELS, decode_audio
from reviewer_app.core.domain import CallAnalysis, PiiSpan, Turn
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_name
from reviewer_app.core.pipeline import analyze
from reviewer_app.core.privacy.audio_out import output_suffix, write_audio
from reviewer_app.core.privacy.redact import kind_counts, redact_samples, redact_transcript, redaction_intervals
from reviewer_app.core.progress import Progress, relay
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage.redactions import span_to_dict


class StillHeard(ReviewerError):
    """Personal data was heard in audio that should have had it removed."""


@dataclass
class RedactedFile:
    source: Path
    audio: Path
    transcript: Path
    spans: list[PiiSpan]
    sha256: str  # of the source audio (the call's identity in the library)
    duration_s: float
    removed_s: float  # audio muted or toned, padding included
    heard_again: list[PiiSpan] = field(default_factory=list)  # what the check found (empty: clean)

    @property
    def kinds(self) -> dict[str, int]:
        return kind_counts(self.spans)


def output_paths(source: str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """Where the redacted audio and transcript of `source` go."""
    source = Path(source)
    stem = f"{source.stem}.redacted"
    return Path(out_dir) / (stem + output_suffix(source)), Path(out_dir) / (stem + ".json")


def redact_file(path: str | Path, out_dir: str | Path, settings: Settings) -> Generator[Progress, None, RedactedFile]:
    """Redact `path` into `out_dir` and check the result by ear (see the module notes)."""
    path = Path(path)
    audio_out, json_out = output_paths(path, out_dir)
    finding = copy.deepcopy(settings)
    finding.privacy.redact = True  # analysis finds the spans as `[privacy] redact` does, second hearing included

    first = yield from relay(analyze(path, finding), lambda p: Progress(p.done * 0.45, 100, f"hearing: {p.message}"))
    turns, spans = first.transcript, first.pii
    yield Progress(45, 100, "removing the personal data from the audio")
    audio = decode_audio(path, max_channels=MAX_SOURCE_CHANNELS)
    intervals = redaction_intervals(spans, settings.privacy.padding_s, audio.duration_s)
    samples = redact_samples(audio.samples, audio.sample_rate, intervals, settings.privacy.mode)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".redacting-") as stage:
        staged = Path(stage) / audio_out.name
        write_audio(staged, samples, audio.sample_rate)
        heard = yield from relay(personal_data_heard(staged, settings),
                                 lambda p: Progress(50 + p.done * 0.45, 100, f"checking: {p.message}"))
        result = RedactedFile(path, audio_out, json_out, spans, first.audio.sha256, audio.duration_s,
                              sum(b - a for a, b in intervals), heard)
        if heard:
            where = ", ".join(f"{s.kind} at {s.start:.1f}-{s.end:.1f} s ({s.role})" for s in heard[:5])
            raise StillHeard(f"{show_name(path)}: personal data still heard in the redacted audio ({where}); "
                             "nothing written")
        staged_json = Path(stage) / json_out.name
        write_json_atomic(staged_json, transcript_json(first, turns, spans))
        staged.replace(audio_out)
        staged_json.replace(json_out)
    yield Progress(100, 100, "redacted")
    return result


def personal_data_heard(path: str | Path, settings: Settings) -> Generator[Progress, None, list[PiiSpan]]:
    """Transcribe `path` as analysis does and return the personal data heard in it (the check)."""
    plain = copy.deepcopy(settings)
    plain.privacy.redact = False
    analysis = yield from analyze(path, plain)
    return redact_transcript(analysis.transcript, settings.privacy.patterns)[1]


def transcript_json(analysis: CallAnalysis, turns: list[Turn], spans: list[PiiSpan]) -> dict:
    """The redacted transcript file: the call's audio facts, the redacted turns and the spans."""
    return {
        "audio": {"path": analysis.audio.path, "duration_s": analysis.audio.duration_s,
                  "sample_rate": analysis.audio.sample_rate, "channels": analysis.audio.channels,
                  "roles": list(analysis.audio.roles)},
        "language": analysis.language,
        "transcript": [
            {"role": t.role, "start": t.start, "end": t.end, "text": t.text,
             "words": [{"word": w.word, "start": w.start, "end": w.end, "prob": w.prob} for w in t.words]}
            for t in turns
        ],
        "pii": [span_to_dict(s) for s in spans],
        "redacted": kind_counts(spans),
    }
