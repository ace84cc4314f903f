"""Every real recording in ../shared/cassettes-real replays through the official SDK.

The request each SDK sends is rebuilt from the recorded request body, so the replay exercises
the SDK's whole HTTP stack: matching, status codes, error mapping, SSE parsing chunk by chunk.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

from harness.cassettes import load_cassette
from harness.cassettes.transport import CassetteTransport
from harness.clock import VirtualClock
from tests.conftest import REAL

pytestmark = [
    pytest.mark.real_cassettes,
    pytest.mark.skipif(not REAL.is_dir(), reason=f"real cassettes not available at {REAL}"),
]


def _manifest() -> list[dict[str, Any]]:
    if not REAL.is_dir():
        return []
    return [json.loads(line) for line in (REAL / "MANIFEST.jsonl").read_text().splitlines() if line]


MANIFEST = _manifest()
IDS = [m["local_path"] for m in MANIFEST]


def _call(
    provider: str, uri: str, body: dict[str, Any], transport: httpx2.BaseTransport
) -> tuple[Any, int]:
    """Send ``body`` to ``uri`` through the provider's official sync SDK; returns (items, status)."""
    stream = bool(body.get("stream"))
    path = uri.split("?")[0].split("/v1", 1)[1]
    params = dict(p.split("=") for p in uri.split("?")[1].split("&")) if "?" in uri else {}
    http = httpx2.Client(transport=transport)
    try:
        if provider == "openai":
            client: Any = openai.OpenAI(api_key="test", http_client=http, max_retries=0)
            responses = path.startswith("/responses")
            cast, event = (
                (Response, ResponseStreamEvent)
                if responses
                else (ChatCompletion, ChatCompletionChunk)
            )
            stream_cls = openai.Stream[event]  # type: ignore[valid-type]
        else:
            client = anthropic.Anthropic(api_key="test", http_client=http, max_retries=0)
            path = "/v1" + path
            cast, stream_cls = Message, anthropic.Stream[RawMessageStreamEvent]
        try:
            result = client.post(
                path,
                cast_to=cast,
                body=body,
                options={"params": params},
                stream=stream,
                stream_cls=stream_cls,
            )
            items = list(result) if stream else [result]
            return items, 200
        except (openai.APIStatusError, anthropic.APIStatusError) as exc:
            return [exc], exc.status_code
    finally:
        http.close()


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_every_interaction_replays_through_its_sdk(entry: dict[str, Any]) -> None:
    cassette = load_cassette(REAL / entry["local_path"])
    transport = CassetteTransport(cassette)
    for interaction in cassette.interactions:
        body = interaction.request.json()
        assert isinstance(body, dict), f"{entry['local_path']}: request body is not JSON"
        items, status = _call(entry["provider"], interaction.request.uri, body, transport)
        assert status == interaction.response.status
        if body.get("stream") and status == 200:
            assert len(items) > 1, "a streamed replay must reach the SDK as several events"
    assert transport.unused() == []
    for playback in transport.playbacks:
        assert playback.chunks_served == playback.chunks_total
    primary = cassette.interactions[entry["primary_interaction"]]
    assert primary.response.status == entry["http_status"]


def test_repeated_identical_requests_come_back_in_recorded_order() -> None:
    cassette = load_cassette(REAL / "openllmetry" / "test_chat.yaml")
    # recorded with two JSON spacings: identical as data, so they share one FIFO queue
    assert len({i.request.body for i in cassette.interactions}) == 2
    assert len({json.dumps(i.request.json(), sort_keys=True) for i in cassette.interactions}) == 1
    transport = CassetteTransport(cassette)
    body = cassette.interactions[0].request.json()
    got = [
        _call("openai", cassette.interactions[0].request.uri, body, transport)[0][0].id
        for _ in range(4)
    ]
    assert got == [i.response.json()["id"] for i in cassette.interactions]
    assert len(set(got)) == 4


def _first_chunk_and_total(
    clock: VirtualClock, transport: CassetteTransport
) -> tuple[float, float, int]:
    http = httpx2.Client(transport=transport)
    client = openai.OpenAI(api_key="test", http_client=http, max_retries=0)
    start = clock.perf_counter()
    first = None
    n = 0
    for _chunk in client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "Say this is a test"}],
        stream=True,
        stream_options={"include_usage": True},
    ):
        n += 1
        if first is None:
            first = clock.perf_counter() - start
    assert first is not None
    return first, clock.perf_counter() - start, n


def test_streamed_replay_has_repeatable_nonzero_time_to_first_chunk() -> None:
    path = REAL / "otel-contrib" / "test_chat_completion_streaming.yaml"
    runs = []
    for _ in range(2):
        clock = VirtualClock()
        runs.append(
            _first_chunk_and_total(clock, CassetteTransport(load_cassette(path), clock=clock))
        )
    (ttfc, total, n), second = runs
    assert n > 1
    assert 0 < ttfc < total
    assert runs[0] == second


def test_async_sdk_replays_a_real_anthropic_stream() -> None:
    path = REAL / "openllmetry" / "test_anthropic_message_streaming_legacy.yaml"
    cassette = load_cassette(path)
    body = cassette.interactions[0].request.json()
    transport = CassetteTransport(cassette)

    async def run() -> list[Any]:
        async with httpx2.AsyncClient(transport=transport) as http:
            client = anthropic.AsyncAnthropic(api_key="test", http_client=http, max_retries=0)
            stream = await client.messages.create(**body)
            return [event async for event in stream]

    events = asyncio.run(run())
    assert len(events) == transport.playbacks[0].chunks_total - 1  # minus the `ping` event
    assert events[-1].type == "message_stop"
    assert transport.unused() == []
