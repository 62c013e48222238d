"""GPU workers: faster-whisper's BatchedInferencePipeline on CUDA (float16).

UNVERIFIED: written without a GPU to run it on. The CPU path (one window at a time, as in-process)
stays the default and is the one the tests run.

The batched pipeline transcribes the VAD's speech chunks in batches instead of sliding one
30-second window at a time, which is what keeps a GPU busy. It is installed on the loaded
WhisperModel itself (`model.transcribe` becomes the batched one), so the rest of the app, including
the encoder-state capture that wraps `model.encode`, keeps talking to the same object. The batched
pipeline encodes several windows per call: the capture matches the first window of each batch, so
the learned model's speech branch sees fewer captured windows on a GPU worker (it falls back to
what it has, as for a call with little speech).
"""
from __future__ import annotations


def use_batched_pipeline(engine, batch_size: int = 16) -> None:
    """Make `engine.model.transcribe` faster-whisper's batched transcription (once per model)."""
    model = engine.model
    if getattr(model, "_reviewer_batched", False):
        return
    from faster_whisper import BatchedInferencePipeline

    batched = BatchedInferencePipeline(model)

    def transcribe(audio, **options):
        return batched.transcribe(audio, batch_size=batch_size, **options)

    model.transcribe = transcribe
    model._reviewer_batched = True
