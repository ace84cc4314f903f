"""OpenAI client: pure parsers on real recorded bodies, the four entry points, request rules."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from sik_llms import Parameter, Tool, ToolChoice, create_client, system_message, user_message
from sik_llms.providers import OpenAI, OpenAITools
from sik_llms.providers.openai import (
    OpenAIChatParser,
    OpenAIResponsesParser,
    client_from_recorded_request,
)
from sik_llms.types import (
    StructuredOutputResponse,
    TextChunkEvent,
    TextResponse,
    ThinkingChunkEvent,
    ToolPredictionResponse,
)
from tests.conftest import (
    REAL,
    load_interaction,
    needs_real,
    recorded_sse_events,
    scripted,
    serve,
    sse,
)

MSGS = [user_message("hi")]


def _client(model: str = "gpt-4o-mini", **kw: Any) -> OpenAI:
    return OpenAI(model, api_key="sk-test", max_retries=0, **kw)


# ----------------------------------------------------------------------------- parsers


@needs_real
def test_chat_parser_on_recorded_parallel_tool_stream() -> None:
    parser = OpenAIChatParser("gpt-4o-mini", kind="tools")
    path = REAL / "otel-contrib/test_chat_completion_multiple_tools_streaming_with_content.yaml"
    chunks = []
    for payload in recorded_sse_events(path):
        chunks.extend(parser.feed(payload))
    # Only tool-call chunks (they count for the time to first chunk); the text is in the response.
    assert chunks and {type(c).__name__ for c in chunks} == {"ToolCallChunkEvent"}
    response = parser.finish()
    assert isinstance(response, ToolPredictionResponse)
    assert [p.name for p in response.tool_predictions] == [
        "get_current_weather",
        "get_current_weather",
    ]
    cities = [p.arguments.get("location") for p in response.tool_predictions]
    assert all(isinstance(c, str) and c for c in cities) and cities[0] != cities[1]
    assert all(p.call_id and p.call_id.startswith("call_") for p in response.tool_predictions)
    assert (response.input_tokens, response.output_tokens) == (75, 51)
    assert response.finish_reason == "tool_calls"
    assert response.input_cost == pytest.approx(75 * 0.15 / 1e6)


@needs_real
def test_chat_parser_uses_only_the_first_choice_of_n() -> None:

    path = REAL / "otel-contrib/test_chat_completion_multiple_choices_streaming.yaml"
    payloads = recorded_sse_events(path)
    assert any(
        c["index"] == 1 for p in payloads for c in p["choices"]
    )  # the recording has 2 choices
    parser = OpenAIChatParser("gpt-4o-mini")
    chunks = [e for p in payloads for e in parser.feed(p)]
    response = parser.finish()
    first_only = "".join(
        c["delta"].get("content") or "" for p in payloads for c in p["choices"] if c["index"] == 0
    )
    assert response.response == first_only == "".join(c.content for c in chunks)


@needs_real
def test_responses_parser_on_recorded_stream_with_reasoning_and_tools() -> None:

    parser = OpenAIResponsesParser("gpt-5.5", kind="tools")
    for payload in recorded_sse_events(REAL / "simonw-llm/test_responses_tool_use_streaming.yaml"):
        parser.feed(payload)
    response = parser.finish()
    assert isinstance(response, ToolPredictionResponse)
    assert response.tool_predictions[0].name == "multiply"
    assert (
        set(response.tool_predictions[0].arguments) >= {"a", "b"}
        or response.tool_predictions[0].arguments
    )
    assert (response.input_tokens, response.output_tokens) == (58, 23)
    # gpt-5.5 at OpenAI's published $5 / $30 per million (sik_llms.models cites the page)
    assert response.total_cost == pytest.approx((58 * 5 + 23 * 30) / 1_000_000)


# ----------------------------------------------------------------------------- entry points


def _drain_all_entry_points(
    client: OpenAI, interaction_factory: Any
) -> dict[str, tuple[list[Any], Any]]:
    results: dict[str, tuple[list[Any], Any]] = {}

    async def collect_async() -> list[Any]:
        return [item async for item in client.stream(MSGS_FOR_ENTRY)]

    runners = {
        "call": lambda: [client(MSGS_FOR_ENTRY)],
        "run_async": lambda: [asyncio.run(client.run_async(MSGS_FOR_ENTRY))],
        "stream_sync": lambda: list(client.stream_sync(MSGS_FOR_ENTRY)),
        "stream": lambda: asyncio.run(collect_async()),
    }
    for name, run in runners.items():
        with serve(interaction_factory()):
            items = run()
        results[name] = (items[:-1], items[-1])
    return results


MSGS_FOR_ENTRY: list[Any] = []


@needs_real
@pytest.mark.parametrize(
    "cassette",
    [
        "otel-contrib/test_chat_completion_streaming.yaml",
        "openllmetry/test_chat.yaml",
        "otel-contrib/test_responses_create_streaming[content_mode0].yaml",
        "openllmetry/test_anthropic_thinking_streaming_legacy.yaml",
        "openinference/test_anthropic_instrumentation_multiple_tool_calling_streaming.yaml",
    ],
)
def test_all_entry_points_give_the_same_result(cassette: str) -> None:
    from sik_llms.providers import anthropic as anthropic_provider

    path = REAL / cassette
    first = load_interaction(path, 0)
    build = (
        anthropic_provider.client_from_recorded_request
        if "anthropic" in cassette
        else client_from_recorded_request
    )
    client, messages = build(first.path, first.request_json())
    MSGS_FOR_ENTRY[:] = messages
    results = _drain_all_entry_points(client, lambda: load_interaction(path, 0))
    events, response = results["stream_sync"]
    assert response.duration_seconds > 0
    for name, (other_events, other_response) in results.items():
        if name in ("stream", "stream_sync"):
            assert other_events == events, name
        assert other_response.model_dump(exclude={"duration_seconds"}) == response.model_dump(
            exclude={"duration_seconds"}
        ), name
    if isinstance(response, TextResponse):
        assert (
            "".join(e.content for e in events if isinstance(e, TextChunkEvent)) == response.response
        )


def test_call_works_inside_a_running_event_loop() -> None:
    async def inside_loop() -> TextResponse:
        body = sse(_chunk("fine"), _usage_chunk())
        with scripted(
            httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
        ):
            return _client()(MSGS)  # deliberately not awaited: the sync path needs no loop

    response = asyncio.run(inside_loop())
    assert response.response == "fine"


def test_call_works_under_gevent() -> None:
    gevent = pytest.importorskip("gevent")
    body = sse(_chunk("green"), _usage_chunk())

    def run() -> Any:
        with scripted(
            httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
        ):
            return _client()(MSGS)

    greenlet = gevent.spawn(run)
    greenlet.join(timeout=10)
    assert greenlet.successful(), greenlet.exception
    assert greenlet.value.response == "green"


# ----------------------------------------------------------------------------- request rules


def _chunk(
    content: str | None, model: str = "gpt-4o-mini-2024-07-18", **delta: Any
) -> dict[str, Any]:
    return {
        "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": model,
        "choices": [{"index": 0, "delta": {"content": content, **delta}, "finish_reason": None}],
    }  # fmt: skip


def _usage_chunk(
    prompt: int = 10, completion: int = 5, cached: int = 0, reasoning: int = 0
) -> dict[str, Any]:
    return {
        "id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini-2024-07-18",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        },
    }  # fmt: skip


def _completion(
    content: str | None = None, refusal: str | None = None, model: str = "gpt-4o-mini-2024-07-18"
) -> dict[str, Any]:
    return {
        "id": "cmpl-1", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27},
    }  # fmt: skip


def test_streaming_request_asks_for_usage_and_accounts_cached_tokens() -> None:
    body = sse(_chunk("a"), _chunk("b"), _usage_chunk(prompt=1000, completion=10, cached=600))
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ) as seen:
        response = _client(temperature=0.3, max_tokens=50)(MSGS)
    sent = json.loads(seen[0].content)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["max_completion_tokens"] == 50 and "max_tokens" not in sent
    assert sent["temperature"] == 0.3
    assert response.input_tokens == 1000 and response.cache_read_tokens == 600
    assert response.input_cost == pytest.approx(400 * 0.15 / 1e6)
    assert response.cache_read_cost == pytest.approx(600 * 0.075 / 1e6)


def test_reasoning_models_drop_sampling_parameters_and_send_effort() -> None:
    client = _client("o3-mini", temperature=0.5, top_p=0.9, logprobs=True, reasoning_effort="high")
    params = client.build_request(MSGS)
    assert params["reasoning_effort"] == "high"
    assert not {"temperature", "top_p", "logprobs"} & set(params)
    assert "temperature" not in client.request_attributes()
    assert client.request_attributes()["reasoning_effort"] == "high"
    gpt5 = _client("gpt-5", temperature=0.5)
    assert "temperature" not in gpt5.build_request(MSGS)


def test_non_streamed_request_yields_one_chunk_then_the_response() -> None:
    with scripted(httpx2.Response(200, json=_completion("whole answer"))) as seen:
        items = list(_client(stream=False).stream_sync(MSGS))
    assert "stream" not in json.loads(seen[0].content)
    assert [type(i).__name__ for i in items] == ["TextChunkEvent", "TextResponse"]
    assert items[0].content == "whole answer" == items[1].response
    assert items[1].response_id == "cmpl-1" and items[1].finish_reason == "stop"


def test_tools_request_and_response() -> None:
    tool = Tool(name="get_weather", parameters=[Parameter(name="city", param_type=str)])
    client = create_client("gpt-4o-mini", tools=[tool], api_key="sk")
    assert isinstance(client, OpenAITools) and client.mode == "tools"
    calls = [
        {
            "index": 0,
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        },
    ]
    body = sse(
        _chunk(None, tool_calls=calls),
        _chunk(None, tool_calls=[{"index": 0, "function": {"arguments": '{"city":'}}]),
        _chunk(None, tool_calls=[{"index": 0, "function": {"arguments": ' "Paris"}'}}]),
        _usage_chunk(),
    )
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ) as seen:
        response = client(MSGS)
    sent = json.loads(seen[0].content)
    assert sent["tool_choice"] == "required" and sent["temperature"] == 0.2
    assert sent["tools"][0]["function"]["strict"] is True
    assert response.tool_prediction is not None and response.tool_prediction.arguments == {
        "city": "Paris"
    }
    assert client.request_attributes()["tools_count"] == 1


class Answer(BaseModel):
    city: str
    population: int


def test_structured_output_into_a_pydantic_model() -> None:
    client = create_client("gpt-4o-mini", response_format=Answer, api_key="sk", stream=False)
    assert client.mode == "structured" and client.request_attributes()["output_type"] == "json"
    with scripted(
        httpx2.Response(200, json=_completion('{"city":"Paris","population":2100000}'))
    ) as seen:
        response = client(MSGS)
    sent = json.loads(seen[0].content)
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert isinstance(response, StructuredOutputResponse)
    assert response.parsed == Answer(city="Paris", population=2_100_000)
    assert response.input_cost is not None  # priced like any other call (no double charge)


def test_structured_output_refusal() -> None:
    with scripted(httpx2.Response(200, json=_completion(None, refusal="I can't help with that."))):
        response = _client(response_format=Answer, stream=False)(MSGS)
    assert response.parsed is None and response.refusal == "I can't help with that."


def test_structured_output_streamed_emits_no_text_chunks() -> None:
    body = sse(_chunk('{"city":"Rome",'), _chunk('"population":3}'), _usage_chunk())
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ):
        items = list(_client(response_format=Answer).stream_sync(MSGS))
    assert len(items) == 1 and items[0].parsed == Answer(city="Rome", population=3)


def test_responses_api_with_structured_output_and_instructions() -> None:
    payload = {
        "id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-4.1-nano-2025-04-14", "status": "completed",
        "output": [{"type": "message", "id": "m", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": '{"city":"Oslo","population":7}', "annotations": []}]}],
        "usage": {"input_tokens": 30, "output_tokens": 9, "total_tokens": 39,
                  "input_tokens_details": {"cached_tokens": 10}, "output_tokens_details": {"reasoning_tokens": 0}},
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
    }  # fmt: skip
    client = _client(
        "gpt-4.1-nano", api="responses", stream=False, response_format=Answer, max_tokens=100
    )
    with scripted(httpx2.Response(200, json=payload)) as seen:
        response = client([system_message("be terse"), user_message("Oslo?")])
    sent = json.loads(seen[0].content)
    assert seen[0].url.path == "/v1/responses"
    assert sent["instructions"] == "be terse" and sent["input"] == "Oslo?"
    assert (
        sent["text"]["format"]["type"] == "json_schema"
        and sent["text"]["format"]["name"] == "Answer"
    )
    assert sent["max_output_tokens"] == 100
    assert response.parsed == Answer(city="Oslo", population=7)
    assert response.cache_read_tokens == 10 and response.finish_reason == "completed"
    assert client.request_attributes()["api"] == "responses"


def test_compatible_server_reasoning_content_becomes_thinking() -> None:
    usage = {**_usage_chunk(), "model": "qwen-local"}
    body = sse(
        _chunk("", model="qwen-local", reasoning_content="hmm"),
        _chunk("ok", model="qwen-local"),
        usage,
    )
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ):
        items = list(OpenAI("qwen-local", base_url="http://127.0.0.1:1/v1").stream_sync(MSGS))
    assert isinstance(items[0], ThinkingChunkEvent) and items[-1].thinking == "hmm"
    assert items[-1].response == "ok" and items[-1].total_cost is None


def test_recorded_request_rebuilds_the_same_body() -> None:
    body = {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "stream": True,
        "stream_options": {"include_usage": True}, "temperature": 0.1, "seed": 7, "max_completion_tokens": 9,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}],
        "tool_choice": "auto",
    }  # fmt: skip
    client, messages = client_from_recorded_request("/v1/chat/completions", body)
    assert client.build_request(messages) == body
    with pytest.raises(ValueError, match="unsupported OpenAI endpoint"):
        client_from_recorded_request("/v1/embeddings", {"model": "m"})


def test_client_registry_and_modes() -> None:
    assert isinstance(create_client("gpt-4.1", api_key="k"), OpenAI)
    client = create_client("gpt-4.1", "OpenAI", tools=[Tool(name="t")], api_key="k")
    assert isinstance(client, OpenAITools)
    assert (
        OpenAITools(
            "gpt-4.1", tools=[Tool(name="t")], api_key="k", tool_choice=ToolChoice.AUTO
        ).tool_choice
        == ToolChoice.AUTO
    )


def test_sdk_clients_are_built_once_and_async_once_per_loop() -> None:
    client = _client(stream=False)
    with scripted(*(httpx2.Response(200, json=_completion(f"a{i}")) for i in range(2))):
        client(MSGS)
        first = client._sync_sdk
        client(MSGS)
        assert client._sync_sdk is first
    assert client._async_sdk is None  # sync-only use never builds the async client

    async def twice() -> Any:
        await client.run_async(MSGS)
        sdk = client._async_sdk
        await client.run_async(MSGS)
        assert client._async_sdk is sdk
        return sdk

    with scripted(*(httpx2.Response(200, json=_completion("b")) for _ in range(4))):
        one = asyncio.run(twice())
        two = asyncio.run(twice())
    assert one is not two


def test_sample_and_generate_multiple_run_one_call_each() -> None:
    client = _client(stream=False)
    replies = [httpx2.Response(200, json=_completion(f"r{i}")) for i in range(7)]
    with scripted(*replies) as seen:
        samples = asyncio.run(client.sample(MSGS, 3))
        batches = asyncio.run(client.generate_multiple([MSGS, [user_message("other")]], sample_n=2))
    assert len(seen) == 7
    assert sorted(r.response for r in samples) == ["r0", "r1", "r2"]
    assert [len(b) for b in batches] == [2, 2]
    assert all(isinstance(r, TextResponse) for b in batches for r in b)
    with pytest.raises(ValueError, match="n >= 1"):
        asyncio.run(client.sample(MSGS, 0))


def test_cache_content_is_sent_first_as_system_text() -> None:
    params = _client(cache_content=["doc A", "doc B"]).build_request([system_message("s"), *MSGS])
    assert [m["content"] for m in params["messages"]] == ["doc A", "doc B", "s", "hi"]
