"""Every httpx2 / httpx client in the process is served by the active cassette, streams as events."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx2
import pytest

from harness.cassettes import load_cassette, use_cassette
from harness.cassettes.intercept import MISS_HEADER, route
from harness.cassettes.transport import CassetteTransport

ROOT = Path(__file__).resolve().parents[3]
STREAM = ROOT / "cassettes" / "openai" / "text_stream.yaml"


def _recorded_body() -> bytes:
    return load_cassette(STREAM).interactions[0].request.body


def test_a_plain_httpx2_client_gets_the_stream_event_by_event_on_the_virtual_clock() -> None:
    chunks_at: list[int] = []
    with (
        use_cassette(STREAM) as session,
        httpx2.Client(base_url="https://api.openai.com") as client,
    ):
        with client.stream("POST", "/v1/chat/completions", content=_recorded_body()) as response:
            for _chunk in response.iter_bytes():
                chunks_at.append(session.clock.elapsed_ns)
    events = load_cassette(STREAM).interactions[0].chunks()
    assert len(chunks_at) == len(events) > 2
    assert chunks_at[0] > 0 and chunks_at == sorted(chunks_at) and chunks_at[-1] > chunks_at[0]


async def _async_post(body: bytes) -> int:
    async with httpx2.AsyncClient() as client:
        response = await client.post("https://api.openai.com/v1/chat/completions", content=body)
        return response.status_code


def test_async_clients_and_httpx_clients_are_served_too() -> None:
    import asyncio

    import httpx

    with use_cassette(STREAM, match=None, unused="ignore") as session:
        session.replay.matcher.config.allow_repeats = True
        assert asyncio.run(_async_post(_recorded_body())) == 200
        with httpx.Client() as client:
            response = client.post(
                "https://api.openai.com/v1/chat/completions", content=_recorded_body()
            )
            assert response.status_code == 200 and b"data:" in response.content
        assert session.route is not None and session.route.served == 2


def test_an_httpx_imported_anew_is_served_too(monkeypatch) -> None:
    # what pytester's in-process runs and importlib.reload do: the module objects are new
    import sys

    import httpx

    for name in [n for n in sys.modules if n == "httpx" or n.startswith("httpx.")]:
        monkeypatch.delitem(sys.modules, name)  # restored, old objects and all, after the test
    import httpx as fresh

    assert fresh is not httpx
    with use_cassette(STREAM, unused="ignore") as session, fresh.Client() as client:
        response = client.post(
            "https://api.openai.com/v1/chat/completions", content=_recorded_body()
        )
        assert response.status_code == 200 and b"data:" in response.content
    assert session.route is not None and session.route.served == 1


def test_a_process_route_serves_threads_that_did_not_copy_the_context() -> None:
    transport = CassetteTransport(STREAM)
    results: list[int] = []

    def work() -> None:
        with httpx2.Client() as client:
            results.append(
                client.post(
                    "http://elsewhere.test/v1/chat/completions", content=_recorded_body()
                ).status_code
            )

    with route(transport, scope="process"):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert results == [200]


def test_a_foreign_clients_miss_is_a_400_carrying_the_diff_and_is_kept_for_the_test() -> None:
    body = json.loads(_recorded_body())
    body["messages"][0]["content"] = "a different prompt"
    with use_cassette(STREAM, unused="ignore") as session, httpx2.Client() as client:
        response = client.post("https://api.openai.com/v1/chat/completions", json=body)
    assert response.status_code == 400 and response.headers[MISS_HEADER] == "1"
    assert "a different prompt" in response.json()["error"]["message"]
    assert len(session.misses) == 1 and "closest recorded request" in str(session.misses[0])


def test_without_a_route_the_real_transport_runs() -> None:
    # port 9 on loopback is closed: the original transport really tries, and fails to connect
    with httpx2.Client() as client, pytest.raises(httpx2.ConnectError):
        client.get("http://127.0.0.1:9/")
