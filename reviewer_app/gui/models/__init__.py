"""Thin Qt item models over plain core data."""
