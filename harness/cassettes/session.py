"""``use_cassette``: one context manager that puts a cassette between sik_llms and the network.

It installs the replay (or recording) transport through ``sik_llms.transport.use_transport``,
routes every other httpx2 / httpx client to it (``harness.cassettes.intercept``) and, for
virtual timing, a ``VirtualClock`` through ``sik_llms.clock.use_clock`` (all context-local:
parallel tests do not see each other's cassette). Recording runs on the virtual clock too,
moved by the real gaps it saves, so a recording run and its replay stamp the same times.
On a clean exit it checks for unused interactions and writes what was recorded; when the
block raised (or unused interactions are an error), it writes nothing (a cassette is only
kept for code that worked) and lets the error through.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx2

from harness.cassettes.cache import cached_cassette
from harness.cassettes.format import Cassette, Interaction, load_cassette, save_cassette
from harness.cassettes.intercept import Route, route
from harness.cassettes.match import MatchConfig
from harness.cassettes.record import RecordingTransport, refuse_recording_in_ci
from harness.cassettes.scrub import ScrubConfig
from harness.cassettes.transport import TIMINGS, CassetteTransport, Timing
from harness.clock import VirtualClock
from sik_llms.clock import use_clock
from sik_llms.transport import use_transport

Mode = Literal["none", "once", "new_episodes", "all"]
MODES: tuple[str, ...] = ("none", "once", "new_episodes", "all")
Unused = Literal["error", "warn", "ignore"]
UNUSED_POLICIES: tuple[str, ...] = ("error", "warn", "ignore")


class UnusedInteractionsError(AssertionError):
    """The code under test made fewer requests than the cassette recorded."""


class UnusedInteractionsWarning(UserWarning):
    """Same as ``UnusedInteractionsError`` when the policy is ``unused='warn'``."""


@dataclass
class CassetteSession:
    """What ``use_cassette`` yields: the cassette, its transports, clock and recorder."""

    path: Path
    mode: str
    cassette: Cassette
    transport: httpx2.BaseTransport | httpx2.AsyncBaseTransport
    clock: VirtualClock | None
    replay: CassetteTransport | None = None
    recorder: RecordingTransport | None = None  # when recording
    notes: list[str] = field(default_factory=list)
    route: Route | None = None  # the interception route: misses foreign clients were answered

    @property
    def misses(self) -> list[Any]:
        """``CassetteMiss`` errors answered to foreign (non-sik_llms) clients as HTTP 400."""
        return list(self.route.misses) if self.route is not None else []

    def unused(self) -> list[Interaction]:
        return self.replay.unused() if self.replay is not None else []

    @property
    def recorded(self) -> list[Interaction]:
        return list(self.recorder.interactions) if self.recorder is not None else []


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


@contextmanager
def use_cassette(
    path: str | Path,
    mode: Mode = "none",
    timing: Timing = "virtual",
    *,
    name: str | None = None,
    unused: Unused = "error",
    match: MatchConfig | None = None,
    clock: VirtualClock | None = None,
    real_transport: httpx2.BaseTransport | None = None,
    real_async_transport: httpx2.AsyncBaseTransport | None = None,
    speed: float = 1.0,
    scrub: ScrubConfig | None = None,
    hint: str | None = None,
) -> Iterator[CassetteSession]:
    """Replay (and, outside CI, record) the cassette at ``path`` for the code in the block.

    Modes: ``none`` replay only (default; a miss fails); ``once`` record if the file does not
    exist, else replay; ``new_episodes`` replay, record misses and append them; ``all``
    re-record everything. ``unused``: what to do when recorded interactions were never
    requested (``error`` | ``warn`` | ``ignore``). ``real_transport`` /
    ``real_async_transport`` are what recording talks to (default: the real network). ``scrub``:
    the recorder's scrub rules (extra body fields, query names); matching applies the same ones.
    ``hint``: a line appended to every miss message (the plugin names the re-record command).
    """
    _check(mode, MODES, "mode")
    _check(timing, TIMINGS, "timing")
    _check(unused, UNUSED_POLICIES, "unused")
    path = path if isinstance(path, Path) else Path(path)
    # only "once" and "new_episodes" depend on the file being there: replay-only skips the stat
    exists = mode in ("once", "new_episodes") and path.is_file()
    records = mode in ("new_episodes", "all") or (mode == "once" and not exists)
    replays = mode in ("none", "new_episodes") or (mode == "once" and exists)

    if timing == "virtual":
        clock = clock or VirtualClock()
    recorder = None
    if records:
        refuse_recording_in_ci(path)
        recorder = RecordingTransport(
            real_transport,
            real_async_transport,
            scrub=scrub,
            clock=clock if timing == "virtual" else None,
        )
    if scrub is not None:  # one set of scrub rules for what is written and what is compared
        match = dataclasses.replace(match or MatchConfig(), scrub=scrub)
    if replays and (exists or mode == "none"):
        cassette = cached_cassette(path, load_cassette, name=name)
    else:
        cassette = Cassette(interactions=[], path=path, name=name)

    replay = None
    transport: Any = recorder
    if replays:
        replay = CassetteTransport(
            cassette, timing=timing, clock=clock, match=match, speed=speed, fallback=recorder
        )
        replay.matcher.hint = hint
        transport = replay
    session = CassetteSession(
        path=path,
        mode=mode,
        cassette=cassette,
        transport=transport,
        clock=clock if timing == "virtual" else None,
        replay=replay,
        recorder=recorder,
    )
    succeeded = False
    try:
        clock_cm = use_clock(session.clock) if session.clock is not None else nullcontext()
        # nested, not an ExitStack: this runs for every cassette test
        with use_transport(sync=transport, async_=transport), route(transport) as active:
            session.route = active
            with clock_cm:
                yield session
        succeeded = not (replay is not None and unused == "error" and replay.unused())
    finally:
        if recorder is not None:
            try:
                if succeeded:  # keep cassettes only for code that worked
                    base = (
                        cassette
                        if mode == "new_episodes"
                        else Cassette(interactions=[], path=path, name=name)
                    )
                    recorder.write(base, path)
            finally:
                recorder.close()
    if replay is not None and unused != "ignore" and replay.unused():
        report = replay.unused_report()
        if unused == "error" and recorder is not None:
            report += "\n  Recording stopped: nothing was written to the cassette."
        if unused == "error":
            raise UnusedInteractionsError(report)
        warnings.warn(report, UnusedInteractionsWarning, stacklevel=3)


__all__ = [
    "MODES",
    "CassetteSession",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "save_cassette",
    "use_cassette",
]
