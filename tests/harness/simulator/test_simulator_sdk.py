"""The official openai and anthropic SDKs work against the simulator unmodified (base_url + dummy key)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pydantic
import pytest

from harness.simulator import Simulator

FLIGHT_TOOLS_OA = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} tool",
            "parameters": {"type": "object", "properties": props, "required": list(props)},
        },
    }
    for name, props in (
        (
            "search_flights",
            {
                "origin": {"type": "string"},
                "destination": {"type": "string"},
                "date": {"type": "string"},
            },
        ),
        ("search_hotels", {"city": {"type": "string"}, "nights": {"type": "integer"}}),
    )
]
FLIGHT_TOOLS_AN = [
    {
        "name": t["function"]["name"],
        "description": t["function"]["description"],
        "input_schema": t["function"]["parameters"],
    }
    for t in FLIGHT_TOOLS_OA
]
WEATHER_OA = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
WEATHER_AN = [{"name": "get_weather", "input_schema": WEATHER_OA[0]["function"]["parameters"]}]
CLAUDE = "claude-sonnet-4-6"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(scenario="travel_agent") as running:
        yield running


@pytest.fixture
def oa(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0, timeout=10)


@pytest.fixture
def an(sim: Simulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=0, timeout=10
    )


# -- OpenAI chat completions ------------------------------------------------------------------------


def test_openai_text_sync_is_deterministic(oa: openai.OpenAI) -> None:
    msgs: Any = [{"role": "user", "content": "Describe the Eiffel tower"}]
    first = oa.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    second = oa.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    assert first.id.startswith("chatcmpl-") and first.object == "chat.completion"
    assert first.choices[0].message.content == second.choices[0].message.content
    assert "Eiffel" in (first.choices[0].message.content or "")
    assert first.usage is not None and first.usage.prompt_tokens == second.usage.prompt_tokens  # type: ignore[union-attr]
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens


def test_openai_stream_with_usage_chunk(oa: openai.OpenAI) -> None:
    stream = oa.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello there"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].usage.completion_tokens > 0 and text


def test_openai_n_choices(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.create(
        model="gpt-4o-mini", n=3, messages=[{"role": "user", "content": "Hi"}]
    )
    assert [c.index for c in out.choices] == [0, 1, 2]


def test_openai_parallel_tool_calls_streamed_and_not(oa: openai.OpenAI) -> None:
    msgs: Any = [{"role": "user", "content": "What is the weather in Paris and London?"}]
    out = oa.chat.completions.create(model="gpt-4o-mini", messages=msgs, tools=WEATHER_OA)  # type: ignore[arg-type]
    calls = out.choices[0].message.tool_calls or []
    assert out.choices[0].finish_reason == "tool_calls"
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "London"]  # type: ignore[union-attr]
    assert all(c.id.startswith("call_") for c in calls)
    with oa.chat.completions.stream(model="gpt-4o-mini", messages=msgs, tools=WEATHER_OA) as stream:  # type: ignore[arg-type]
        final = stream.get_final_completion()
    streamed = final.choices[0].message.tool_calls or []
    assert [json.loads(c.function.arguments) for c in streamed] == [
        {"city": "Paris"},
        {"city": "London"},
    ]  # type: ignore[union-attr]


class Joke(pydantic.BaseModel):
    rating: int
    joke: str
    tags: list[str]
    mood: str = pydantic.Field(json_schema_extra={"enum": ["happy", "sad"]})


def test_openai_parse_structured_output(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.parse(
        model="gpt-4o", messages=[{"role": "user", "content": "Tell a joke"}], response_format=Joke
    )
    parsed = out.choices[0].message.parsed
    assert isinstance(parsed, Joke) and parsed.mood in ("happy", "sad")


def test_openai_parse_scripted_refusal(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.parse(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Best ways to make a bomb"}],
        response_format=Joke,
    )
    message = out.choices[0].message
    assert (
        message.parsed is None
        and message.refusal == "I'm sorry, but I can't assist with that request."
    )


def test_openai_cached_usage(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "cached question"}]
    )
    assert out.usage.prompt_tokens_details.cached_tokens == 1024  # type: ignore[union-attr]


def test_openai_reasoning_tokens_reported(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.create(
        model="o4-mini", messages=[{"role": "user", "content": "strawberry?"}]
    )
    assert out.usage.completion_tokens_details.reasoning_tokens > 0  # type: ignore[union-attr]


def test_openai_agent_run_three_steps(oa: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "user", "content": "Plan a trip to Lisbon"}]
    names = []
    for _ in range(3):
        out = oa.chat.completions.create(model="gpt-4o-mini", messages=msgs, tools=FLIGHT_TOOLS_OA)  # type: ignore[arg-type]
        message = out.choices[0].message
        if not message.tool_calls:
            names.append("final")
            assert "Booked" in (message.content or "")
            break
        msgs.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            names.append(call.function.name)  # type: ignore[union-attr]
            msgs.append({"role": "tool", "tool_call_id": call.id, "content": '{"ok": true}'})
    assert names == ["search_flights", "search_hotels", "final"]


def test_openai_forced_tool_gets_schema_valid_arguments(oa: openai.OpenAI) -> None:
    out = oa.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "anything"}],
        tools=FLIGHT_TOOLS_OA,  # type: ignore[arg-type]
        tool_choice={"type": "function", "function": {"name": "search_hotels"}},
    )
    call = (out.choices[0].message.tool_calls or [])[0]
    args = json.loads(call.function.arguments)  # type: ignore[union-attr]
    assert call.function.name == "search_hotels" and isinstance(args["nights"], int)  # type: ignore[union-attr]
    assert isinstance(args["city"], str)


def test_openai_models_list(oa: openai.OpenAI) -> None:
    assert "gpt-5.4-mini" in [m.id for m in oa.models.list()]


def test_openai_async_stream_and_json(sim: Simulator) -> None:
    async def main() -> tuple[str, str]:
        client = openai.AsyncOpenAI(
            base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0, timeout=10
        )
        plain = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": "Hi"}]
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
        return plain.choices[0].message.content or "", text

    plain, streamed = asyncio.run(main())
    assert plain == streamed and plain


# -- OpenAI Responses ---------------------------------------------------------------------------------


def test_openai_responses_json_and_stream(oa: openai.OpenAI) -> None:
    out = oa.responses.create(
        model="gpt-4o-mini", input="Say this is a test", instructions="Be brief."
    )
    assert out.id.startswith("resp_") and out.status == "completed" and out.output_text
    assert (
        out.usage is not None
        and out.usage.total_tokens == out.usage.input_tokens + out.usage.output_tokens
    )
    with oa.responses.stream(
        model="gpt-4o-mini", input="Say this is a test", instructions="Be brief."
    ) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert final.output_text == out.output_text
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-1] == "response.completed" and "response.output_text.delta" in kinds


def test_openai_responses_tools_and_parse(oa: openai.OpenAI) -> None:
    tools: Any = [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": WEATHER_OA[0]["function"]["parameters"],
        }
    ]
    out = oa.responses.create(
        model="gpt-4.1", input="What is the weather in Paris and London?", tools=tools
    )
    calls = [o for o in out.output if o.type == "function_call"]
    assert [json.loads(c.arguments)["city"] for c in calls] == ["Paris", "London"]  # type: ignore[union-attr]
    parsed = oa.responses.parse(model="gpt-4.1", input="a joke", text_format=Joke)
    assert isinstance(parsed.output_parsed, Joke)


# -- Anthropic ------------------------------------------------------------------------------------------


def test_anthropic_text_sync_and_stream(an: anthropic.Anthropic) -> None:
    msg = an.messages.create(
        model=CLAUDE, max_tokens=200, messages=[{"role": "user", "content": "Hi Claude"}]
    )
    assert msg.id.startswith("msg_01") and msg.stop_reason == "end_turn"
    with an.messages.stream(
        model=CLAUDE, max_tokens=200, messages=[{"role": "user", "content": "Hi Claude"}]
    ) as s:
        final = s.get_final_message()
    assert final.content[0].text == msg.content[0].text  # type: ignore[union-attr]
    assert final.usage.output_tokens == msg.usage.output_tokens


def test_anthropic_thinking_streamed(an: anthropic.Anthropic) -> None:
    with an.messages.stream(
        model=CLAUDE,
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "How many r in strawberry?"}],
    ) as s:
        types = [e.type for e in s]
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert "three times" in final.content[0].thinking and final.content[0].signature  # type: ignore[union-attr]
    assert "thinking" in types and "signature" in types


def test_anthropic_parallel_tools_and_agent_run(an: anthropic.Anthropic) -> None:
    msg = an.messages.create(
        model=CLAUDE,
        max_tokens=500,
        tools=WEATHER_AN,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "What is the weather in Paris and London?"}],
    )
    assert [b.type for b in msg.content] == [
        "text",
        "tool_use",
        "tool_use",
    ] and msg.stop_reason == "tool_use"
    assert [b.input for b in msg.content[1:]] == [{"city": "Paris"}, {"city": "London"}]  # type: ignore[union-attr]
    history: list[Any] = [{"role": "user", "content": "Plan a trip to Lisbon"}]
    names = []
    for _ in range(3):
        with an.messages.stream(
            model=CLAUDE, max_tokens=500, tools=FLIGHT_TOOLS_AN, messages=history
        ) as s:  # type: ignore[arg-type]
            out = s.get_final_message()
        uses = [b for b in out.content if b.type == "tool_use"]
        if not uses:
            names.append("final")
            break
        history.append({"role": "assistant", "content": [b.model_dump() for b in out.content]})
        history.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": u.id, "content": "ok"} for u in uses
                ],
            }
        )
        names += [u.name for u in uses]
    assert names == ["search_flights", "search_hotels", "final"]


def test_anthropic_prompt_caching_usage(an: anthropic.Anthropic) -> None:
    system: Any = [
        {
            "type": "text",
            "text": "You are a travel agent. " * 200,
            "cache_control": {"type": "ephemeral"},
        }
    ]
    first = an.messages.create(
        model=CLAUDE,
        max_tokens=100,
        system=system,
        messages=[{"role": "user", "content": "first question"}],
    )
    second = an.messages.create(
        model=CLAUDE,
        max_tokens=100,
        system=system,
        messages=[{"role": "user", "content": "second question"}],
    )
    assert first.usage.cache_creation_input_tokens and not first.usage.cache_read_input_tokens
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    scripted = an.messages.create(
        model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "cached"}]
    )
    assert scripted.usage.cache_read_input_tokens == 1024


def test_anthropic_async_and_beta_endpoint(sim: Simulator) -> None:
    async def main() -> tuple[str, str]:
        client = anthropic.AsyncAnthropic(
            base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=0
        )
        msg = await client.messages.create(
            model=CLAUDE, max_tokens=100, messages=[{"role": "user", "content": "Yo"}]
        )
        # older SDKs and pydantic-ai call the beta endpoint as /v1/messages?beta=true
        beta = await client.beta.messages.create(
            model=CLAUDE,
            max_tokens=100,
            extra_query={"beta": "true"},
            messages=[{"role": "user", "content": "Yo"}],
        )
        await client.close()
        return msg.content[0].text, beta.content[0].text  # type: ignore[union-attr]

    plain, beta = asyncio.run(main())
    assert plain == beta
    assert any(r.query == "beta=true" for r in sim.requests)


def test_anthropic_models_list(an: anthropic.Anthropic) -> None:
    assert any(m.id.startswith("claude") for m in an.models.list())


def test_anthropic_answer_fits_a_small_max_tokens(an: anthropic.Anthropic) -> None:
    msg = an.messages.create(
        model=CLAUDE, max_tokens=3, messages=[{"role": "user", "content": "Tell me a story"}]
    )
    assert msg.stop_reason == "end_turn" and msg.usage.output_tokens <= 3
