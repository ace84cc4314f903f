"""Provider failures surface as typed errors: every status, broken streams, bad config."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

from sik_llms import create_client, errors, user_message
from sik_llms.providers import Anthropic, OpenAI
from sik_llms.types import TextChunkEvent, TextResponse
from tests.conftest import scripted, sse

MSGS = [user_message("hi")]


def _openai(**kw: Any) -> OpenAI:
    return OpenAI("gpt-4o-mini", api_key="sk-test", max_retries=0, **kw)


def _anthropic(**kw: Any) -> Anthropic:
    return Anthropic("claude-haiku-4-5", api_key="sk-ant-test", max_retries=0, **kw)


def _openai_error(status: int, etype: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": etype, "param": None, "code": None}}


def _anthropic_error(etype: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": etype, "message": message}}


CASES = [
    (400, errors.BadRequestError, "invalid_request_error"),
    (401, errors.AuthenticationError, "authentication_error"),
    (403, errors.PermissionDeniedError, "permission_error"),
    (404, errors.NotFoundError, "not_found_error"),
    (422, errors.BadRequestError, "invalid_request_error"),
    (429, errors.RateLimitError, "rate_limit_error"),
    (500, errors.ServerError, "api_error"),
    (503, errors.ServerError, "api_error"),
    (529, errors.OverloadedError, "overloaded_error"),
]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize(("status", "cls", "etype"), CASES)
@pytest.mark.parametrize("entry", ["sync", "async"])
def test_every_status_maps_to_a_typed_error(
    provider: str, status: int, cls: type, etype: str, entry: str
) -> None:
    message = f"boom {status}"
    body = (
        _openai_error(status, etype, message)
        if provider == "openai"
        else _anthropic_error(etype, message)
    )
    headers = {"retry-after": "7"} if status == 429 else {}
    client = _openai() if provider == "openai" else _anthropic()
    with scripted(httpx2.Response(status, json=body, headers=headers)), pytest.raises(cls) as info:
        if entry == "sync":
            client(MSGS)
        else:
            asyncio.run(client.run_async(MSGS))
    exc = info.value
    assert type(exc) is cls
    assert exc.status == status and exc.provider == provider
    assert exc.message == message and exc.error_type == etype
    assert exc.retry_after == (7.0 if status == 429 else None)
    assert errors.error_type_name(exc) == etype
    assert isinstance(exc.__cause__, Exception)  # the SDK's exception is kept as the cause


def test_retry_after_ms_wins_and_error_type_name_of_other_exceptions() -> None:
    with scripted(
        httpx2.Response(
            429,
            json=_openai_error(429, "rate_limit_exceeded", "slow"),
            headers={"retry-after-ms": "1500"},
        )
    ):
        with pytest.raises(errors.RateLimitError) as info:
            _openai()(MSGS)
    assert info.value.retry_after == 1.5
    assert errors.error_type_name(ValueError("x")) == "ValueError"


class _Broken(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A body that sends ``chunks`` and then fails like a dropped connection."""

    def __init__(self, chunks: list[bytes], exc: Exception) -> None:
        self.chunks, self.exc = chunks, exc

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise self.exc

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for c in self.chunks:
            yield c
        raise self.exc


def _chunk(content: str) -> dict[str, Any]:
    return {
        "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }  # fmt: skip


def _broken_openai() -> httpx2.Response:
    body = sse(_chunk("Hello"), _chunk(" wor"))[: -len(b"data: [DONE]\n\n")]
    return httpx2.Response(
        200,
        headers={"content-type": "text/event-stream"},
        stream=_Broken(
            [body],
            httpx2.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ),
        ),
    )


def test_stream_broken_midway_raises_after_the_events_with_partial_text() -> None:
    seen: list[Any] = []
    with scripted(_broken_openai()), pytest.raises(errors.ConnectionError) as info:
        for item in _openai().stream_sync(MSGS):
            seen.append(item)
    assert [e.content for e in seen if isinstance(e, TextChunkEvent)] == ["Hello", " wor"]
    assert info.value.partial_text == "Hello wor"
    assert "peer closed" in info.value.message


def test_async_stream_broken_midway() -> None:
    async def run() -> list[Any]:
        seen: list[Any] = []
        with pytest.raises(errors.ConnectionError) as info:
            async for item in _openai().stream(MSGS):
                seen.append(item)
        assert info.value.partial_text == "Hello wor"
        return seen

    with scripted(_broken_openai()):
        assert len(asyncio.run(run())) == 2


def test_anthropic_error_event_mid_stream_is_typed_and_keeps_the_text() -> None:
    events = [
        {"type": "message_start", "message": {"id": "m1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001", "content": [], "stop_reason": None, "usage": {"input_tokens": 5, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Partial"}},
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ]  # fmt: skip
    body = sse(*events, named=True)
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ):
        with pytest.raises(errors.OverloadedError) as info:
            _anthropic()(MSGS)
    assert info.value.status == 529 and info.value.partial_text == "Partial"
    assert info.value.message == "Overloaded"


def test_malformed_stream_data_raises_malformed_stream_error() -> None:
    body = sse(_chunk("ok")).replace(b"data: [DONE]", b"data: {not json")
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ):
        with pytest.raises(errors.MalformedStreamError) as info:
            _openai()(MSGS)
    assert info.value.partial_text == "ok"


def test_connection_failure_is_a_connection_error() -> None:
    with (
        scripted(httpx2.ConnectError("connection refused")),
        pytest.raises(errors.ConnectionError) as info,
    ):
        _anthropic()(MSGS)
    assert info.value.provider == "anthropic" and "connection refused" in info.value.message


def test_missing_api_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(errors.MissingAPIKeyError, match="OPENAI_API_KEY"):
        create_client("gpt-4o-mini")
    with pytest.raises(errors.MissingAPIKeyError, match="ANTHROPIC_API_KEY"):
        create_client("claude-sonnet-4-6")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    assert create_client("gpt-4o-mini") is not None


def test_unknown_model_lists_close_matches() -> None:
    with pytest.raises(ValueError, match=r"Unknown model 'claude-sonet-4-5'.*claude-sonnet-4-5"):
        create_client("claude-sonet-4-5", api_key="k")


def test_base_url_serves_any_model_without_a_key_and_without_cost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = create_client("my-local-llama", base_url="http://127.0.0.1:9/v1", stream=False)
    completion = {
        "id": "x", "object": "chat.completion", "created": 1, "model": "my-local-llama",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hey"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }  # fmt: skip
    with scripted(httpx2.Response(200, json=completion)) as seen:
        response = client(MSGS)
    assert str(seen[0].url) == "http://127.0.0.1:9/v1/chat/completions"
    assert isinstance(response, TextResponse) and response.response == "hey"
    assert response.input_tokens == 3 and response.total_cost is None
    assert client.request_attributes()["server_address"] == "127.0.0.1"
    assert client.request_attributes()["server_port"] == 9


def test_provider_kwarg_allows_unknown_models() -> None:
    client = create_client("claude-future-9", provider="anthropic", api_key="k")
    assert isinstance(client, Anthropic) and client.info is None
    with pytest.raises(ValueError, match="provider must be"):
        create_client("x", provider="mistral", api_key="k")


def test_structured_output_validation_failure_is_raised_not_swallowed() -> None:
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int

    completion = {
        "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps({"name": "A", "age": "old"})}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }  # fmt: skip
    with (
        scripted(httpx2.Response(200, json=completion)),
        pytest.raises(errors.StructuredOutputError) as info,
    ):
        _openai(response_format=Person, stream=False)(MSGS)
    assert "Person" in info.value.message and info.value.raw


class _Tracked(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """An endless SSE body that records whether the client closed it."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        while not self.closed:
            yield sse(_chunk("x"))[: -len(b"data: [DONE]\n\n")]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self.closed:
            yield sse(_chunk("x"))[: -len(b"data: [DONE]\n\n")]

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def test_stopping_a_stream_early_closes_the_http_response() -> None:
    body = _Tracked()
    with scripted(httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)):
        stream = _openai().stream_sync(MSGS)
        assert isinstance(next(stream), TextChunkEvent)
        stream.close()
    assert body.closed

    async def run() -> None:
        agen = _openai().stream(MSGS)
        assert isinstance(await anext(agen), TextChunkEvent)
        await agen.aclose()

    body2 = _Tracked()
    with scripted(
        httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body2)
    ):
        asyncio.run(run())
    assert body2.closed
