"""Audio layer: decode (PyAV), frame features and log-mel (numpy/torchaudio),
voice activity with crosstalk removal (Silero VAD), peak pyramids for drawing,
and `signals.analyse_channels`, which turns decoded audio into ChannelSignals."""
