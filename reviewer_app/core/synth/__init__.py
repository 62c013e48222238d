"""Seeded, pure signal tools that place known problems into audio (no Qt, numpy only).

`injections` changes sample arrays (clipping, dropouts, noise, level, silence,
hold music, a second voice, loops); `speech` makes speech with espeak-ng and
changes its tempo with sox. The detection benchmark (benchmarks/eval_detection.py)
builds its scenario calls from these, and a training corpus can reuse them.
"""
