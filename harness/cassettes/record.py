"""Recording: tee real traffic into a cassette, event by event, scrubbed, with provenance.

``RecordingTransport`` wraps a real httpx2 transport (sync and async). The client gets the
response exactly as it arrives; on the side each SSE event is timestamped relative to the
request (``response.sik_llms_timing``) so replay can reproduce time to first chunk and the
gaps. ``write`` scrubs every interaction, adds a provenance block, scans the text and refuses
to write anything key-shaped. Recording is refused when ``CI`` is set: CI only replays.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import httpx2

from harness.cassettes.format import (
    PROVENANCE_KEY,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamTiming,
    dump_cassette,
    save_cassette,
)
from harness.cassettes.intercept import passthrough
from harness.cassettes.scan import scan_document
from harness.cassettes.scrub import ScrubConfig, scrub_interaction
from harness.cassettes.sse import SseSplitter
from harness.cassettes.validate import decode_body
from sik_llms.redact import redact_url

RecordMode = Literal["none", "once", "new_episodes", "all"]
_FALSY = {"", "0", "false", "no", "off"}


class RecordingRefused(RuntimeError):
    """Recording was asked for where it must not happen (CI)."""


class SecretLeakError(RuntimeError):
    """A cassette still contained something key-shaped after scrubbing; nothing was written."""


def refuse_recording_in_ci(path: str | Path) -> None:
    value = os.environ.get("CI")
    if value is not None and value.strip().lower() not in _FALSY:
        raise RecordingRefused(
            f"refusing to record cassette {path}: the CI environment variable is set (CI={value!r}). "
            "CI only replays; record locally (mode='once' or 'new_episodes'), review, commit the cassette."
        )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(base_urls: list[str]) -> dict[str, Any]:
    """Where and with what a cassette was recorded, so a stale one can be recognised."""
    return {
        "recorded_against": sorted(set(base_urls)),
        "recorded_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "recorder": "sik-llms harness.cassettes.record",
        "versions": {
            "sik-llms": _version("sik-llms"),
            "openai": _version("openai"),
            "anthropic": _version("anthropic"),
            "httpx2": _version("httpx2"),
            "python": platform.python_version(),
        },
    }


class _Decoder:
    """Incremental Content-Encoding decoder so SSE events can be split as they arrive."""

    def __init__(self, encoding: str | None) -> None:
        enc = (encoding or "").strip().lower()
        self.encoding = enc
        if enc in ("gzip", "x-gzip"):
            self._z: Any = zlib.decompressobj(wbits=47)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
        else:
            self._z = None
        self.raw = b""  # for encodings we cannot stream (br, zstd): decoded at the end

    def feed(self, data: bytes) -> bytes:
        if self._z is not None:
            return self._z.decompress(data)
        if self.encoding and self.encoding != "identity":
            self.raw += data
            return b""
        return data

    def flush(self, where: str) -> bytes:
        if self._z is not None:
            return self._z.flush()
        return decode_body(self.raw, self.encoding, where) if self.raw else b""


@dataclass
class _Capture:
    """One in-flight response being teed."""

    request: RecordedRequest
    status: int
    reason: str
    headers: dict[str, list[str]]
    started: float
    headers_at: float
    sse: bool
    decoder: _Decoder
    body: bytearray = field(default_factory=bytearray)
    events: list[float] = field(default_factory=list)
    splitter: SseSplitter = field(default_factory=SseSplitter)
    done: bool = False
    last: float = 0.0  # the latest point the virtual clock was moved to (seconds since start)


class RecordingTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Sends requests through real transports and keeps what comes back."""

    def __init__(
        self,
        real: httpx2.BaseTransport | None = None,
        real_async: httpx2.AsyncBaseTransport | None = None,
        *,
        scrub: ScrubConfig | None = None,
        now: Callable[[], float] = time.perf_counter,
        clock: Any = None,
    ) -> None:
        self._real = real
        self._real_async = real_async
        self._owns = (real is None, real_async is None)
        self.scrub = scrub or ScrubConfig()
        self._now = now
        #: a ``harness.clock.VirtualClock`` moved along with the real stream, by exactly the
        #: (microsecond-rounded) gaps written to the cassette, so a recording run stamps its
        #: spans as the replay will.
        self.clock = clock
        self.interactions: list[Interaction] = []
        self.base_urls: list[str] = []
        self._lock = threading.Lock()

    # -- capture -----------------------------------------------------------------------------
    def _point(self, cap: _Capture, since_start: float) -> float:
        """A timing point as saved (rounded to the microsecond); moves the virtual clock to it
        with the same arithmetic the replay uses (``transport.plan_delays``)."""
        point = round(since_start, 6)
        if self.clock is not None:
            self.clock.advance(max(0.0, point - cap.last))
            cap.last = max(cap.last, point)
        return point

    def _start(
        self, request: httpx2.Request, body: bytes, started: float, response: httpx2.Response
    ) -> _Capture:
        headers: dict[str, list[str]] = {}
        for k, v in response.headers.multi_items():
            headers.setdefault(k.lower(), []).append(v)
        req_headers: dict[str, list[str]] = {}
        for k, v in request.headers.multi_items():
            req_headers.setdefault(k.lower(), []).append(v)
        with self._lock:
            self.base_urls.append(
                redact_url(f"{request.url.scheme}://{request.url.netloc.decode('ascii')}")
            )
        ctype = response.headers.get("content-type", "").lower()
        cap = _Capture(
            request=RecordedRequest(
                method=request.method, uri=str(request.url), headers=req_headers, body=body
            ),
            status=response.status_code,
            reason=response.extensions.get("reason_phrase", b"").decode("ascii", "replace"),
            headers=headers,
            started=started,
            headers_at=self._now(),
            sse="text/event-stream" in ctype,
            decoder=_Decoder(response.headers.get("content-encoding")),
        )
        cap.headers_at = started + self._point(cap, cap.headers_at - started)
        return cap

    def _feed(self, cap: _Capture, chunk: bytes) -> None:
        data = cap.decoder.feed(chunk)
        cap.body += data
        if cap.sse:
            for _event in cap.splitter.feed(data):
                cap.events.append(self._point(cap, self._now() - cap.started))

    def _finish(self, cap: _Capture, complete: bool) -> None:
        if cap.done:
            return
        cap.done = True
        where = f"recording of {cap.request.method} {redact_url(cap.request.uri)}"
        tail = cap.decoder.flush(where)
        cap.body += tail
        end = self._now() - cap.started
        if cap.sse:
            cap.events += [
                self._point(cap, end) for _ in [*cap.splitter.feed(tail), *cap.splitter.flush()]
            ]
        elif cap.body:
            cap.events = [self._point(cap, end)]
        headers = {
            k: v
            for k, v in cap.headers.items()
            if k not in ("content-encoding", "transfer-encoding")
        }
        if "content-length" in headers or cap.decoder.encoding:
            headers["content-length"] = [str(len(cap.body))]
        extra = (
            {}
            if complete
            else {"sik_llms_note": "the client closed the stream early: body is partial"}
        )
        response = RecordedResponse(
            status=cap.status,
            reason=cap.reason,
            headers=headers,
            body=bytes(cap.body),
            timing=StreamTiming(headers=round(cap.headers_at - cap.started, 6), events=cap.events),
        )
        with self._lock:
            self.interactions.append(
                Interaction(
                    index=len(self.interactions),
                    request=cap.request,
                    response=response,
                    extra=extra,
                )
            )

    def _record_preread(self, response: httpx2.Response, cap: _Capture) -> bool:
        """In-process transports (MockTransport, WSGI) may hand over a body httpx2 has already
        read and decoded; record it as is, since nobody will iterate the stream again."""
        if "_content" not in response.__dict__:
            return False
        cap.decoder = _Decoder(None)
        self._feed(cap, response.content)
        self._finish(cap, complete=True)
        return True

    # -- sync --------------------------------------------------------------------------------
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._real is None:
            self._real = httpx2.HTTPTransport()
        body = request.read()
        started = self._now()
        with passthrough():
            response = self._real.handle_request(request)
        cap = self._start(request, body, started, response)
        if self._record_preread(response, cap):
            return response
        response.stream = _TeeStream(response.stream, self, cap)
        return response

    # -- async -------------------------------------------------------------------------------
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._real_async is None:
            self._real_async = httpx2.AsyncHTTPTransport()
        body = await request.aread()
        started = self._now()
        with passthrough():
            response = await self._real_async.handle_async_request(request)
        cap = self._start(request, body, started, response)
        if self._record_preread(response, cap):
            return response
        response.stream = _AsyncTeeStream(response.stream, self, cap)
        return response

    # -- output ------------------------------------------------------------------------------
    def scrubbed(self) -> list[Interaction]:
        with self._lock:
            return [scrub_interaction(i, self.scrub) for i in self.interactions]

    def build(self, base: Cassette) -> Cassette:
        """``base``'s interactions followed by what was recorded, scrubbed, with provenance."""
        interactions = [*base.interactions, *self.scrubbed()]
        for i, interaction in enumerate(interactions):
            interaction.index = i
        meta = {**base.metadata, PROVENANCE_KEY: provenance(self.base_urls)}
        return Cassette(interactions=interactions, path=base.path, name=base.name, metadata=meta)

    def write(self, base: Cassette, path: str | Path) -> Path | None:
        """Write the cassette when anything was recorded; refuse if a secret survived."""
        if not self.interactions:
            return None
        cassette = self.build(base)
        findings = scan_document(dump_cassette(cassette), str(path))
        if findings:
            listed = "\n".join(f"  {f}" for f in findings)
            raise SecretLeakError(
                f"refusing to write cassette {path}: secret-shaped text survived scrubbing:\n{listed}\n"
                "Add a scrub rule (ScrubConfig.extra_body_fields names JSON fields to redact), then re-record."
            )
        return save_cassette(cassette, path)

    def close(self) -> None:
        if self._owns[0] and self._real is not None:
            self._real.close()

    async def aclose(self) -> None:
        if self._owns[1] and self._real_async is not None:
            await self._real_async.aclose()


class _TeeStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, recorder: RecordingTransport, cap: _Capture) -> None:
        self._inner, self._recorder, self._cap = inner, recorder, cap

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._recorder._feed(self._cap, chunk)
            yield chunk
        self._recorder._finish(self._cap, complete=True)

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._recorder._finish(self._cap, complete=False)


class _AsyncTeeStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, recorder: RecordingTransport, cap: _Capture) -> None:
        self._inner, self._recorder, self._cap = inner, recorder, cap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._recorder._feed(self._cap, chunk)
            yield chunk
        self._recorder._finish(self._cap, complete=True)

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            self._recorder._finish(self._cap, complete=False)
