"""The bench's answers, served from memory: pre-built wire bodies of each provider and workload,
and an httpx2 transport that returns them (SSE one event per chunk, zero latency)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx2

from harness.bench.model import MODELS, WORD

__all__ = ["BODIES", "MemoryTransport", "anthropic_body", "memory_transport", "openai_body"]


def _sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def openai_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an OpenAI chat completion for this workload."""
    model = "gpt-4o-mini-2024-07-18"
    base = {"id": "chatcmpl-bench", "created": 1_700_000_000, "model": model, "system_fingerprint": "fp_bench"}
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 100,
        "total_tokens": 112,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    if workload.startswith("stream"):
        n = int(workload[len("stream"):])
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [_sse({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})]
        events += [
            _sse({**chunk, "choices": [{"index": 0, "delta": {"content": WORD}, "finish_reason": None}]}) for _ in range(n)
        ]
        events.append(_sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        events.append(_sse({**chunk, "choices": [], "usage": {**usage, "completion_tokens": n, "total_tokens": 12 + n}}))
        events.append(_sse("[DONE]"))
        return "text/event-stream", events
    if workload == "tool":
        call = {"id": "call_bench", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": WORD * 100, "refusal": None}
        finish = "stop"
    body = {**base, "object": "chat.completion", "usage": usage,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]}
    return "application/json", [json.dumps(body).encode()]


def anthropic_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an Anthropic message for this workload."""
    model = MODELS["anthropic"]
    usage = {"input_tokens": 12, "output_tokens": 100, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    if workload.startswith("stream"):
        n = int(workload[len("stream"):])
        start = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [],
                 "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
        events = [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, "content_block_start"),
        ]
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": WORD}}
        events += [_sse(delta, "content_block_delta") for _ in range(n)]
        events.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        events.append(_sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": n}}, "message_delta"))
        events.append(_sse({"type": "message_stop"}, "message_stop"))
        return "text/event-stream", events
    if workload == "tool":
        content: list[dict[str, Any]] = [{"type": "tool_use", "id": "toolu_bench", "name": "get_weather", "input": {"city": "Paris"}}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": WORD * 100}]
        stop = "end_turn"
    body = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop, "stop_sequence": None, "usage": usage}
    return "application/json", [json.dumps(body).encode()]


BODIES: dict[str, Callable[[str], tuple[str, list[bytes]]]] = {"openai": openai_body, "anthropic": anthropic_body}


class _Chunks(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class MemoryTransport(httpx2.BaseTransport):
    """Answers every request with one pre-built response from memory (SSE: one chunk per event)."""

    def __init__(self, content_type: str, chunks: list[bytes]) -> None:
        self._headers = [("content-type", content_type), ("request-id", "req_bench"), ("x-request-id", "req_bench")]
        self._chunks = chunks
        self._streamed = content_type == "text/event-stream"
        self.requests = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests += 1
        if self._streamed:
            return httpx2.Response(200, headers=self._headers, stream=_Chunks(self._chunks), request=request)
        return httpx2.Response(200, headers=self._headers, content=self._chunks[0], request=request)


def memory_transport(provider: str, workload: str) -> MemoryTransport:
    return MemoryTransport(*BODIES[provider](workload))
