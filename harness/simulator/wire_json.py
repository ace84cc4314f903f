"""JSON and SSE encoding shared by every wire module (compact, non-ASCII kept, C-accelerated)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["DUMPS", "Sse", "json_str"]

DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
json_str = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C-accelerated str -> JSON


class Sse:
    """Collects SSE events and the tokens each carries (for the latency schedule)."""

    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.tokens: list[int] = []

    def data(self, payload: Any, tokens: int = 0) -> None:
        self.events.append(b"data: " + DUMPS(payload).encode() + b"\n\n")
        self.tokens.append(tokens)

    def named(self, name: str, payload: Any, tokens: int = 0) -> None:
        self.events.append(f"event: {name}\ndata: ".encode() + DUMPS(payload).encode() + b"\n\n")
        self.tokens.append(tokens)

    def raw(self, chunk: bytes, tokens: int = 0) -> None:
        self.events.append(chunk)
        self.tokens.append(tokens)
