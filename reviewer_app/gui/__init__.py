"""The PySide6 reviewer window. Everything Qt lives here; the logic it shows lives in
reviewer_app.core (review/, storage/, audio/)."""
