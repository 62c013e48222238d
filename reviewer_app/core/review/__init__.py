"""Review logic without Qt: the label commands behind undo/redo, the review session,
the time viewport, transcript lookups and edits, and the playback renderer.

The GUI (reviewer_app/gui) adapts these to widgets and signals; the tests in
tests/core/test_review*.py drive them with no display.
"""
