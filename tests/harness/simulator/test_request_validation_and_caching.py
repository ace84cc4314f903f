"""Requests the real APIs reject are rejected the same way; prompt-cache buckets and repeats.

Statuses, envelopes, ``param`` / ``code`` and headers follow the real answers (the 404 / 400
recordings in cassettes-real and the providers' documented messages).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from harness.simulator import Scenario, ScenarioError, Simulator

HI = [{"role": "user", "content": "hi"}]
AN_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "k"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def _post(
    sim: Simulator, path: str, body: dict[str, Any], anthropic_api: bool = False
) -> httpx2.Response:
    with httpx2.Client(timeout=10) as http:
        return http.post(
            f"{sim.base_url}{path}", json=body, headers=AN_HEADERS if anthropic_api else {}
        )


def test_unknown_models_get_each_apis_real_status(sim: Simulator) -> None:
    chat = _post(
        sim, "/v1/chat/completions", {"model": "this-model-does-not-exist", "messages": HI}
    )
    assert chat.status_code == 404 and chat.json()["error"]["code"] == "model_not_found"
    resp = _post(sim, "/v1/responses", {"model": "gpt-4o-typo", "input": "Hello"})
    assert resp.status_code == 400  # not 404: the Responses API names the parameter instead
    assert resp.json()["error"] == {
        "message": "The requested model 'gpt-4o-typo' does not exist.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
    an = _post(
        sim, "/v1/messages", {"model": "claude-sonet-4-5", "max_tokens": 5, "messages": HI}, True
    )
    assert an.status_code == 404 and an.json()["error"] == {
        "type": "not_found_error",
        "message": "model: claude-sonet-4-5",
    }
    assert an.headers["x-should-retry"] == "false"
    assert (
        _post(
            sim,
            "/v1/messages",
            {"model": "claude-3-5-haiku-20241022", "max_tokens": 5, "messages": HI},
            True,
        ).status_code
        == 200
    )


def test_parameters_a_model_family_rejects_are_400(sim: Simulator) -> None:
    stop = _post(sim, "/v1/chat/completions", {"model": "o4-mini", "messages": HI, "stop": ["\n"]})
    assert stop.status_code == 400
    assert stop.json()["error"] == {
        "message": "Unsupported parameter: 'stop' is not supported with this model.",
        "type": "invalid_request_error",
        "param": "stop",
        "code": "unsupported_parameter",
    }
    assert (
        _post(
            sim, "/v1/chat/completions", {"model": "gpt-5", "messages": HI, "max_tokens": 5}
        ).status_code
        == 400
    )
    assert (
        _post(
            sim, "/v1/chat/completions", {"model": "gpt-5", "messages": HI, "temperature": 0.2}
        ).status_code
        == 400
    )
    assert (
        _post(
            sim, "/v1/responses", {"model": "gpt-4o", "input": "x", "reasoning": {"effort": "low"}}
        ).status_code
        == 400
    )
    effort = _post(
        sim,
        "/v1/messages",
        {
            "model": "claude-opus-4-6",
            "max_tokens": 5,
            "messages": HI,
            "output_config": {"effort": "xhigh"},
        },
        True,
    )
    assert (
        effort.status_code == 400
        and "does not support effort level 'xhigh'" in effort.json()["error"]["message"]
    )
    budget = _post(
        sim,
        "/v1/messages",
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 4000,
            "messages": HI,
            "thinking": {"type": "enabled", "budget_tokens": 100},
        },
        True,
    )
    assert budget.status_code == 400


def test_malformed_message_lists_are_rejected(sim: Simulator) -> None:
    role = _post(
        sim,
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "bot", "content": "x"}]},
    )
    assert role.status_code == 400 and role.json()["error"]["param"] == "messages[0].role"
    orphan = _post(
        sim,
        "/v1/chat/completions",
        {
            "model": "gpt-4o-mini",
            "messages": [*HI, {"role": "tool", "tool_call_id": "call_1", "content": "42"}],
        },
    )
    assert (
        orphan.status_code == 400
        and "must be a response to a preceeding message" in orphan.json()["error"]["message"]
    )
    unanswered = _post(
        sim,
        "/v1/chat/completions",
        {
            "model": "gpt-4o-mini",
            "messages": [
                *HI,
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                *HI,
            ],
        },
    )
    assert unanswered.status_code == 400 and "call_1" in unanswered.json()["error"]["message"]
    empty = _post(
        sim, "/v1/messages", {"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": []}, True
    )
    assert empty.status_code == 400 and empty.json()["type"] == "error"
    assert (
        _post(sim, "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": "hi"}).status_code
        == 400
    )


def test_validation_can_be_turned_off_per_scenario() -> None:
    with Simulator(scenario={"validate": {"models": False}}) as sim:
        assert (
            _post(sim, "/v1/chat/completions", {"model": "house-model", "messages": HI}).status_code
            == 200
        )
        assert (
            _post(
                sim, "/v1/chat/completions", {"model": "o3", "messages": HI, "stop": "x"}
            ).status_code
            == 400
        )
    with Simulator(scenario={"validate": False}) as sim:
        assert (
            _post(
                sim, "/v1/chat/completions", {"model": "o3", "messages": HI, "stop": "x"}
            ).status_code
            == 200
        )
    with pytest.raises(ScenarioError, match="validate must be"):
        Scenario.from_dict({"validate": {"modles": False}})


def test_anthropic_one_hour_cache_writes_are_reported_in_the_1h_bucket(sim: Simulator) -> None:
    an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="k", max_retries=0)
    system = [
        {
            "type": "text",
            "text": "You are a travel agent. " * 400,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    first = an.messages.create(model="claude-sonnet-4-6", max_tokens=64, system=system, messages=HI)  # type: ignore[arg-type]
    created = first.usage.cache_creation
    assert (
        created is not None
        and created.ephemeral_1h_input_tokens == first.usage.cache_creation_input_tokens > 0
    )
    assert created.ephemeral_5m_input_tokens == 0
    second = an.messages.create(
        model="claude-sonnet-4-6", max_tokens=64, system=system, messages=HI
    )  # type: ignore[arg-type]
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


def test_a_repeated_string_input_reads_cached_tokens(sim: Simulator) -> None:
    oa = openai.OpenAI(base_url=sim.openai_base_url, api_key="k", max_retries=0)
    prompt = "Summarise the following log. " + "line of a long log file with many entries; " * 300
    first = oa.responses.create(model="gpt-4.1-mini", input=prompt)
    again = oa.responses.create(model="gpt-4.1-mini", input=prompt)
    assert first.usage.input_tokens_details.cached_tokens == 0  # type: ignore[union-attr]
    cached = again.usage.input_tokens_details.cached_tokens  # type: ignore[union-attr]
    assert cached > 1024 and cached % 128 == 0 and cached <= again.usage.input_tokens  # type: ignore[union-attr]


def test_the_simulator_itself_can_relax_validation() -> None:
    with Simulator(validate={"models": False}) as sim:
        assert (
            _post(sim, "/v1/chat/completions", {"model": "house-model", "messages": HI}).status_code
            == 200
        )
        assert (
            _post(
                sim, "/v1/chat/completions", {"model": "gpt-5", "messages": HI, "stop": "x"}
            ).status_code
            == 400
        )


def test_anthropic_tool_results_must_answer_the_previous_tool_use(sim: Simulator) -> None:
    use = {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
    }
    stray = [
        *HI,
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"}],
        },
    ]
    answer = _post(
        sim,
        "/v1/messages",
        {"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": stray},
        True,
    )
    assert (
        answer.status_code == 400
        and "unexpected `tool_use_id`" in answer.json()["error"]["message"]
    )
    unanswered = [*HI, use, *HI]
    answer = _post(
        sim,
        "/v1/messages",
        {"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": unanswered},
        True,
    )
    assert answer.status_code == 400 and "toolu_1" in answer.json()["error"]["message"]
    both = _post(
        sim,
        "/v1/messages",
        {
            "model": "claude-sonnet-4-6",
            "max_tokens": 5,
            "messages": HI,
            "temperature": 0.5,
            "top_p": 0.9,
        },
        True,
    )
    assert both.status_code == 400


def test_top_level_cache_control_caches_the_whole_prompt(sim: Simulator) -> None:
    an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="k", max_retries=0)
    system = [{"type": "text", "text": "Style guide: write short headings. " * 300}]
    kwargs: dict[str, Any] = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "system": system,
        "messages": HI,
        "extra_body": {"cache_control": {"type": "ephemeral", "ttl": "1h"}},
    }
    first, second = an.messages.create(**kwargs), an.messages.create(**kwargs)
    assert first.usage.cache_creation_input_tokens > 1000
    assert (
        first.usage.cache_creation.ephemeral_1h_input_tokens
        == first.usage.cache_creation_input_tokens
    )  # type: ignore[union-attr]
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


def test_malformed_contents_tools_and_input_items_are_rejected(sim: Simulator) -> None:
    content = _post(
        sim,
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": 5}]},
    )
    assert content.status_code == 400 and content.json()["error"]["code"] == "invalid_type"
    tool = _post(
        sim,
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": HI, "tools": [{"type": "function", "function": {}}]},
    )
    assert tool.status_code == 400 and tool.json()["error"]["param"] == "tools[0].function.name"
    item = _post(
        sim, "/v1/responses", {"model": "gpt-4o-mini", "input": [{"role": "bot", "content": "x"}]}
    )
    assert item.status_code == 400 and item.json()["error"]["param"] == "input[0].role"
