"""Server-sent events: split a recorded stream body into its events, byte for byte.

Replay serves one chunk per event (so time to first chunk, early close and cancellation are
real), recording timestamps each event as it completes, and the simulator serves a cassette's
stream event by event, so all three use this splitter. Joining the chunks always gives back
the original body exactly. Decoding an event's fields is the client's job: ``parse_event`` /
``decode_events`` use ``sik_llms.sse`` (the one decoder, the one ``SseEvent``).
"""

from __future__ import annotations

import re

from sik_llms.sse import SseDecoder, SseEvent

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_FIELDS = (b"data", b"event", b"id", b"retry")


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


def decode_events(body: bytes) -> list[SseEvent]:
    """Every event of a whole SSE body, decoded (``event`` name and ``data`` bytes)."""
    decoder = SseDecoder()
    return decoder.feed(body) + decoder.flush()


def parse_event(chunk: bytes) -> SseEvent:
    """Decode one raw event chunk (as ``split_events`` gives) into its ``event`` and ``data``;
    an empty event when the chunk holds only comments or blank lines."""
    events = decode_events(chunk)
    return events[0] if events else SseEvent(None, b"")


__all__ = [
    "SseEvent",
    "SseSplitter",
    "decode_events",
    "looks_like_sse",
    "parse_event",
    "split_events",
]
