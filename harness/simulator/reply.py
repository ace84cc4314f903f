"""What the server should send for one request: the plan, not the sending.

Planning a reply is pure code (scenario -> wire format -> bytes); the HTTP layer only executes
the plan (timing, chunking, faults). Keeping the two apart lets the fast path (no latency, no
fault) write a whole answer synchronously, and lets tests inspect a plan without a socket.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """One HTTP response to send, with its timing and any wire-level fault.

    ``events`` set means a streamed (chunked) answer sent one SSE event per chunk; otherwise
    ``body`` is sent with a content-length. ``delays[i]`` is the pause (seconds) before event
    ``i`` (for a JSON body only ``delays[0]`` is used: the whole answer's time).
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    events: list[bytes] | None = None
    delays: list[float] | None = None
    #: close the socket (no terminating chunk) after this many events / body bytes were sent
    disconnect_after: int | None = None
    #: send the body in pieces of ``trickle_size`` bytes, ``trickle_delay`` seconds apart
    trickle_delay: float = 0.0
    trickle_size: int = 16
    #: accept the request, send nothing, close after this many seconds (bounded hang)
    hang: float | None = None

    @property
    def is_plain(self) -> bool:
        """True when the reply can be written at once (no timing, no fault)."""
        return (
            not any(self.delays or ())
            and self.disconnect_after is None
            and self.trickle_delay <= 0
            and self.hang is None
        )
