"""Anthropic client: parser on real recorded streams, thinking, tools, structured output, caching."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from sik_llms import Parameter, Tool, create_client, errors, system_message, user_message
from sik_llms.providers import Anthropic, AnthropicTools
from sik_llms.providers.anthropic import AnthropicParser, client_from_recorded_request
from sik_llms.types import (
    StructuredOutputResponse,
    TextChunkEvent,
    TextResponse,
    ThinkingChunkEvent,
    ToolPredictionResponse,
)
from tests.conftest import REAL, needs_real, recorded_sse_events, scripted, sse

MSGS = [user_message("hi")]
SSE = {"content-type": "text/event-stream"}


def _client(model: str = "claude-sonnet-4-6", **kw: Any) -> Anthropic:
    return Anthropic(model, api_key="sk-ant-test", max_retries=0, **kw)


def _events(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in payloads if p.get("type") != "ping"]


@needs_real
def test_parser_on_recorded_thinking_stream() -> None:
    parser = AnthropicParser("claude-3-7-sonnet-20250219")
    payloads = recorded_sse_events(
        REAL / "openllmetry/test_anthropic_thinking_streaming_legacy.yaml"
    )
    items = [e for ev in _events(payloads) for e in parser.feed(ev)]
    response = parser.finish()
    thinking = [e for e in items if isinstance(e, ThinkingChunkEvent)]
    text = [e for e in items if isinstance(e, TextChunkEvent)]
    assert thinking and text
    assert items.index(thinking[0]) < items.index(text[0])  # thinking streams first
    assert response.thinking == "".join(e.content for e in thinking)
    assert response.response == "".join(e.content for e in text)
    assert response.response.startswith("The letter 'r' appears 3 times")
    assert (response.input_tokens, response.output_tokens) == (52, 216)
    assert response.finish_reason == "end_turn"
    assert response.total_cost == pytest.approx((52 * 3 + 216 * 15) / 1e6)


@needs_real
def test_parser_on_recorded_parallel_tool_use_stream() -> None:
    parser = AnthropicParser("claude-sonnet-4-6", kind="tools")
    payloads = recorded_sse_events(
        REAL / "openinference/test_anthropic_instrumentation_multiple_tool_calling_streaming.yaml"
    )
    for ev in _events(payloads):
        parser.feed(ev)
    response = parser.finish()
    assert isinstance(response, ToolPredictionResponse)
    assert len(response.tool_predictions) >= 2
    assert all(p.arguments and p.call_id for p in response.tool_predictions)
    assert response.message and response.message.startswith("I'll check both")


def _start(input_tokens: int = 10, **usage: Any) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
            "content": [], "stop_reason": None, "usage": {"input_tokens": input_tokens, "output_tokens": 1, **usage},
        },
    }  # fmt: skip


def _text_block(index: int, *texts: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        },
        *(
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": t},
            }
            for t in texts
        ),
        {"type": "content_block_stop", "index": index},
    ]


def _delta(stop: str = "end_turn", **usage: Any) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop, "stop_sequence": None},
        "usage": usage,
    }


def test_later_usage_wins_and_cache_tokens_are_priced() -> None:
    body = sse(
        _start(10, cache_read_input_tokens=0, cache_creation_input_tokens=0),
        *_text_block(0, "Hel", "lo"),
        _delta(
            output_tokens=7,
            input_tokens=25,
            cache_read_input_tokens=1000,
            cache_creation_input_tokens=2000,
        ),
        {"type": "message_stop"},
        named=True,
    )
    with scripted(httpx2.Response(200, content=body, headers=SSE)):
        response = _client()(MSGS)
    assert response.response == "Hello"
    assert (response.input_tokens, response.output_tokens) == (25, 7)
    assert (response.cache_read_tokens, response.cache_write_tokens) == (1000, 2000)
    assert response.input_cost == pytest.approx(25 * 3 / 1e6)
    assert response.cache_read_cost == pytest.approx(1000 * 0.3 / 1e6)
    assert response.cache_write_cost == pytest.approx(2000 * 3.75 / 1e6)


def test_ping_whitespace_padding_and_redacted_thinking() -> None:
    body = (
        b"event: message_start\ndata: " + json.dumps(_start()).encode() + b"      \n\n"
        b'event: ping\ndata: {"type": "ping"}\n\n'
        b'event: content_block_start\ndata: {"type":"redacted_thinking","index":0,"content_block":{"type":"redacted_thinking","data":"EncryptedBlob"}}\n\n'
        + sse(*_text_block(1, "ok"), _delta(output_tokens=3), {"type": "message_stop"}, named=True)
    )
    body = body.replace(
        b'{"type":"redacted_thinking","index"', b'{"type":"content_block_start","index"'
    )
    with scripted(httpx2.Response(200, content=body, headers=SSE)):
        items = list(_client().stream_sync(MSGS))
    assert (
        isinstance(items[0], ThinkingChunkEvent)
        and items[0].is_redacted
        and items[0].content == "EncryptedBlob"
    )
    assert (
        items[-1].response == "ok" and items[-1].thinking is None
    )  # redacted thinking is not text


def test_thinking_request_rules() -> None:
    client = _client(reasoning_effort="medium", temperature=0.7, top_k=5)
    params = client.build_request(MSGS)
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 16_000}
    assert params["max_tokens"] == 4_096 + 16_000
    assert not {"temperature", "top_k", "top_p"} & set(params)
    assert (
        _client(thinking_budget_tokens=2048, max_tokens=3000).build_request(MSGS)["max_tokens"]
        == 3000
    )
    assert (
        _client(reasoning_effort="high").build_request(MSGS)["thinking"]["budget_tokens"] == 32_000
    )
    assert _client(reasoning_effort="low").build_request(MSGS)["thinking"]["budget_tokens"] == 4_000
    with pytest.raises(errors.ConfigurationError, match="not both"):
        _client(reasoning_effort="low", thinking_budget_tokens=2000)
    with pytest.raises(errors.ConfigurationError, match="at least 1024"):
        _client(thinking_budget_tokens=100)
    with pytest.raises(errors.ConfigurationError, match="does not support extended thinking"):
        _client("claude-3-5-haiku-latest", reasoning_effort="low")
    with pytest.raises(errors.ConfigurationError, match="low/medium/high"):
        _client(reasoning_effort="extreme")


def test_system_messages_caching_and_tools_request() -> None:
    tool = Tool(
        name="lookup", description="Look up", parameters=[Parameter(name="q", param_type=str)]
    )
    client = create_client(
        "claude-sonnet-4-6", tools=[tool], cache_tools=True, cache_content="big doc", api_key="k"
    )
    assert isinstance(client, AnthropicTools)
    params = client.build_request(
        client_messages := [system_message("be brief"), user_message("hi")]
    )
    assert client_messages[0] == {"role": "system", "content": "be brief"}  # not mutated
    assert params["system"] == [
        {"type": "text", "text": "big doc", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "be brief"},
    ]
    assert params["messages"] == [{"role": "user", "content": "hi"}]
    assert params["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert params["tool_choice"] == {"type": "any"} and params["temperature"] == 0.2
    assert _client().build_request([system_message("s"), *MSGS])["system"] == "s"


def test_parallel_tool_use_with_input_json_delta() -> None:
    def tool_block(index: int, name: str, parts: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": f"toolu_{index}",
                    "name": name,
                    "input": {},
                },
            },
            *(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": p},
                }
                for p in parts
            ),
            {"type": "content_block_stop", "index": index},
        ]

    body = sse(
        _start(),
        *_text_block(0, "Checking."),
        *tool_block(1, "weather", ['{"city": "Pa', 'ris"}']),
        *tool_block(2, "time", ["", '{"tz": "CET"}']),
        _delta("tool_use", output_tokens=30),
        {"type": "message_stop"},
        named=True,
    )
    tools = [Tool(name="weather"), Tool(name="time")]
    with scripted(httpx2.Response(200, content=body, headers=SSE)):
        response = AnthropicTools("claude-sonnet-4-6", tools=tools, api_key="k")(MSGS)
    assert [(p.name, p.arguments, p.call_id) for p in response.tool_predictions] == [
        ("weather", {"city": "Paris"}, "toolu_1"),
        ("time", {"tz": "CET"}, "toolu_2"),
    ]
    assert response.message == "Checking." and response.finish_reason == "tool_use"


class Person(BaseModel):
    name: str
    age: int


def _structured_body(arguments: dict[str, Any]) -> bytes:
    return sse(
        _start(),
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "t", "name": "Person", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": json.dumps(arguments)},
        },
        {"type": "content_block_stop", "index": 0},
        _delta("tool_use", output_tokens=12),
        {"type": "message_stop"},
        named=True,
    )


def test_structured_output_through_a_forced_tool() -> None:
    client = create_client("claude-sonnet-4-6", response_format=Person, api_key="k")
    assert client.mode == "structured"
    with scripted(
        httpx2.Response(200, content=_structured_body({"name": "Ada", "age": 36}), headers=SSE)
    ) as seen:
        response = client(MSGS)
    sent = json.loads(seen[0].content)
    assert sent["tool_choice"] == {"type": "tool", "name": "Person"}
    assert sent["tools"][0]["input_schema"]["required"] == ["name", "age"]
    assert isinstance(response, StructuredOutputResponse) and response.parsed == Person(
        name="Ada", age=36
    )
    assert response.output_tokens == 12 and response.total_cost is not None


def test_structured_output_failure_raises_a_typed_error() -> None:
    with scripted(httpx2.Response(200, content=_structured_body({"name": "Ada"}), headers=SSE)):
        with pytest.raises(errors.StructuredOutputError) as info:
            _client(response_format=Person)(MSGS)
    assert info.value.raw == {"name": "Ada"}


def test_non_streamed_message_and_beta_endpoint() -> None:
    message = {
        "id": "msg_9", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "thinking", "thinking": "consider", "signature": "sig"}, {"type": "text", "text": "Answer."}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 4, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 0},
    }  # fmt: skip
    client = Anthropic("claude-haiku-4-5", api_key="k", stream=False, beta=True, max_retries=0)
    with scripted(httpx2.Response(200, json=message)) as seen:
        items = list(client.stream_sync(MSGS))
    assert str(seen[0].url) == "https://api.anthropic.com/v1/messages?beta=true"
    assert [type(i).__name__ for i in items] == [
        "ThinkingChunkEvent",
        "TextChunkEvent",
        "TextResponse",
    ]
    response = items[-1]
    assert isinstance(response, TextResponse)
    assert (response.response, response.thinking, response.cache_read_tokens) == (
        "Answer.",
        "consider",
        3,
    )
    assert client.request_attributes() == {
        "max_tokens": 4096, "stream": False, "server_address": "api.anthropic.com", "server_port": 443,
        "api": "messages",  # no output_type: no format was requested
    }  # fmt: skip


def test_recorded_request_round_trip() -> None:
    body = {
        "model": "claude-3-7-sonnet-20250219", "max_tokens": 2048, "stream": True,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "thinking": {"type": "enabled", "budget_tokens": 1024}, "system": "sys", "metadata": {"user_id": "u"},
    }  # fmt: skip
    client, messages = client_from_recorded_request("/v1/messages", body)
    params = client.build_request(messages)
    assert params == body
    with pytest.raises(ValueError, match="unsupported Anthropic endpoint"):
        client_from_recorded_request("/v1/complete", {"model": "m"})


def test_web_search_server_tool_and_sdk_tracing_option() -> None:
    params = _client(web_search=True, max_web_searches=3).build_request(MSGS)
    assert params["tools"] == [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
    # Default: the SDK's own span is off (our inference span is the GenAI span of the call).
    assert _client()._sync_client().open_telemetry["traces"]["enabled"] is False
    assert (
        _client(sdk_open_telemetry=None)._sync_client().open_telemetry["traces"]["enabled"] is True
    )
