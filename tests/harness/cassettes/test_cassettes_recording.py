"""Recording: modes, tee'd SSE timing, header allow-list, scrubbing, provenance, CI refusal."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest
import vcr
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from harness.cassettes import load_cassette, use_cassette
from harness.cassettes.record import RecordingRefused, RecordingTransport, SecretLeakError
from harness.cassettes.scan import scan_paths
from sik_llms.transport import AsyncSikTransport, SikTransport

# built by concatenation so this source file itself stays clean for the scanner
OPENAI_KEY = "sk-" + "proj-" + "Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA"
PROMPT = [{"role": "user", "content": "hi"}]


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


ANTHROPIC_STREAM = _sse(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 0},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 2},
    },
    {"type": "message_stop"},
)


def _fake_provider(request: httpx2.Request) -> httpx2.Response:
    """A local stand-in for the providers, leaking secrets the way real servers and users do."""
    body = json.loads(request.content)
    common = {
        "set-cookie": "session=abc",
        "openai-organization": "acme-org",
        "x-request-id": "req_1",
        "x-ratelimit-remaining-requests": "99",
    }
    if request.url.host == "api.anthropic.com":
        if body.get("stream"):
            return httpx2.Response(
                200,
                headers={**common, "content-type": "text/event-stream"},
                stream=httpx2.ByteStream(ANTHROPIC_STREAM),
            )
        payload = {
            "id": "msg_2",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [{"type": "text", "text": f"your key is {ANTHROPIC_KEY}"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
        return httpx2.Response(
            200, headers={**common, "content-type": "application/json"}, json=payload
        )
    payload = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        "api_key": "leaky-value",
    }
    raw = gzip.compress(json.dumps(payload).encode())
    return httpx2.Response(
        200,
        headers={**common, "content-type": "application/json", "content-encoding": "gzip"},
        content=raw,
    )


@pytest.fixture
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)


def _record(path: Path, mode: str = "once") -> int:
    """Run three provider calls under ``use_cassette``; returns how many were recorded."""
    mock = httpx2.MockTransport(_fake_provider)
    with use_cassette(path, mode=mode, real_transport=mock, real_async_transport=mock) as session:
        oa = openai.OpenAI(
            api_key=OPENAI_KEY, max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        oa.chat.completions.create(
            model="gpt-4o-mini",
            messages=PROMPT,
            extra_query={"api-key": OPENAI_KEY},
            extra_body={"metadata": {"note": f"Bearer {OPENAI_KEY}"}},
        )
        an = anthropic.Anthropic(
            api_key=ANTHROPIC_KEY,
            max_retries=0,
            http_client=httpx2.Client(transport=SikTransport()),
        )
        with an.messages.stream(model="claude-x", max_tokens=5, messages=PROMPT) as stream:  # type: ignore[arg-type]
            assert stream.get_final_text() == "Hello"
        an.messages.create(model="claude-x", max_tokens=5, messages=PROMPT)  # type: ignore[arg-type]
    return len(session.recorded)


def test_recorded_cassette_is_clean_complete_and_replays(tmp_path: Path, no_ci: None) -> None:
    path = tmp_path / "rec" / "mixed.yaml"
    assert _record(path) == 3
    text = path.read_text()
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, "leaky-value", "session=abc", "acme-org"):
        assert secret not in text
    assert scan_paths([path])[0] == []
    cassette = load_cassette(path)
    oa_req = cassette.interactions[0].request
    assert set(oa_req.headers) <= {"accept", "content-type", "user-agent"} | {
        h for h in oa_req.headers if h.startswith("x-stainless-")
    }
    assert "authorization" not in oa_req.headers
    assert "api-key=REDACTED" in oa_req.uri
    assert (
        cassette.interactions[0].response.json()["api_key"] == "REDACTED"
    )  # gzip decoded, field scrubbed
    assert cassette.interactions[0].response.header("content-encoding") is None
    assert "x-api-key" not in cassette.interactions[1].request.headers
    kept = set(cassette.interactions[1].response.headers)
    assert {"content-type", "x-request-id", "x-ratelimit-remaining-requests"} <= kept
    assert not kept & {"set-cookie", "openai-organization"}
    # the stream was timestamped event by event
    stream = cassette.interactions[1]
    assert stream.streamed and stream.response.timing is not None
    assert len(stream.response.timing.events) == len(stream.chunks()) == 7
    prov = cassette.provenance
    assert prov is not None and prov["recorded_against"] == [
        "https://api.anthropic.com",
        "https://api.openai.com",
    ]
    assert {"sik-llms", "openai", "anthropic", "httpx2", "python"} <= set(prov["versions"])
    assert prov["recorded_at"].endswith("+00:00")
    # stock vcrpy loads it (our metadata rides in a key it ignores), and it replays through our stack
    requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert len(requests) == len(responses) == 3
    with vcr.VCR(record_mode="none").use_cassette(str(path)) as stock:
        assert len(stock.data) == 3
    with use_cassette(path):
        an = anthropic.Anthropic(
            api_key="k", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        with an.messages.stream(model="claude-x", max_tokens=5, messages=PROMPT) as s:  # type: ignore[arg-type]
            assert s.get_final_text() == "Hello"
        an.messages.create(model="claude-x", max_tokens=5, messages=PROMPT)  # type: ignore[arg-type]
        oa = openai.OpenAI(
            api_key="k", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        oa.chat.completions.create(
            model="gpt-4o-mini",
            messages=PROMPT,
            extra_query={"api-key": "other"},
            extra_body={"metadata": {"note": f"Bearer {OPENAI_KEY[::-1]}"}},
        )
        # live requests are scrubbed the same way before matching, so other keys still match


def test_once_replays_when_the_cassette_exists(tmp_path: Path, no_ci: None) -> None:
    path = tmp_path / "c.yaml"
    assert _record(path) == 3
    before = path.read_text()
    assert _record(path) == 0  # same code again: replayed, nothing recorded, file untouched
    assert path.read_text() == before


def test_recording_is_refused_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    for mode in ("once", "all", "new_episodes"):
        with pytest.raises(
            RecordingRefused, match=r"CI environment variable is set \(CI='true'\).*CI only replays"
        ):
            _record(tmp_path / f"{mode}.yaml", mode=mode)
    assert not list(tmp_path.iterdir())
    monkeypatch.setenv("CI", "false")
    _record(tmp_path / "local.yaml")
    assert (tmp_path / "local.yaml").is_file()


def test_new_episodes_appends_and_all_rewrites(tmp_path: Path, no_ci: None) -> None:
    path = tmp_path / "c.yaml"
    mock = httpx2.MockTransport(_fake_provider)

    def ask(content: str, mode: str) -> None:
        with use_cassette(path, mode=mode, real_transport=mock, unused="ignore"):
            an = anthropic.Anthropic(
                api_key="k", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
            )
            an.messages.create(
                model="claude-x", max_tokens=5, messages=[{"role": "user", "content": content}]
            )

    ask("one", "new_episodes")
    ask("one", "new_episodes")  # replayed: no growth
    ask("two", "new_episodes")
    assert [
        i.request.json()["messages"][0]["content"] for i in load_cassette(path).interactions
    ] == ["one", "two"]
    ask("three", "all")
    assert [
        i.request.json()["messages"][0]["content"] for i in load_cassette(path).interactions
    ] == ["three"]


def test_a_failing_block_records_nothing(tmp_path: Path, no_ci: None) -> None:
    path = tmp_path / "c.yaml"
    mock = httpx2.MockTransport(_fake_provider)
    with (
        pytest.raises(RuntimeError, match="boom"),
        use_cassette(path, mode="once", real_transport=mock),
    ):
        an = anthropic.Anthropic(
            api_key="k", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
        )
        an.messages.create(model="claude-x", max_tokens=5, messages=PROMPT)  # type: ignore[arg-type]
        raise RuntimeError("boom")
    assert not path.exists()


def test_async_recording_through_the_seam(tmp_path: Path, no_ci: None) -> None:
    path = tmp_path / "async.yaml"
    mock = httpx2.MockTransport(_fake_provider)

    async def run() -> str:
        async with httpx2.AsyncClient(transport=AsyncSikTransport()) as http:
            an = anthropic.AsyncAnthropic(api_key="k", max_retries=0, http_client=http)
            async with an.messages.stream(model="claude-x", max_tokens=5, messages=PROMPT) as s:  # type: ignore[arg-type]
                return await s.get_final_text()

    with use_cassette(path, mode="once", real_async_transport=mock):
        assert asyncio.run(run()) == "Hello"
    with use_cassette(path):
        assert asyncio.run(run()) == "Hello"


def test_a_secret_that_survives_scrubbing_blocks_the_write(tmp_path: Path, no_ci: None) -> None:
    # scrubbing redacts text it can read; a key hidden in a base64 blob inside a text body is
    # only found by the scanner's decoding pass, which the recorder runs before writing
    import base64

    blob = base64.b64encode(f"password: {OPENAI_KEY}".encode()).decode()

    def leaky(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/plain"}, text=f"blob {blob}")

    recorder = RecordingTransport(httpx2.MockTransport(leaky))
    with httpx2.Client(transport=recorder) as client:
        client.get("https://example.test/x")
    from harness.cassettes import Cassette

    with pytest.raises(
        SecretLeakError,
        match=r"(?s)refusing to write cassette .*leak.yaml:\d+: openai-key \(in base64\)",
    ):
        recorder.write(Cassette([]), tmp_path / "leak.yaml")
    assert not (tmp_path / "leak.yaml").exists()
