"""Headless core of reviewer_app. Nothing below this package may import Qt."""
