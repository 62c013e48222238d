"""Dialogs: settings, shortcuts sheet."""
