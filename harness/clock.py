"""A virtual clock for replays: time moves only when the replay says so.

Installed with ``sik_llms.clock.use_clock``, it makes durations and time to first chunk
non-zero (the replay advances it by recorded or synthetic gaps) and byte-identical across
runs (it starts at a fixed epoch and counts integer nanoseconds, so no float drift).
"""

from __future__ import annotations

import threading

#: 2024-01-01T00:00:00Z: a fixed wall-clock start so span timestamps never depend on the run.
DEFAULT_EPOCH_NS = 1_704_067_200_000_000_000
#: perf_counter() starts here; any fixed value works, non-zero catches "0 means unset" bugs.
DEFAULT_PERF_START_NS = 1_000_000_000_000


class VirtualClock:
    """Implements ``sik_llms.clock.Clock``; thread-safe; never reads the real clock."""

    def __init__(
        self, epoch_ns: int = DEFAULT_EPOCH_NS, perf_start_ns: int = DEFAULT_PERF_START_NS
    ) -> None:
        self._epoch_ns = epoch_ns
        self._perf_start_ns = perf_start_ns
        self._elapsed_ns = 0
        self._lock = threading.Lock()

    # Reads take no lock: ``_elapsed_ns`` is one int attribute, replaced whole by ``advance_ns``
    # (under the lock, so concurrent advances add up), and reading it is atomic.
    def perf_counter(self) -> float:
        return (self._perf_start_ns + self._elapsed_ns) / 1e9

    def time_ns(self) -> int:
        return self._epoch_ns + self._elapsed_ns

    @property
    def elapsed_ns(self) -> int:
        """Nanoseconds advanced since construction."""
        return self._elapsed_ns

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (rounded to whole nanoseconds; negative is an error)."""
        self.advance_ns(round(seconds * 1e9))

    def advance_ns(self, nanoseconds: int) -> None:
        if nanoseconds < 0:
            raise ValueError(
                f"VirtualClock cannot go backwards (asked to advance {nanoseconds} ns)"
            )
        with self._lock:
            self._elapsed_ns += nanoseconds

    def __repr__(self) -> str:
        return f"VirtualClock(elapsed={self.elapsed_ns / 1e9:.6f}s)"
