"""Serving from vcrpy cassettes: every real recording replays over HTTP, in order, event by event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anthropic
import httpx2
import openai
import pytest
import yaml

from harness.cassettes import load_cassette, split_events
from harness.simulator import CassetteError, Simulator
from tests.conftest import REAL, real_manifest

ROWS = real_manifest()
needs_real = pytest.mark.skipif(
    not ROWS, reason=f"real recordings not found at {REAL} (only present in the workspace)"
)


def _path_and_query(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _headers(provider: str) -> dict[str, str]:
    if provider == "anthropic":
        return {
            "anthropic-version": "2023-06-01",
            "x-api-key": "k",
            "content-type": "application/json",
        }
    return {"authorization": "Bearer k", "content-type": "application/json"}


@needs_real
@pytest.mark.real_cassettes
@pytest.mark.parametrize("row", ROWS, ids=[r["local_path"] for r in ROWS])
def test_every_real_cassette_replays_over_http(row: dict[str, Any]) -> None:
    path = REAL / row["local_path"]
    recorded = load_cassette(path).interactions
    with Simulator(cassette=path) as sim, httpx2.Client(timeout=10) as http:
        for item in recorded:
            url = sim.base_url + _path_and_query(item.request.uri)
            resp = http.post(url, content=item.request.body, headers=_headers(row["provider"]))
            assert resp.status_code == item.response.status
            if item.streamed and item.response.status < 400:
                assert resp.headers["content-type"].startswith("text/event-stream")
                assert resp.content == item.response.body
            else:
                assert json.loads(resp.content) == json.loads(item.response.body)
        assert sim.app.cassette is not None and sim.app.cassette.unused == []


@needs_real
def test_repeated_identical_requests_are_served_in_recorded_order() -> None:
    path = REAL / "openllmetry" / "test_chat.yaml"  # 4 identical requests, 4 different gzip answers
    recorded = [
        i.response.json()["choices"][0]["message"]["content"]
        for i in load_cassette(path).interactions
    ]
    assert len(set(recorded)) > 1
    with Simulator(cassette=path) as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        got = [
            client.chat.completions.create(
                model="gpt-3.5-turbo",
                messages=[{"role": "user", "content": "Tell me a joke about opentelemetry"}],
            )
            .choices[0]
            .message.content
            for _ in recorded
        ]
    assert got == recorded


@needs_real
def test_sse_cassette_streams_event_by_event_through_the_sdk() -> None:
    path = REAL / "openllmetry" / "test_anthropic_thinking_streaming_legacy.yaml"
    item = load_cassette(path).interactions[0]
    with Simulator(cassette=path) as sim:
        client = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="k", max_retries=0)
        with client.messages.stream(**_kwargs(item.request.json())) as stream:
            events = [e.type for e in stream]
            final = stream.get_final_message()
    assert final.content[1].text.startswith("The letter 'r' appears 3 times")  # type: ignore[union-attr]
    assert events.count("content_block_stop") == 2
    assert len(split_events(item.response.body)) > 20


def _kwargs(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "stream"}


def test_miss_names_the_cassette_and_the_closest_difference(tmp_path: Path) -> None:
    cassette = tmp_path / "mine.yaml"
    cassette.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {
                            "method": "POST",
                            "uri": "https://api.openai.com/v1/chat/completions",
                            "body": json.dumps(
                                {
                                    "model": "gpt-4o",
                                    "messages": [{"role": "user", "content": "hi"}],
                                },
                                indent=2,
                            ),
                            "headers": {},
                        },
                        "response": {
                            "status": {"code": 200, "message": "OK"},
                            "headers": {},
                            "body": {
                                "string": json.dumps(
                                    {
                                        "id": "chatcmpl-1",
                                        "object": "chat.completion",
                                        "created": 1,
                                        "model": "gpt-4o",
                                        "choices": [
                                            {
                                                "index": 0,
                                                "finish_reason": "stop",
                                                "message": {
                                                    "role": "assistant",
                                                    "content": "hello",
                                                },
                                            }
                                        ],
                                    }
                                )
                            },
                        },
                    }
                ],
            }
        )
    )
    with Simulator(cassette=cassette, cassette_repeat=False) as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        ok = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert (
            ok.choices[0].message.content == "hello"
        )  # pretty-printed recorded body still matches
        with pytest.raises(openai.NotFoundError, match="already played"):
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
            )
        with pytest.raises(openai.NotFoundError) as info:
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "bye"}]
            )
    message = str(info.value)
    assert "mine.yaml" in message and "body.messages[0].content" in message


def test_a_bad_cassette_stops_the_simulator_with_the_loaders_error(tmp_path: Path) -> None:
    """The simulator loads through harness.cassettes (its errors are tested there): what is
    checked here is that they reach whoever starts the simulator, before it serves anything."""
    with pytest.raises(CassetteError, match="not found"):
        Simulator(cassette=tmp_path / "none.yaml")
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("interactions: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(CassetteError, match="refused unsafe or unknown YAML tag"):
        Simulator(cassette=unsafe)


def test_split_events_joins_back_exactly() -> None:
    body = b"event: a\ndata: {}\n\nevent: b\r\ndata: {}\r\n\r\ndata: [DONE]\n\n\n"
    parts = split_events(body)
    assert b"".join(parts) == body and len(parts) == 3


def test_record_against_the_simulator_with_vcrpy_then_serve_that_cassette(tmp_path: Path) -> None:
    import vcr

    cassette = tmp_path / "recorded.yaml"
    recorder = vcr.VCR(record_mode="all", filter_headers=["authorization"])
    with Simulator(scenario="travel_agent", seed=3) as sim:
        client = openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0)
        with recorder.use_cassette(str(cassette)):
            live = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            live_stream = "".join(
                c.choices[0].delta.content or ""
                for c in client.chat.completions.create(
                    model="gpt-4o-mini",
                    stream=True,
                    messages=[{"role": "user", "content": "strawberry"}],
                )
                if c.choices
            )
    assert "authorization" not in cassette.read_text().lower()
    with Simulator(cassette=cassette) as replay:
        client = openai.OpenAI(base_url=replay.openai_base_url, api_key="sk-sim", max_retries=0)
        again = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        stream = client.chat.completions.create(
            model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": "strawberry"}]
        )
        again_stream = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert (
        again.id == live.id and again.choices[0].message.content == live.choices[0].message.content
    )
    assert again_stream == live_stream and "3 times" in again_stream
