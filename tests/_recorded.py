"""A small replay helper for the real recordings: load one interaction, serve it at the seam.

Loading is the harness's (``harness.cassettes.load_cassette``: gzip and ``!!binary`` bodies,
pydantic-ai's ``parsed_body``, stale ``content-length``); this only serves exactly the chosen
interaction through ``sik_llms.transport.use_transport``, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from harness.cassettes import load_cassette
from sik_llms.transport import use_transport

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "cassettes-real"


@dataclass
class Interaction:
    method: str
    uri: str
    request_body: Any
    status: int
    headers: dict[str, str]
    body: bytes
    served: list[httpx2.Request] = field(default_factory=list)

    @property
    def path(self) -> str:
        parts = urlsplit(self.uri)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request_json(self) -> dict[str, Any]:
        body = self.request_body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return json.loads(body) if isinstance(body, str) else dict(body)


def load_interaction(cassette: Path, index: int) -> Interaction:
    recorded = load_cassette(cassette).interactions[index]
    response = recorded.response
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    headers.pop("content-length", None)  # recomputed from the body we serve
    headers.pop("transfer-encoding", None)
    if "content-type" not in headers:
        headers["content-type"] = "text/event-stream" if recorded.streamed else "application/json"
    return Interaction(
        method=recorded.request.method,
        uri=recorded.request.uri,
        request_body=recorded.request.body,
        status=response.status,
        headers=headers,
        body=response.body,
    )


@contextmanager
def serve(interaction: Interaction) -> Iterator[Interaction]:
    """Answer the next request (sync or async) with the recorded response, once."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        if interaction.served:
            raise AssertionError(f"unexpected second request to {request.url}: the recording has one answer")
        interaction.served.append(request)
        return httpx2.Response(interaction.status, headers=interaction.headers, content=interaction.body)

    transport = httpx2.MockTransport(handler)
    with use_transport(sync=transport, async_=transport):
        yield interaction


def sse(*events: Any, named: bool = False) -> bytes:
    """An SSE body from JSON-able events (``named``: Anthropic style ``event:`` lines)."""
    out = []
    for event in events:
        if isinstance(event, bytes):
            out.append(event)
            continue
        data = json.dumps(event)
        if named:
            out.append(f"event: {event['type']}\ndata: {data}\n\n".encode())
        else:
            out.append(f"data: {data}\n\n".encode())
    if not named:
        out.append(b"data: [DONE]\n\n")
    return b"".join(out)


@contextmanager
def scripted(*responses: httpx2.Response | Exception) -> Iterator[list[httpx2.Request]]:
    """Answer successive requests with the given responses (or raise the given exceptions)."""
    seen: list[httpx2.Request] = []
    queue = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if not queue:
            raise AssertionError(f"unexpected extra request to {request.url}")
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    transport = httpx2.MockTransport(handler)
    with use_transport(sync=transport, async_=transport):
        yield seen


def recorded_sse_events(cassette: Path, index: int = 0) -> list[dict[str, Any]]:
    """The JSON payloads of a recorded SSE response, in order (for feeding parsers directly)."""
    body = load_interaction(cassette, index).body.decode("utf-8")
    events = []
    for block in body.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data:"):
                payload = line[len("data:") :].strip()
                if payload and payload != "[DONE]":
                    events.append(json.loads(payload))
    return events
