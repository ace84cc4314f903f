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
import sys
import warnings
from collections.abc import Callable
from contextlib import ContextDecorator
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
from sik_llms.shared_clients import SdkClientPool, share_sdk_clients
from sik_llms.transport import use_transport

Mode = Literal["none", "once", "new_episodes", "all"]
MODES: tuple[str, ...] = ("none", "once", "new_episodes", "all")
Unused = Literal["error", "warn", "ignore"]
UNUSED_POLICIES: tuple[str, ...] = ("error", "warn", "ignore")
#: SDK clients shared by the sik_llms clients of replay-only sessions, across sessions (a
#: client made per test then builds its SDK client once per process, not once per test)
SDK_CLIENTS = SdkClientPool()


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
    hint: str | Callable[[], str] | None = None,
) -> _CassetteBlock:
    """Replay (and, outside CI, record) the cassette at ``path`` for the code in the block.

    Modes: ``none`` replay only (default; a miss fails); ``once`` record if the file does not
    exist, else replay; ``new_episodes`` replay, record misses and append them; ``all``
    re-record everything. ``unused``: what to do when recorded interactions were never
    requested (``error`` | ``warn`` | ``ignore``). ``real_transport`` /
    ``real_async_transport`` are what recording talks to (default: the real network). ``scrub``:
    the recorder's scrub rules (extra body fields, query names); matching applies the same ones.
    ``hint``: a line appended to every miss message (the plugin names the re-record command),
    or a function returning it, called only when a message needs it.

    A context manager (and a decorator); the arguments are checked and the cassette loaded
    when the block is entered. Yields the ``CassetteSession``.
    """
    args = (path, mode, timing, name, unused, match, clock, real_transport, real_async_transport)
    return _CassetteBlock((*args, speed, scrub, hint))


def _open(
    path: str | Path,
    mode: str,
    timing: str,
    name: str | None,
    unused: str,
    match: MatchConfig | None,
    clock: VirtualClock | None,
    real_transport: httpx2.BaseTransport | None,
    real_async_transport: httpx2.AsyncBaseTransport | None,
    speed: float,
    scrub: ScrubConfig | None,
    hint: str | Callable[[], str] | None,
) -> CassetteSession:
    """The session ``use_cassette``'s block runs in (nothing installed yet)."""
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
    elif match is not None:  # the session's own: a marker's is shared by every test it marks
        match = dataclasses.replace(match)
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
    return CassetteSession(
        path=path,
        mode=mode,
        cassette=cassette,
        transport=transport,
        clock=clock if timing == "virtual" else None,
        replay=replay,
        recorder=recorder,
    )


class _CassetteBlock(ContextDecorator):
    """What ``use_cassette`` returns: a class, not a generator, as it runs for every cassette
    test (the transport, interception route and clock are entered and left directly)."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        self._args = args  # _open's arguments
        self._name: str | None = args[3]
        self._unused: str = args[4]
        self._session: CassetteSession | None = None
        self._inner: list[Any] = []  # the entered context managers, innermost last

    def _recreate_cm(self) -> _CassetteBlock:  # used as a decorator: a fresh block per call
        return _CassetteBlock(self._args)

    def __enter__(self) -> CassetteSession:
        session = self._session = _open(*self._args)
        transport = session.transport
        inner = self._inner
        try:
            cm: Any = use_transport(sync=transport, async_=transport)
            cm.__enter__()
            inner.append(cm)
            cm = route(transport)
            session.route = cm.__enter__()
            inner.append(cm)
            if session.clock is not None:
                cm = use_clock(session.clock)
                cm.__enter__()
                inner.append(cm)
            if session.recorder is None:  # replay only: nothing reaches an SDK client's pool
                cm = share_sdk_clients(SDK_CLIENTS)
                cm.__enter__()
                inner.append(cm)
        except BaseException:
            self._leave(*sys.exc_info())
            self._finish(succeeded=False)
            raise
        return session

    def _leave(self, *exc: Any) -> None:
        while self._inner:  # innermost first, as nested with-blocks would
            self._inner.pop().__exit__(*exc)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        session = self._session
        assert session is not None, "use_cassette's block was left without being entered"
        try:
            self._leave(exc_type, exc, tb)
        except BaseException:
            self._finish(succeeded=False)
            raise
        replay, unused = session.replay, self._unused
        left = replay.unused() if replay is not None and exc_type is None else []
        self._finish(succeeded=exc_type is None and not (left and unused == "error"))
        if exc_type is not None or not left or unused == "ignore":
            return  # an error in the block goes through as it is
        assert replay is not None
        report = replay.unused_report()
        if unused == "error" and session.recorder is not None:
            report += "\n  Recording stopped: nothing was written to the cassette."
        if unused == "error":
            raise UnusedInteractionsError(report)
        warnings.warn(report, UnusedInteractionsWarning, stacklevel=2)

    def _finish(self, succeeded: bool) -> None:
        """Write what was recorded (only for code that worked) and close the recorder."""
        session = self._session
        if session is None or session.recorder is None:
            return
        try:
            if succeeded:  # keep cassettes only for code that worked
                base = (
                    session.cassette
                    if session.mode == "new_episodes"
                    else Cassette(interactions=[], path=session.path, name=self._name)
                )
                session.recorder.write(base, session.path)
        finally:
            session.recorder.close()


__all__ = [
    "MODES",
    "SDK_CLIENTS",
    "CassetteSession",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "save_cassette",
    "use_cassette",
]
