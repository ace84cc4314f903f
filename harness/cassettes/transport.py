"""An httpx2 transport (sync and async) that answers requests from a cassette.

Streamed (SSE) responses are served as a sequence of chunks, one per event, so the SDK sees a
real stream: time to first chunk exists, the consumer can stop early, a task can be cancelled
mid-stream. Between chunks the replay waits the recorded gap (or a fixed synthetic one):
``timing="virtual"`` advances a ``VirtualClock`` instead of sleeping (instant, deterministic,
non-zero durations); ``timing="realtime"`` really sleeps. It never opens a socket.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx2

from harness.cassettes.format import Cassette, Interaction, load_cassette
from harness.cassettes.match import CassetteMiss, MatchConfig, Matcher
from harness.clock import VirtualClock

Timing = Literal["virtual", "realtime"]
TIMINGS: tuple[str, ...] = ("virtual", "realtime")

#: Synthetic timing for recordings that carry none (all of vcrpy's): fixed, so runs repeat.
SYNTHETIC_HEADERS_S = 0.150
SYNTHETIC_FIRST_EVENT_S = 0.200
SYNTHETIC_EVENT_GAP_S = 0.020
SYNTHETIC_BODY_S = 0.250

_HOP_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def plan_delays(interaction: Interaction, n_chunks: int) -> list[float]:
    """Gaps in seconds: ``[before headers, before chunk 0, before chunk 1, ...]``."""
    timing = interaction.response.timing
    if timing is not None and len(timing.events) == n_chunks:
        points = [timing.headers, *timing.events]
    elif interaction.streamed:
        points = [SYNTHETIC_HEADERS_S] + [
            SYNTHETIC_FIRST_EVENT_S + SYNTHETIC_EVENT_GAP_S * i for i in range(n_chunks)
        ]
    else:
        points = [SYNTHETIC_BODY_S] * (n_chunks + 1)
    return [points[0]] + [max(0.0, b - a) for a, b in itertools.pairwise(points)]


@dataclass
class Playback:
    """What happened to one served interaction (for reports and tests)."""

    interaction: Interaction
    chunks_total: int
    chunks_served: int = 0
    closed: bool = False

    @property
    def closed_early(self) -> bool:
        return self.closed and self.chunks_served < self.chunks_total


class _Pacer:
    def __init__(self, timing: Timing, clock: VirtualClock | None, speed: float) -> None:
        self.timing = timing
        self.clock = clock
        self.speed = speed

    def wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.timing == "realtime":
            time.sleep(seconds / self.speed)
        elif self.clock is not None:
            self.clock.advance(seconds)

    async def await_(self, seconds: float) -> None:
        if self.timing == "realtime" and seconds > 0:
            await asyncio.sleep(seconds / self.speed)
            return
        self.wait(seconds)
        await asyncio.sleep(0)  # a cancellation point per chunk, as on a real socket


class _ReplayStream(httpx2.SyncByteStream):
    """Serves ``chunks``, waiting ``delays[i + 1]`` before chunk ``i`` (``delays[0]`` is the
    wait before the headers, ``plan_delays``'s shape: shared lists, never copied)."""

    def __init__(
        self, chunks: list[bytes], delays: list[float], pacer: _Pacer, playback: Playback
    ) -> None:
        self._chunks, self._delays, self._pacer, self._playback = chunks, delays, pacer, playback

    def __iter__(self) -> Iterator[bytes]:
        for chunk, gap in zip(self._chunks, itertools.islice(self._delays, 1, None), strict=True):
            if self._playback.closed:
                return
            self._pacer.wait(gap)
            self._playback.chunks_served += 1
            yield chunk

    def close(self) -> None:
        self._playback.closed = True


class _AsyncReplayStream(httpx2.AsyncByteStream):
    """Async twin of ``_ReplayStream``."""

    def __init__(
        self, chunks: list[bytes], delays: list[float], pacer: _Pacer, playback: Playback
    ) -> None:
        self._chunks, self._delays, self._pacer, self._playback = chunks, delays, pacer, playback

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk, gap in zip(self._chunks, itertools.islice(self._delays, 1, None), strict=True):
            if self._playback.closed:
                return
            await self._pacer.await_(gap)
            self._playback.chunks_served += 1
            yield chunk

    async def aclose(self) -> None:
        self._playback.closed = True


@dataclass(frozen=True)
class _Served:
    """How an interaction is served: its chunks, the gaps before headers and each chunk, the
    response headers (built once; each response copies them) and extensions. Shared: read only."""

    chunks: list[bytes]
    delays: list[float]
    headers: httpx2.Headers
    extensions: dict[str, Any]


#: id(interaction) -> (what the served form was made from, the served form): cassettes are
#: parsed once per process (``harness.cassettes.cache``), so every test replaying one serves the
#: same interactions; the served form is rebuilt if any of those parts was replaced. Bounded.
_SERVED: dict[int, tuple[tuple[object, ...], _Served]] = {}
_MAX_SERVED = 1024
_MAX_SERVED_BODY = 1024 * 1024  # larger bodies are split again for every request


def _served(interaction: Interaction) -> _Served:
    """The chunks, delays, headers and extensions an interaction is served with."""
    resp = interaction.response
    made_from = (interaction, resp, resp.body, resp.headers, resp.timing, resp.reason)
    hit = _SERVED.get(id(interaction))
    if hit is not None and all(a is b for a, b in zip(hit[0], made_from, strict=True)):
        return hit[1]
    chunks = interaction.chunks()
    headers = [
        (k, v) for k, vs in resp.headers.items() if k.lower() not in _HOP_HEADERS for v in vs
    ]
    if not interaction.streamed:
        headers.append(("content-length", str(len(resp.body))))
    reason = resp.reason
    served = _Served(
        chunks=chunks,
        delays=plan_delays(interaction, len(chunks)),
        headers=httpx2.Headers(headers),
        extensions={"reason_phrase": reason.encode("ascii", "replace")} if reason else {},
    )
    if len(resp.body) > _MAX_SERVED_BODY:
        return served
    if len(_SERVED) >= _MAX_SERVED:
        _SERVED.clear()
    _SERVED[id(interaction)] = (made_from, served)
    return served


class CassetteTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Serves a cassette's recorded responses to sync and async httpx2 clients.

    ``fallback`` (used by record mode ``new_episodes``) receives requests the cassette cannot
    answer instead of raising ``CassetteMiss``. ``pin`` serves that one interaction to every
    request without matching (to see how a client handles a recorded answer when the request
    it rebuilds legitimately differs from the recorded one).
    """

    def __init__(
        self,
        cassette: Cassette | str | Path,
        *,
        timing: Timing = "virtual",
        clock: VirtualClock | None = None,
        match: MatchConfig | None = None,
        speed: float = 1.0,
        fallback: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
        pin: Interaction | None = None,
    ) -> None:
        if timing not in TIMINGS:
            raise ValueError(f"timing must be one of {', '.join(TIMINGS)}, not {timing!r}")
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed!r}")
        self.cassette = cassette if isinstance(cassette, Cassette) else load_cassette(cassette)
        self.clock = clock if clock is not None or timing == "realtime" else VirtualClock()
        self.matcher = Matcher(self.cassette, match)
        self.fallback = fallback
        self.pin = pin
        self.playbacks: list[Playback] = []
        self._pacer = _Pacer(timing, self.clock, speed)
        self._lock = threading.Lock()

    # -- shared ------------------------------------------------------------------------------
    def _find(self, request: httpx2.Request, body: bytes) -> Interaction | None:
        if self.pin is not None:
            return self.pin
        try:
            return self.matcher.match(request.method, str(request.url), request.headers, body)
        except CassetteMiss:
            if self.fallback is None:
                raise
            return None

    def _prepare(self, interaction: Interaction) -> tuple[_Served, Playback]:
        served = _served(interaction)
        playback = Playback(interaction=interaction, chunks_total=len(served.chunks))
        with self._lock:
            self.playbacks.append(playback)
        return served, playback

    # -- sync --------------------------------------------------------------------------------
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        interaction = self._find(request, body)
        if interaction is None:
            if not isinstance(self.fallback, httpx2.BaseTransport):
                raise TypeError("the fallback transport does not support sync requests")
            return self.fallback.handle_request(request)
        served, playback = self._prepare(interaction)
        self._pacer.wait(served.delays[0])
        return httpx2.Response(  # copies the served headers and extensions
            interaction.response.status,
            headers=served.headers,
            stream=_ReplayStream(served.chunks, served.delays, self._pacer, playback),
            extensions=served.extensions,
        )

    # -- async -------------------------------------------------------------------------------
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        interaction = self._find(request, body)
        if interaction is None:
            if not isinstance(self.fallback, httpx2.AsyncBaseTransport):
                raise TypeError("the fallback transport does not support async requests")
            return await self.fallback.handle_async_request(request)
        served, playback = self._prepare(interaction)
        await self._pacer.await_(served.delays[0])
        return httpx2.Response(
            interaction.response.status,
            headers=served.headers,
            stream=_AsyncReplayStream(served.chunks, served.delays, self._pacer, playback),
            extensions=served.extensions,
        )

    # -- reporting ---------------------------------------------------------------------------
    def unused(self) -> list[Interaction]:
        """Recorded interactions no request has asked for (yet)."""
        return self.matcher.unused()

    def unused_report(self) -> str:
        unused = self.unused()
        if not unused:
            return f"cassette {self.cassette.label}: all {len(self.cassette.interactions)} interaction(s) played"
        lines = [
            f"cassette {self.cassette.label}: {len(unused)} of {len(self.cassette.interactions)} "
            "recorded interaction(s) never requested:"
        ]
        lines += [f"  {i.describe()}" for i in unused]
        lines.append(
            "  The code under test made fewer or different calls than when recorded (a changed "
            "prompt?): re-record the cassette, or relax the check with unused='warn'."
        )
        if self.matcher.hint:
            lines.append(f"  {self.matcher.hint}")
        return "\n".join(lines)

    def close(self) -> None:
        """Nothing to release; the fallback (if any) belongs to whoever created it."""

    async def aclose(self) -> None:
        """Nothing to release; see ``close``."""


__all__ = [
    "SYNTHETIC_BODY_S",
    "SYNTHETIC_EVENT_GAP_S",
    "SYNTHETIC_FIRST_EVENT_S",
    "SYNTHETIC_HEADERS_S",
    "TIMINGS",
    "CassetteTransport",
    "Playback",
    "Timing",
    "plan_delays",
]
