"""A small replay helper for the real recordings: load one interaction, serve it at the seam.

Deliberately minimal (the full-featured replayer is ``harness/cassettes.py``): it decodes
``!!binary`` gzip bodies with a safe YAML loader, ignores stale ``content-length`` and serves
exactly the chosen interaction through ``sik_llms.transport.use_transport``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import yaml

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


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def load_interaction(cassette: Path, index: int) -> Interaction:
    data = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    raw = data["interactions"][index]
    req, resp = raw["request"], raw["response"]
    headers = {k.lower(): (v[0] if isinstance(v, list) else str(v)) for k, v in (resp.get("headers") or {}).items()}
    body = _bytes((resp.get("body") or {}).get("string"))
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    headers.pop("content-encoding", None)
    headers.pop("content-length", None)  # recorded value may be stale (pretty-printed bodies)
    headers.pop("transfer-encoding", None)
    if "content-type" not in headers:
        stripped = body.lstrip()
        sse = stripped.startswith((b"data:", b"event:"))
        headers["content-type"] = "text/event-stream" if sse else "application/json"
    request_body = req.get("body") if req.get("body") is not None else req.get("parsed_body")
    return Interaction(
        method=req["method"],
        uri=req["uri"],
        request_body=request_body,
        status=int(resp["status"]["code"]),
        headers=headers,
        body=body,
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
