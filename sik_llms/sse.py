"""Server-sent events from raw response bytes: the one decoder both providers' streams share.

We read provider streams ourselves instead of letting the SDKs build a pydantic object per
chunk: that construction is most of a streamed call's client-side cost (about 75% of an
OpenAI 100-chunk stream), and our parsers only need the JSON. Pure and incremental: feed
bytes as they arrive, get back each completed event; the sync and async paths share it.
"""

from __future__ import annotations

from typing import NamedTuple


class SseEvent(NamedTuple):
    """One dispatched event: its ``event:`` name (None when absent) and its data, as bytes
    (``json.loads`` takes bytes, so the text is never decoded twice)."""

    event: str | None
    data: bytes


class SseDecoder:
    """Incremental SSE decoder (the WHATWG rules LLM APIs use: ``event`` and ``data`` fields,
    comments, any line ending; ``id`` and ``retry`` are ignored)."""

    __slots__ = ("_buf", "_data", "_event")

    def __init__(self) -> None:
        self._buf = b""
        self._event: str | None = None
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        buf = self._buf + chunk if self._buf else chunk
        held = b""
        if b"\r" in buf:
            if buf.endswith(b"\r"):  # may be the first half of a "\r\n" split across chunks
                buf, held = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buf.split(b"\n")
        self._buf = lines.pop() + held
        out: list[SseEvent] = []
        for line in lines:
            self._line(line, out)
        return out

    def flush(self) -> list[SseEvent]:
        """Whatever the stream left unfinished when it ended (a last event without its blank line)."""
        out: list[SseEvent] = []
        rest, self._buf = self._buf.rstrip(b"\r"), b""
        if rest:
            self._line(rest, out)
        self._line(b"", out)
        return out

    def _line(self, line: bytes, out: list[SseEvent]) -> None:
        if not line:
            if self._data or self._event is not None:
                out.append(SseEvent(self._event, b"\n".join(self._data)))
                self._event, self._data = None, []
            return
        if line[0] == 0x3A:  # ":" starts a comment (keep-alives)
            return
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
