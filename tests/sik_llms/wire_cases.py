"""Real-shaped provider answers for the wire tests, served at the network seam, and the four
entry points (``client()``, ``run_async``, ``stream``, ``stream_sync``) run the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

from sik_llms.transport import use_transport
from sik_llms.types import RESPONSE_TYPES

ENTRIES = ("call", "run_async", "stream", "stream_sync")
SSE = "text/event-stream; charset=utf-8"
JSON = "application/json"


def chat_sse(
    *chunks: dict[str, Any], model: str = "gpt-4o-mini-2024-07-18", done: bool = True
) -> bytes:
    """A Chat Completions stream: each chunk gets the id / object / model envelope."""
    base = {"id": "chatcmpl-w1", "object": "chat.completion.chunk", "created": 1, "model": model}
    body = "".join(f"data: {json.dumps({**base, **c})}\n\n" for c in chunks)
    return (body + ("data: [DONE]\n\n" if done else "")).encode()


def chat_choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def chat_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def named_sse(*events: dict[str, Any]) -> bytes:
    """Anthropic / Responses streams: ``event: <type>`` then the JSON."""
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def message_start(
    model: str = "claude-haiku-4-5-20251001", input_tokens: int = 20
) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_w1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def message_delta(stop: str, output_tokens: int) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop},
        "usage": {"output_tokens": output_tokens},
    }


class Served:
    """Answers every request with one recorded-shape response; keeps what was sent."""

    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = headers or {}
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        headers = dict(self.headers)
        if self.content_type is not None:
            headers["content-type"] = self.content_type
        return httpx2.Response(self.status, content=self.body, headers=headers)

    def sent_json(self) -> dict[str, Any]:
        return json.loads(self.requests[-1].content)


@contextmanager
def serve(
    status: int, body: bytes, content_type: str | None = SSE, headers: dict[str, str] | None = None
) -> Iterator[Served]:
    served = Served(status, body, content_type, headers)

    async def async_handler(request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        return served(request)

    with use_transport(
        sync=httpx2.MockTransport(served), async_=httpx2.MockTransport(async_handler)
    ):
        yield served


def run(client: Any, messages: list[Any], entry: str) -> tuple[Any, list[Any]]:
    """(response, events) through one entry point; its exception propagates."""
    if entry == "call":
        return client(messages), []
    if entry == "run_async":
        return asyncio.run(client.run_async(messages)), []
    if entry == "stream_sync":
        items = list(client.stream_sync(messages))
    else:

        async def collect() -> list[Any]:
            return [item async for item in client.stream(messages)]

        items = asyncio.run(collect())
    assert isinstance(items[-1], RESPONSE_TYPES)
    return items[-1], items[:-1]
