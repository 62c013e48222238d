"""Errors whose message is one readable line naming the file and the cause."""
from __future__ import annotations


class ReviewerError(Exception):
    """Base class: str(error) is shown to the user as is."""


class AudioError(ReviewerError):
    def __init__(self, path: str, cause: str) -> None:
        super().__init__(f"{path}: {cause}")
        self.path = path
        self.cause = cause

    def __reduce__(self):  # picklable (errors cross process boundaries: workers, capped test children)
        return type(self), (self.path, self.cause)


class ModelError(ReviewerError):
    pass


class SettingsError(ReviewerError):
    pass
