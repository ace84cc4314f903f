"""The one clock the client reads, so the harness can swap in virtual time.

Durations (``duration_seconds``, time to first chunk) and span timestamps all come from here.
In production this is ``time.perf_counter`` / ``time.time_ns``; a test replaying a cassette
installs a virtual clock (context-local) so timings are non-zero and identical on every run.

Public seam for the harness (and anyone replaying): implement ``Clock`` (``perf_counter()`` in
seconds, ``time_ns()`` in Unix nanoseconds) and install it with ``use_clock``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Clock(Protocol):
    """What the client reads: ``perf_counter()`` (seconds, monotonic) and ``time_ns()`` (Unix ns)."""

    def perf_counter(self) -> float: ...

    def time_ns(self) -> int: ...


class SystemClock:
    """The real clock (``time.perf_counter`` / ``time.time_ns``), used unless a test installs another."""

    perf_counter = staticmethod(time.perf_counter)
    time_ns = staticmethod(time.time_ns)


SYSTEM_CLOCK = SystemClock()
_CLOCK: ContextVar[Clock] = ContextVar("sik_llms_clock", default=SYSTEM_CLOCK)


def perf_counter() -> float:
    """Seconds from the current clock (monotonic; only differences mean anything)."""
    return _CLOCK.get().perf_counter()


def time_ns() -> int:
    """Unix time in nanoseconds from the current clock (span timestamps)."""
    return _CLOCK.get().time_ns()


def current_clock() -> Clock:
    """The clock installed in this context (``SYSTEM_CLOCK`` unless ``use_clock`` is active)."""
    return _CLOCK.get()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make ``clock`` the client's clock in this context (and tasks started from it)."""
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "SystemClock",
    "current_clock",
    "perf_counter",
    "time_ns",
    "use_clock",
]
