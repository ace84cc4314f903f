"""Server-sent events: split a recorded stream body into its events, byte for byte.

Replay serves one chunk per event (so time to first chunk, early close and cancellation are
real), and recording timestamps each event as it completes, so both need the same splitter.
Joining the chunks always gives back the original body exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_FIELDS = (b"data", b"event", b"id", b"retry")


@dataclass(frozen=True)
class SseEvent:
    event: str | None
    data: str
    id: str | None


class SseSplitter:
    """Incremental splitter: feed bytes as they arrive, get back each completed event."""

    def __init__(self) -> None:
        self._pending = b""  # bytes of lines of the current (unfinished) event
        self._partial = b""  # an unfinished line

    def feed(self, data: bytes) -> list[bytes]:
        events: list[bytes] = []
        buf = self._partial + data
        self._partial = b""
        for match in _LINE.finditer(buf):
            line = match.group(0)
            if not line.endswith((b"\n", b"\r")):
                self._partial = line
                break
            # a lone "\r" at the end of the buffer may be the first half of "\r\n"
            if line.endswith(b"\r") and match.end() == len(buf):
                self._partial = line
                break
            self._pending += line
            if line.strip(b"\r\n") == b"":
                if self._pending.strip(b"\r\n"):
                    events.append(self._pending)
                    self._pending = b""
                elif events:  # extra blank line: keep bytes with the previous event
                    events[-1] += self._pending
                    self._pending = b""
        return events

    def flush(self) -> list[bytes]:
        """Whatever is left when the stream ends (an event missing its blank line)."""
        rest = self._pending + self._partial
        self._pending = self._partial = b""
        return [rest] if rest else []


def split_events(body: bytes) -> list[bytes]:
    """Split a whole SSE body into raw event chunks (blank-line terminated); joins back exactly."""
    splitter = SseSplitter()
    events = splitter.feed(body)
    tail = splitter.flush()
    if tail and events and not tail[0].strip():
        events[-1] += tail[0]
    else:
        events.extend(tail)
    return events


def looks_like_sse(body: bytes) -> bool:
    """True when the body's first non-blank line is an SSE field or comment."""
    for line in body.lstrip()[:512].splitlines()[:1]:
        return line.startswith(b":") or any(line.startswith(f + b":") or line == f for f in _FIELDS)
    return False


def parse_event(chunk: bytes) -> SseEvent:
    """Decode one raw event chunk into its ``event``, joined ``data`` and ``id`` fields."""
    event: str | None = None
    event_id: str | None = None
    data: list[str] = []
    for raw in chunk.decode("utf-8", "replace").splitlines():
        if not raw or raw.startswith(":"):
            continue
        name, _, value = raw.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value
    return SseEvent(event=event, data="\n".join(data), id=event_id)
