"""Progress reports and cancellation shared by the CLI and the GUI workers."""
from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

S = TypeVar("S")
T = TypeVar("T")


@dataclass(frozen=True)
class Progress:
    done: float
    total: float
    message: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)


class Cancelled(Exception):
    """Raised inside long work when the user cancelled it."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


def write_here(steps: Generator[S, None, T]) -> Generator[S, None, T]:
    """Where long work runs its database writes, by default: here, in its own thread.

    Long work that stores what it computed (an import, a re-scoring) takes a
    `run_write` of this shape and hands each write over as a generator (its
    progress steps, then its value): ``value = yield from run_write(steps)``.
    The window passes gui/ops.py's Ops.write_steps, which runs the write on its
    serial write lane and passes the steps back, so two writes never race.
    """
    return (yield from steps)


def no_steps(write: Callable[[], T]) -> Generator[Progress, None, T]:
    """A write with no progress of its own (`write()`), as the steps `run_write` takes."""
    yield from ()
    return write()


def run_to_end(gen: Generator[Progress, None, T], on_progress: Callable[[Progress], object] | None = None) -> T:
    """Drive a Progress generator (an analysis, an import, a re-score...) to its result, passing each
    Progress to `on_progress`."""
    while True:
        try:
            progress = next(gen)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(progress)


def relay(gen: Generator[S, None, T], to_progress: Callable[[S], Progress]) -> Generator[Progress, None, T]:
    """Pass each step of `gen` on as `to_progress(step)`; return `gen`'s value.

    For a progress generator that runs another: ``value = yield from relay(inner, lambda p: ...)``
    (the inner step rescaled to a stretch of the outer bar, or its message prefixed).
    """
    while True:
        try:
            step = next(gen)
        except StopIteration as stop:
            return stop.value
        yield to_progress(step)
