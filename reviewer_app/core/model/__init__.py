"""The learned problem-segment model: what it reads, the network, inference, checkpoints and versions.

* `network`: the nn.Module, its config and the sizes its inputs must have.
* `call_features` (mel and prosody per call), `windows` (candidate windows, tokens),
  `batching`, `inputs` (a call's inputs, from an analysis or from a file), `encoder_cache` (the
  Whisper encoder states asr/ captured, on disk): what it reads.
* `predict`: segments of one call. `device`: where torch runs.
* `checkpoint` (safetensors + JSON meta) and `registry` (the versions in a library, the one in use).

It imports the audio and ASR layers and nothing above them; detection, the pipeline
and training import it.
"""
