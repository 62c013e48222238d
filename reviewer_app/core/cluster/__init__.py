"""Batch analysis on a Ray cluster (`reviewer-app analyze --cluster ADDRESS` or `--workers N`).

actors.py: the worker actor (loads the ASR model and the detector once, analyses one call at a
time); driver.py: hands calls out one at a time, retries calls whose worker died, and stores each
result in one transaction; provenance.py: who analysed a call (no Ray). Importing this package
does not import Ray; only actors.py and driver.py do, and the CLI imports them only for --cluster.
"""
