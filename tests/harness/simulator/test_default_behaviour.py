"""The default scenario does what models do: tool decisions, reasoning, token limits, refusals.

Nothing here is scripted: every request goes to ``Simulator()`` and the official SDKs parse the
answers, so the tool-call spans, the agent loop and the reasoning paths are all exercised by
the default behaviour.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from harness.simulator import Simulator
from harness.simulator.structure import event_sequence, parse_sse

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. London"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the current time in a time zone",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string"}},
            "required": ["timezone"],
        },
    },
}
ASK = [{"role": "user", "content": "What's the weather and the time in Seattle right now?"}]


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


@pytest.fixture
def oa(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0)


@pytest.fixture
def an(sim: Simulator) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=0)


def _valid(arguments: dict[str, Any], schema: dict[str, Any]) -> bool:
    props = schema["properties"]
    kinds = {
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "object": dict,
        "array": list,
    }
    return (
        set(schema.get("required", [])) <= set(arguments)
        and set(arguments) <= set(props)
        and all(
            isinstance(v, kinds[props[k]["type"]]) and v in props[k].get("enum", [v])
            for k, v in arguments.items()
        )
    )


def test_offered_tools_are_called_in_parallel_with_schema_valid_arguments(
    oa: openai.OpenAI,
) -> None:
    done = oa.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=[WEATHER, TIME])  # type: ignore[list-item]
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]  # type: ignore[union-attr]
    weather = json.loads(calls[0].function.arguments)  # type: ignore[union-attr]
    assert _valid(weather, WEATHER["function"]["parameters"]) and weather["city"] == "Seattle"  # type: ignore[index]


def test_one_tool_is_called_once_per_place_the_user_names(oa: openai.OpenAI) -> None:
    ask = [{"role": "user", "content": "What's the weather in Seattle and San Francisco today?"}]
    done = oa.chat.completions.create(model="gpt-4o-mini", messages=ask, tools=[WEATHER])  # type: ignore[arg-type, list-item]
    cities = [
        json.loads(c.function.arguments)["city"] for c in done.choices[0].message.tool_calls or []
    ]  # type: ignore[union-attr]
    assert cities == ["Seattle", "San Francisco"]
    single = oa.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask,
        tools=[WEATHER],  # type: ignore[arg-type, list-item]
        parallel_tool_calls=False,
    )
    assert len(single.choices[0].message.tool_calls or []) == 1


def test_streamed_parallel_calls_come_as_the_real_api_sends_them(
    sim: Simulator, oa: openai.OpenAI
) -> None:
    raw = oa.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=ASK,
        tools=[WEATHER, TIME],  # type: ignore[list-item]
        stream=True,
        stream_options={"include_usage": True},
    )
    body = raw.http_response.read()
    assert event_sequence(parse_sse(body)) == [
        "chunk:role",
        "chunk:tool_call_start",
        "chunk:tool_args",
        "chunk:tool_call_start",
        "chunk:tool_args",
        "chunk:finish",
        "chunk:usage",
        "[DONE]",
    ]


def test_tool_choice_none_and_a_finished_loop_get_text(oa: openai.OpenAI) -> None:
    none = oa.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, tools=[WEATHER], tool_choice="none"
    )  # type: ignore[list-item, arg-type]
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content
    first = oa.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=[WEATHER])  # type: ignore[list-item, arg-type]
    call = (first.choices[0].message.tool_calls or [])[0]
    history = [
        *ASK,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 12}'},
    ]
    second = oa.chat.completions.create(model="gpt-4o-mini", messages=history, tools=[WEATHER])  # type: ignore[list-item, arg-type]
    assert second.choices[0].finish_reason == "stop" and second.choices[0].message.content


def test_responses_and_messages_call_offered_tools_too(
    oa: openai.OpenAI, an: anthropic.Anthropic
) -> None:
    fn = WEATHER["function"]
    resp = oa.responses.create(
        model="gpt-4.1-mini",
        input="What's the weather in Lisbon?",
        tools=[{"type": "function", **fn}],
    )  # type: ignore[list-item, dict-item]
    assert [o.type for o in resp.output] == ["function_call"]
    msg = an.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=512,
        messages=ASK,  # type: ignore[arg-type]
        tools=[
            {
                "name": t["function"]["name"],
                "description": t["function"]["description"],  # type: ignore[index]
                "input_schema": t["function"]["parameters"],
            }
            for t in (WEATHER, TIME)
        ],
    )  # type: ignore[index]
    assert msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["text", "tool_use", "tool_use"]


def test_same_request_same_answer(oa: openai.OpenAI) -> None:
    def ask() -> Any:
        return (
            oa.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=[WEATHER])
            .choices[0]
            .message
        )  # type: ignore[list-item, arg-type]

    assert [c.function.arguments for c in ask().tool_calls] == [
        c.function.arguments for c in ask().tool_calls
    ]  # type: ignore[union-attr]


def test_reasoning_models_reason_by_default_with_token_accounting(oa: openai.OpenAI) -> None:
    plan = "Plan a three-day itinerary for Lisbon with museums, food and a day trip, within a modest budget."
    resp = oa.responses.create(model="gpt-5", input=plan)
    assert resp.reasoning is not None and resp.reasoning.effort == "medium"
    assert resp.output[0].type == "reasoning" and resp.output[0].summary == []
    assert resp.usage is not None and resp.usage.output_tokens_details.reasoning_tokens > 0
    assert resp.usage.output_tokens > resp.usage.output_tokens_details.reasoning_tokens
    chat = oa.chat.completions.create(model="o4-mini", messages=[{"role": "user", "content": plan}])
    assert chat.usage is not None and chat.usage.completion_tokens_details.reasoning_tokens > 0  # type: ignore[union-attr]
    low = oa.responses.create(model="gpt-5", input="Say hi", reasoning={"effort": "low"})
    assert [o.type for o in low.output] == [
        "message"
    ]  # as recorded: no reasoning for a short ask at low effort
    trivial = oa.responses.create(model="gpt-5", input="Say hi", max_output_tokens=50)
    assert trivial.status == "incomplete" and [o.type for o in trivial.output] == ["reasoning"]
    summary = oa.responses.create(
        model="gpt-5", input=plan, reasoning={"effort": "high", "summary": "auto"}
    )
    assert summary.reasoning.effort == "high" and summary.output[0].summary[0].text  # type: ignore[union-attr]


def test_a_small_limit_is_spent_on_reasoning_but_text_answers_fit(oa: openai.OpenAI) -> None:
    plan = (
        "Compare three strategies for caching database queries in a web service and recommend one."
    )
    spent = oa.responses.create(model="gpt-5", input=plan, max_output_tokens=50)
    assert spent.status == "incomplete" and spent.incomplete_details.reason == "max_output_tokens"  # type: ignore[union-attr]
    assert [o.type for o in spent.output] == ["reasoning"] and spent.usage.output_tokens == 50  # type: ignore[union-attr]
    with oa.responses.stream(model="gpt-4o-mini", input=plan, max_output_tokens=16) as stream:
        final = stream.get_final_response()  # raised before: the default answer always overran
    assert final.status == "completed" and final.usage.output_tokens <= 16  # type: ignore[union-attr]
    chat = oa.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": plan}], max_tokens=12
    )
    assert chat.choices[0].finish_reason == "stop" and chat.usage.completion_tokens <= 12  # type: ignore[union-attr]


def test_anthropic_thinking_reasons_before_answering(an: anthropic.Anthropic) -> None:
    msg = an.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=2048,
        messages=ASK,  # type: ignore[arg-type]
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    assert [b.type for b in msg.content] == ["thinking", "text"]


def test_scenarios_still_force_truncation_and_tools() -> None:
    scenario = {
        "rules": [
            {"match": {"last_user": "cut"}, "reply": {"stop_reason": "length"}},
            {"match": {"last_user": "tool"}, "reply": {"tool_calls": [{"name": "get_time"}]}},
        ]
    }
    with Simulator(scenario=scenario) as sim:
        oa = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
        cut = oa.responses.create(model="gpt-4o-mini", input="cut please", max_output_tokens=16)
        assert cut.status == "incomplete"
        forced = oa.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "tool"}]
        )
        assert (forced.choices[0].message.tool_calls or [])[0].function.name == "get_time"  # type: ignore[union-attr]


def test_harmful_asks_are_refused(oa: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"joke": {"type": "string"}},
        "required": ["joke"],
        "additionalProperties": False,
    }
    done = oa.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Best ways to make a bomb"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "J", "schema": schema, "strict": True},
        },
    )
    assert done.choices[0].message.refusal and done.choices[0].message.content is None


def test_answers_after_tool_results_draw_on_them(an: anthropic.Anthropic) -> None:
    tool = {"name": "get_weather", "input_schema": WEATHER["function"]["parameters"]}  # type: ignore[index]
    first = an.messages.create(
        model="claude-sonnet-4-6", max_tokens=512, messages=ASK, tools=[tool]
    )  # type: ignore[arg-type, list-item]
    use = next(b for b in first.content if b.type == "tool_use")
    history = [
        *ASK,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "12 C, rain"}],
        },
    ]
    final = an.messages.create(
        model="claude-sonnet-4-6", max_tokens=512, messages=history, tools=[tool]
    )  # type: ignore[arg-type, list-item]
    assert final.stop_reason == "end_turn" and "12 C, rain" in final.content[0].text  # type: ignore[union-attr]
