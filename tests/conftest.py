"""Helpers every test may use: where things are, and the network faked at its one boundary.

Paths: ``ROOT`` (the checkout), ``REAL`` (the real recordings in ``../shared/cassettes-real``,
read in place; absent on a fresh clone) and the ``needs_real`` skip mark.

The network is the only thing tests fake, at the seam ``sik_llms.transport.use_transport``:
``scripted`` answers requests from a handler (``Script``) or from responses in order; payload
builders (``openai_sse``, ``anthropic_sse``, ``sse``, ``error_body``) make the providers' real
shapes (checked against the real recordings); ``load_interaction`` + ``serve`` answer with
exactly one recorded response. Tests import them: ``from tests.conftest import scripted``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Imported before any test: pytester's in-process runs unload the modules first imported
# inside them, and httpx2 keeps a map of httpcore2's exception classes from its first use, so
# a re-imported httpcore2 would raise errors httpx2 no longer converts (order-dependent fails).
import httpcore2  # noqa: F401
import httpx2
import pytest

from sik_llms.transport import use_transport

#: The checkout (the directory holding pyproject.toml).
ROOT = Path(__file__).resolve().parents[1]
#: The 50 real recordings with their MANIFEST.jsonl, beside the checkout (never copied into it).
REAL = ROOT.parent / "shared" / "cassettes-real"
needs_real = pytest.mark.skipif(
    not REAL.exists(), reason=f"real recordings not found at {REAL} (fresh clone)"
)


def real_manifest() -> list[dict[str, Any]]:
    """The rows of ``REAL/MANIFEST.jsonl`` ([] when the recordings are absent)."""
    manifest = REAL / "MANIFEST.jsonl"
    return (
        [json.loads(line) for line in manifest.read_text().splitlines()]
        if manifest.exists()
        else []
    )


# ---------------------------------------------------------------------- scripted network


@contextmanager
def scripted(*answers: Any) -> Iterator[list[httpx2.Request]]:
    """Serve this context's provider requests (sync and async); yields the requests seen.

    One callable argument (a ``Script``, any ``request -> response`` function) answers every
    request; otherwise the arguments (``httpx2.Response`` or exceptions to raise) answer
    successive requests, and one request too many fails the test.
    """
    seen: list[httpx2.Request] = []
    if (
        len(answers) == 1
        and callable(answers[0])
        and not isinstance(answers[0], httpx2.Response | Exception)
    ):
        given: Callable[[httpx2.Request], httpx2.Response] = answers[0]

        def handler(request: httpx2.Request) -> httpx2.Response:
            seen.append(request)
            return given(request)
    else:
        queue = list(answers)

        def handler(request: httpx2.Request) -> httpx2.Response:
            seen.append(request)
            if not queue:
                raise AssertionError(f"unexpected extra request to {request.url}")
            item = queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item

    async def async_handler(request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return handler(request)

    with use_transport(
        sync=httpx2.MockTransport(handler), async_=httpx2.MockTransport(async_handler)
    ):
        yield seen


def chat_completion(content: str = "Paris", model: str = "gpt-5.4-mini") -> bytes:
    """A non-streamed OpenAI chat completion body (JSON bytes) answering ``content``."""
    body = {
        "id": "c",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    return json.dumps(body).encode()


def openai_sse(
    text: str,
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 12,
    completion_tokens: int = 5,
    cached: int = 0,
    pieces: int = 3,
) -> bytes:
    """An OpenAI chat-completions stream with ``include_usage`` (usage chunk has no choices)."""
    step = max(1, len(text) // pieces)
    chunks = [text[i : i + step] for i in range(0, len(text), step)] or [""]
    base = {
        "id": "chatcmpl-test123",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": model,
    }
    events = [
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    ]
    events += [
        {**base, "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}]}
        for c in chunks
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    events.append(
        {
            **base,
            "choices": [],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        }
    )
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return body.encode()


def anthropic_sse(
    text: str,
    *,
    model: str = "claude-sonnet-4-6",
    input_tokens: int = 10,
    output_tokens: int = 6,
    cache_read: int = 0,
    cache_write: int = 0,
) -> bytes:
    usage0 = {
        "input_tokens": input_tokens,
        "output_tokens": 1,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_01Test",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": usage0,
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        events.append(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def error_body(provider: str, status: int, message: str) -> bytes:
    if provider == "anthropic":
        kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}.get(
            status, "api_error"
        )
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status, "server_error")
    return json.dumps(
        {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    ).encode()


class Script:
    """Answers requests in order from a list of (status, body, headers); records what was sent."""

    def __init__(self, *answers: tuple[int, bytes, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        status, body, headers = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        content_type = (
            "text/event-stream" if body.startswith((b"data:", b"event:")) else "application/json"
        )
        return httpx2.Response(
            status, content=body, headers={"content-type": content_type, **headers}
        )


def ok(body: bytes) -> tuple[int, bytes, dict[str, str]]:
    return (200, body, {})


# ---------------------------------------------------------------------- one recorded answer


@dataclass
class RecordedAnswer:
    """One recorded interaction, reduced to what a scripted transport serves."""

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


def load_interaction(cassette: Path, index: int) -> RecordedAnswer:
    """Interaction ``index`` of a cassette (loaded by the harness), ready for ``serve``."""
    from harness.cassettes import (
        load_cassette,  # only here: subprocess tests import this module bare
    )

    recorded = load_cassette(cassette).interactions[index]
    response = recorded.response
    headers = {name.lower(): values[0] for name, values in response.headers.items() if values}
    headers.pop("content-length", None)  # recomputed from the body we serve
    headers.pop("transfer-encoding", None)
    if "content-type" not in headers:
        headers["content-type"] = "text/event-stream" if recorded.streamed else "application/json"
    return RecordedAnswer(
        method=recorded.request.method,
        uri=recorded.request.uri,
        request_body=recorded.request.body,
        status=response.status,
        headers=headers,
        body=response.body,
    )


@contextmanager
def serve(interaction: RecordedAnswer) -> Iterator[RecordedAnswer]:
    """Answer the next request (sync or async) with the recorded response, once."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        if interaction.served:
            raise AssertionError(
                f"unexpected second request to {request.url}: the recording has one answer"
            )
        interaction.served.append(request)
        return httpx2.Response(
            interaction.status, headers=interaction.headers, content=interaction.body
        )

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


# ---------------------------------------------------------------------- model deprecations


@pytest.fixture(autouse=True)
def _each_test_warns_afresh_about_deprecated_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client warns once per model per process; forget that between tests, so a test naming
    a deprecated model fails (pyproject turns ``ModelDeprecationWarning`` into an error) whatever
    ran before it on the same worker. Tests about deprecation opt out with
    ``@pytest.mark.filterwarnings``."""
    from sik_llms import sdk_catalog

    monkeypatch.setattr(sdk_catalog, "_warned", set())
