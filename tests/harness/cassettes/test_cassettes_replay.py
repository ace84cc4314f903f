"""Replay transport: per-event streaming, virtual and real timing, early close, cancellation,
retries, sync and async SDKs, the sik_llms transport seam, and no sockets."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from harness.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamTiming,
    save_cassette,
    use_cassette,
)
from harness.cassettes.transport import SYNTHETIC_FIRST_EVENT_S, CassetteTransport
from harness.clock import DEFAULT_EPOCH_NS, VirtualClock
from sik_llms import clock as _clock
from sik_llms.transport import AsyncSikTransport, SikTransport

OPENAI_URL = "https://api.openai.com/v1/chat/completions"
ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"
PROMPT = [{"role": "user", "content": "count"}]


def _chunk(i: int, content: str | None, finish: str | None = None) -> bytes:
    delta = {"content": content} if content is not None else {}
    data = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


def _openai_stream(words: list[str], timing: StreamTiming | None = None) -> Interaction:
    body = (
        b"".join(_chunk(i, w) for i, w in enumerate(words))
        + _chunk(99, None, "stop")
        + b"data: [DONE]\n\n"
    )
    request = {"model": "gpt-4o-mini", "messages": PROMPT, "stream": True}
    return Interaction(
        index=0,
        request=RecordedRequest("POST", OPENAI_URL, {}, json.dumps(request).encode()),
        response=RecordedResponse(
            200, "OK", {"content-type": ["text/event-stream"]}, body, timing=timing
        ),
    )


def _anthropic_message() -> Interaction:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "hello"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }
    request = {"max_tokens": 10, "messages": PROMPT, "model": "claude-x"}
    return Interaction(
        index=0,
        request=RecordedRequest("POST", ANTHROPIC_URL, {}, json.dumps(request).encode()),
        response=RecordedResponse(
            200, "OK", {"content-type": ["application/json"]}, json.dumps(body).encode()
        ),
    )


def _stream_openai(client: openai.OpenAI) -> list[Any]:
    return list(client.chat.completions.create(model="gpt-4o-mini", messages=PROMPT, stream=True))


def _oa(transport: Any, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        max_retries=kw.pop("max_retries", 0),
        http_client=httpx2.Client(transport=transport),
        **kw,
    )


def test_stream_is_served_one_chunk_per_event_with_virtual_gaps() -> None:
    clock = VirtualClock()
    transport = CassetteTransport(Cassette([_openai_stream(["a", "b", "c"])]), clock=clock)
    http = httpx2.Client(transport=transport)
    seen: list[tuple[bytes, int]] = []
    with http.stream(
        "POST", OPENAI_URL, json={"model": "gpt-4o-mini", "messages": PROMPT, "stream": True}
    ) as r:
        for raw in r.iter_raw():
            seen.append((raw, clock.elapsed_ns))
    assert len(seen) == 5
    assert all(raw.startswith(b"data: ") and raw.endswith(b"\n\n") for raw, _ in seen)
    assert seen[0][1] == round(SYNTHETIC_FIRST_EVENT_S * 1e9)
    assert [b - a for (_, a), (_, b) in itertools.pairwise(seen)] == [20_000_000] * 4
    assert clock.time_ns() == DEFAULT_EPOCH_NS + seen[-1][1]


def test_recorded_timing_is_reproduced_and_identical_across_runs() -> None:
    timing = StreamTiming(headers=0.3, events=[0.5, 0.5, 0.9, 1.0])
    results = []
    for _ in range(2):
        clock = VirtualClock()
        with _clock.use_clock(clock):
            client = _oa(
                CassetteTransport(Cassette([_openai_stream(["a", "b"], timing)]), clock=clock)
            )
            start = _clock.perf_counter()
            stream = client.chat.completions.create(
                model="gpt-4o-mini", messages=PROMPT, stream=True
            )
            stamps = [_clock.perf_counter() - start for _ in stream]
        results.append((stamps, clock.time_ns()))
    assert results[0] == results[1]
    stamps = results[0][0]
    # time to first chunk 0.5 s and last chunk at 0.9 s (the [DONE] event yields no chunk)
    assert stamps[0] == pytest.approx(0.5) and stamps[-1] == pytest.approx(0.9)


def test_realtime_mode_really_sleeps_the_gaps() -> None:
    timing = StreamTiming(headers=0.02, events=[0.05, 0.08, 0.11, 0.14])
    transport = CassetteTransport(Cassette([_openai_stream(["a", "b"], timing)]), timing="realtime")
    start = time.perf_counter()
    chunks = _stream_openai(_oa(transport))
    assert len(chunks) == 3
    assert time.perf_counter() - start >= 0.13


def test_consumer_can_close_a_stream_early() -> None:
    transport = CassetteTransport(Cassette([_openai_stream(list("abcdefgh"))]))
    stream = _oa(transport).chat.completions.create(
        model="gpt-4o-mini", messages=PROMPT, stream=True
    )
    first = next(iter(stream))
    assert first.choices[0].delta.content == "a"
    stream.close()
    playback = transport.playbacks[0]
    assert playback.closed_early and playback.chunks_served < playback.chunks_total


def test_async_consumer_can_be_cancelled_mid_stream() -> None:
    transport = CassetteTransport(Cassette([_openai_stream(list("abcdefghij"))]))
    got: list[str] = []

    async def consume(client: openai.AsyncOpenAI) -> None:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=PROMPT, stream=True
        )
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content or "")
            if len(got) == 2:
                await asyncio.sleep(10)  # cancelled here

    async def main() -> None:
        async with httpx2.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0, http_client=http)
            task = asyncio.create_task(consume(client))
            while len(got) < 2:
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(asyncio.wait_for(main(), timeout=5))
    assert got == ["a", "b"]
    assert transport.playbacks[0].chunks_served < transport.playbacks[0].chunks_total


def test_error_then_retry_is_replayed_through_sdk_retries() -> None:
    ok = _anthropic_message()
    overloaded = Interaction(
        index=0,
        request=ok.request,
        response=RecordedResponse(
            529,
            "",
            {"content-type": ["application/json"], "retry-after-ms": ["1"]},
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        ),
    )
    transport = CassetteTransport(Cassette([overloaded, ok]))
    client = anthropic.Anthropic(
        api_key="k", max_retries=2, http_client=httpx2.Client(transport=transport)
    )
    message = client.messages.create(model="claude-x", max_tokens=10, messages=PROMPT)  # type: ignore[arg-type]
    assert message.content[0].text == "hello"  # type: ignore[union-attr]
    assert transport.unused() == []
    assert [p.interaction.response.status for p in transport.playbacks] == [529, 200]


def test_error_status_surfaces_as_the_sdk_error() -> None:
    bad = _anthropic_message()
    bad.response = RecordedResponse(
        400,
        "Bad Request",
        {"content-type": ["application/json"]},
        b'{"type":"error","error":{"type":"invalid_request_error","message":"nope"}}',
    )
    client = anthropic.Anthropic(
        api_key="k",
        max_retries=0,
        http_client=httpx2.Client(transport=CassetteTransport(Cassette([bad]))),
    )
    with pytest.raises(anthropic.BadRequestError, match="nope"):
        client.messages.create(model="claude-x", max_tokens=10, messages=PROMPT)  # type: ignore[arg-type]


def _write(tmp_path: Path, *interactions: Interaction) -> Path:
    return save_cassette(Cassette(list(interactions)), tmp_path / "c.yaml")


def test_use_cassette_routes_sik_transport_and_installs_the_virtual_clock(tmp_path: Path) -> None:
    path = _write(tmp_path, _openai_stream(["x", "y"]))
    with use_cassette(path, name="openai/stream") as session:
        assert _clock.current_clock() is session.clock
        client = openai.OpenAI(
            api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        start = _clock.perf_counter()
        first_at = None
        for _chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=PROMPT, stream=True
        ):
            first_at = first_at if first_at is not None else _clock.perf_counter() - start
        assert first_at is not None and first_at > 0
    assert _clock.current_clock() is _clock.SYSTEM_CLOCK


def test_use_cassette_serves_async_clients_through_the_seam(tmp_path: Path) -> None:
    path = _write(tmp_path, _anthropic_message())

    async def run() -> str:
        async with httpx2.AsyncClient(transport=AsyncSikTransport()) as http:
            client = anthropic.AsyncAnthropic(api_key="k", max_retries=0, http_client=http)
            message = await client.messages.create(model="claude-x", max_tokens=10, messages=PROMPT)  # type: ignore[arg-type]
            return message.content[0].text  # type: ignore[union-attr]

    with use_cassette(path):
        assert asyncio.run(run()) == "hello"


def test_realtime_use_cassette_leaves_the_system_clock(tmp_path: Path) -> None:
    path = _write(tmp_path, _anthropic_message())
    with use_cassette(path, timing="realtime") as session:
        assert session.clock is None and _clock.current_clock() is _clock.SYSTEM_CLOCK
        client = anthropic.Anthropic(
            api_key="k", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        client.messages.create(model="claude-x", max_tokens=10, messages=PROMPT)  # type: ignore[arg-type]


def test_replay_never_opens_a_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    attempts: list[Any] = []

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
            "127.0.0.1",
            "::1",
        ):
            attempts.append(address)
            raise OSError(f"network blocked in replay test: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError("DNS blocked"))
    )
    # the guard itself works:
    with pytest.raises(OSError, match="network blocked"):
        socket.socket().connect(("203.0.113.1", 443))
    attempts.clear()
    path = _write(tmp_path, _openai_stream(["a"]))
    with use_cassette(path):
        sync = openai.OpenAI(
            api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        assert len(_stream_openai(sync)) == 2

    async def run() -> int:
        async with httpx2.AsyncClient(transport=AsyncSikTransport()) as http:
            client = openai.AsyncOpenAI(api_key="sk-test", max_retries=0, http_client=http)
            stream = await client.chat.completions.create(
                model="gpt-4o-mini", messages=PROMPT, stream=True
            )
            return len([c async for c in stream])

    with use_cassette(path):
        assert asyncio.run(run()) == 2
    assert attempts == []
