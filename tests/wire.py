"""Provider wire payloads for tests that script the network (the only boundary we fake).

Responses are built in the providers' real shapes (checked against ../shared/cassettes-real)
and served through ``sik_llms.transport.use_transport`` with an ``httpx2.MockTransport``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

from sik_llms.transport import use_transport


def openai_sse(text: str, *, model: str = "gpt-4o-mini-2024-07-18", prompt_tokens: int = 12,
               completion_tokens: int = 5, cached: int = 0, pieces: int = 3) -> bytes:
    """An OpenAI chat-completions stream with ``include_usage`` (usage chunk has no choices)."""
    step = max(1, len(text) // pieces)
    chunks = [text[i : i + step] for i in range(0, len(text), step)] or [""]
    base = {"id": "chatcmpl-test123", "object": "chat.completion.chunk", "created": 1700000000, "model": model}
    events = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
    events += [{**base, "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}]} for c in chunks]
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


def anthropic_sse(text: str, *, model: str = "claude-sonnet-4-5-20250929", input_tokens: int = 10,
                  output_tokens: int = 6, cache_read: int = 0, cache_write: int = 0) -> bytes:
    usage0 = {"input_tokens": input_tokens, "output_tokens": 1, "cache_read_input_tokens": cache_read,
              "cache_creation_input_tokens": cache_write}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_01Test", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage0}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
    ]
    half = len(text) // 2
    for piece in (text[:half], text[half:]):
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0,
                                               "delta": {"type": "text_delta", "text": piece}}))
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": output_tokens}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


def error_body(provider: str, status: int, message: str) -> bytes:
    if provider == "anthropic":
        kind = {401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    kind = {401: "invalid_request_error", 429: "rate_limit_exceeded"}.get(status, "server_error")
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": kind}}).encode()


class Script:
    """Answers requests in order from a list of (status, body, headers); records what was sent."""

    def __init__(self, *answers: tuple[int, bytes, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        status, body, headers = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        content_type = "text/event-stream" if body.startswith((b"data:", b"event:")) else "application/json"
        return httpx2.Response(status, content=body, headers={"content-type": content_type, **headers})


def ok(body: bytes) -> tuple[int, bytes, dict[str, str]]:
    return (200, body, {})


@contextmanager
def scripted(handler: Callable[[httpx2.Request], httpx2.Response]) -> Iterator[None]:
    """Serve this context's provider requests (sync and async) from ``handler``."""

    async def async_handler(request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return handler(request)

    with use_transport(sync=httpx2.MockTransport(handler), async_=httpx2.MockTransport(async_handler)):
        yield
