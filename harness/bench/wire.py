"""The bench's answers, served from memory: each provider's wire bodies for each workload, built
once by the provider simulator's own wire modules (the one home of the wire formats), and an
httpx2 transport that returns them (SSE one event per chunk, zero latency)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx2

from harness.bench.model import MODELS, answer_text
from harness.simulator.anthropic_wire import render_messages, stream_messages
from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, ToolCall, Usage
from harness.simulator.openai_wire import DUMPS, render_chat, stream_chat

__all__ = ["BODIES", "MemoryTransport", "anthropic_body", "memory_transport", "openai_body"]

PROMPT_TOKENS = 12
CREATED = 1_700_000_000


def _answer(workload: str, call_id: str) -> tuple[Answer, Usage, bool]:
    """(answer, usage, streamed) of a workload: ``answer``/``streamN`` text, ``tool`` one call."""
    if workload == "tool":
        return (
            Answer(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id=call_id)]),
            Usage(PROMPT_TOKENS, 12),
            False,
        )
    streamed = workload.startswith("stream")
    words = int(workload[len("stream") :]) if streamed else 100
    return Answer(text=answer_text(words)), Usage(PROMPT_TOKENS, words), streamed


def openai_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an OpenAI chat completion for this workload."""
    answer, usage, streamed = _answer(workload, "call_bench")
    view = RequestView(
        provider="openai",
        api="chat.completions",
        model=MODELS["openai"],
        stream=streamed,
        include_usage=True,
    )
    ids = IdMaker(seed=0, ordinal=0)
    if streamed:
        return "text/event-stream", stream_chat(view, answer, usage, ids, CREATED).events
    return "application/json", [DUMPS(render_chat(view, answer, usage, ids, CREATED)).encode()]


def anthropic_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an Anthropic message for this workload."""
    answer, usage, streamed = _answer(workload, "toolu_bench")
    view = RequestView(
        provider="anthropic", api="messages", model=MODELS["anthropic"], stream=streamed
    )
    ids = IdMaker(seed=0, ordinal=0)
    if streamed:
        return "text/event-stream", stream_messages(view, answer, usage, ids).events
    return "application/json", [DUMPS(render_messages(view, answer, usage, ids)).encode()]


BODIES: dict[str, Callable[[str], tuple[str, list[bytes]]]] = {
    "openai": openai_body,
    "anthropic": anthropic_body,
}


class _Chunks(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class MemoryTransport(httpx2.BaseTransport):
    """Answers every request with one pre-built response from memory (SSE: one chunk per event)."""

    def __init__(self, content_type: str, chunks: list[bytes]) -> None:
        self._headers = [
            ("content-type", content_type),
            ("request-id", "req_bench"),
            ("x-request-id", "req_bench"),
        ]
        self._chunks = chunks
        self._streamed = content_type == "text/event-stream"
        self.requests = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests += 1
        if self._streamed:
            return httpx2.Response(
                200, headers=self._headers, stream=_Chunks(self._chunks), request=request
            )
        return httpx2.Response(200, headers=self._headers, content=self._chunks[0], request=request)


def memory_transport(provider: str, workload: str) -> MemoryTransport:
    return MemoryTransport(*BODIES[provider](workload))
