"""Built-in / server / custom tools and every endpoint form users point SDKs at.

The SDKs parse each answer into their own types (``ResponseFunctionWebSearch``,
``ServerToolUseBlock``, ``ResponseCustomToolCall``...), so the shapes are the ones they expect.
"""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx2
import openai
import pytest

from harness.simulator import Simulator
from harness.simulator.routes import route
from harness.simulator.structure import parse_sse


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


@pytest.fixture
def oa(sim: Simulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0)


def test_responses_web_search_gives_a_search_call_and_url_citations(oa: openai.OpenAI) -> None:
    resp = oa.responses.create(
        model="gpt-4.1",
        input="What happened in Lisbon this week?",
        tools=[{"type": "web_search_preview"}],
    )
    assert [o.type for o in resp.output] == ["web_search_call", "message"]
    assert (
        type(resp.output[0]).__name__ == "ResponseFunctionWebSearch"
        and resp.output[0].status == "completed"
    )
    note = resp.output[1].content[0].annotations[0]  # type: ignore[union-attr]
    assert note.type == "url_citation" and note.url.startswith("https://")
    text = resp.output[1].content[0].text  # type: ignore[union-attr]
    assert 0 <= note.start_index < note.end_index <= len(text)
    with oa.responses.stream(
        model="gpt-4.1", input="Latest news about Porto?", tools=[{"type": "web_search"}]
    ) as s:
        kinds = [event.type for event in s]
    assert kinds.index("response.web_search_call.searching") < kinds.index(
        "response.web_search_call.completed"
    )
    assert "response.output_text.annotation.added" in kinds


def test_anthropic_web_search_is_a_server_tool_with_usage(sim: Simulator) -> None:
    an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=0)
    tools = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}]
    ask = [{"role": "user", "content": "Who won the match in Madrid yesterday?"}]
    msg = an.messages.create(model="claude-sonnet-4-6", max_tokens=1024, messages=ask, tools=tools)  # type: ignore[arg-type]
    kinds = [b.type for b in msg.content]
    assert (
        kinds[1:3] == ["server_tool_use", "web_search_tool_result"]
        and msg.stop_reason == "end_turn"
    )
    assert (
        msg.usage.server_tool_use is not None and msg.usage.server_tool_use.web_search_requests == 1
    )
    cited = [b for b in msg.content if b.type == "text" and b.citations]
    assert cited and cited[0].citations[0].type == "web_search_result_location"  # type: ignore[union-attr, index]
    with an.messages.stream(
        model="claude-sonnet-4-6", max_tokens=1024, messages=ask, tools=tools
    ) as s:  # type: ignore[arg-type]
        final = s.get_final_message()
    assert [b.type for b in final.content] == kinds


def test_custom_tools_are_answered_with_custom_calls(oa: openai.OpenAI) -> None:
    custom = {"type": "custom", "name": "run_sql", "description": "Run a SQL query"}
    resp = oa.responses.create(
        model="gpt-5",
        input="How many users signed up today?",
        tools=[custom],  # type: ignore[list-item]
        tool_choice={"type": "custom", "name": "run_sql"},
    )
    calls = [o for o in resp.output if o.type == "custom_tool_call"]
    assert calls and calls[0].name == "run_sql" and isinstance(calls[0].input, str)
    chat_tool = {"type": "custom", "custom": {"name": "run_sql", "description": "Run a SQL query"}}
    ask = [{"role": "user", "content": "Count today's signups"}]
    done = oa.chat.completions.create(
        model="gpt-5",
        messages=ask,
        tools=[chat_tool],  # type: ignore[list-item, arg-type]
        tool_choice={"type": "custom", "custom": {"name": "run_sql"}},
    )
    call = (done.choices[0].message.tool_calls or [])[0]
    assert call.type == "custom" and call.custom.name == "run_sql" and call.custom.input  # type: ignore[union-attr]
    streamed = oa.chat.completions.create(
        model="gpt-5", messages=ask, tools=[chat_tool], stream=True
    )  # type: ignore[list-item, arg-type]
    # the SDK has no delta type for custom calls yet: the piece arrives as the extra field "custom"
    pieces = [
        (tc.model_extra or {}).get("custom", {}).get("input")
        for chunk in streamed
        for c in chunk.choices
        for tc in c.delta.tool_calls or []
    ]
    assert "".join(p or "" for p in pieces) == "Count today's signups"


def test_azure_deployments_answer_with_content_filter_results(sim: Simulator) -> None:
    az = openai.AzureOpenAI(
        azure_endpoint=sim.base_url,
        azure_deployment="my-gpt4o",
        api_version="2024-10-21",
        api_key="k",
        max_retries=0,
    )
    done = az.chat.completions.create(
        model="my-gpt4o", messages=[{"role": "user", "content": "hi"}]
    )
    assert sim.requests[-1].path == "/openai/deployments/my-gpt4o/chat/completions"
    assert "api-version=2024-10-21" in sim.requests[-1].query
    assert (
        done.model_extra["prompt_filter_results"][0]["content_filter_results"]["hate"]["filtered"]
        is False
    )  # type: ignore[index]
    assert done.choices[0].model_extra["content_filter_results"]["violence"]["severity"] == "safe"  # type: ignore[index]
    chunks = list(
        az.chat.completions.create(
            model="my-gpt4o", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert chunks[0].choices == [] and chunks[0].model_extra["prompt_filter_results"]  # type: ignore[index]
    assert "".join(c.choices[0].delta.content or "" for c in chunks[1:] if c.choices)


@pytest.mark.parametrize("prefix", ["/openai/v1", "/api/v1", ""])
def test_openai_compatible_base_paths_are_served(sim: Simulator, prefix: str) -> None:
    client = openai.OpenAI(base_url=f"{sim.base_url}{prefix}", api_key="k", max_retries=0)
    done = client.chat.completions.create(
        model="my-local-llama", messages=[{"role": "user", "content": "hi"}]
    )
    assert done.choices[0].message.content
    assert client.responses.create(model="my-local-llama", input="hi").output_text


def test_compatible_servers_stream_reasoning_content_when_asked(sim: Simulator) -> None:
    with httpx2.Client(timeout=10) as http:
        body = {
            "model": "deepseek-chat",
            "stream": True,
            "reasoning_effort": "medium",
            "messages": [{"role": "user", "content": "Why is the sky blue?"}],
        }
        events = parse_sse(http.post(f"{sim.base_url}/api/v1/chat/completions", json=body).content)
        plain = http.post(
            f"{sim.base_url}/api/v1/chat/completions",
            json={**body, "model": "deepseek-chat", "reasoning_effort": None, "stream": False},
        ).json()
    deltas = [
        e[1]["choices"][0]["delta"]
        for e in events
        if isinstance(e[1], dict) and e[1].get("choices")
    ]
    reasoning = [d["reasoning_content"] for d in deltas if "reasoning_content" in d]
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    assert (
        reasoning
        and deltas.index(next(d for d in deltas if "reasoning_content" in d)) < first_content
    )
    assert "reasoning_content" not in plain["choices"][0]["message"]


def test_one_route_table_maps_every_path() -> None:
    assert route("POST", "/v1/chat/completions", {}).flavor == "official"
    azure = route("POST", "/openai/deployments/gpt4o/chat/completions", {})
    assert (azure.api, azure.flavor, azure.deployment) == ("chat.completions", "azure", "gpt4o")
    assert route("POST", "/openai/v1/responses", {}).flavor == "azure"
    assert route("POST", "/api/v1/chat/completions", {}).flavor == "compatible"
    assert route("POST", "/v1/messages", {}).provider == "anthropic"
    assert route("GET", "/v1/models/gpt-4o", {}).model_id == "gpt-4o"
    assert route("POST", "/v1/completions", {}).api == "unknown"


def test_open_models_on_v1_are_served_as_an_openai_compatible_server(sim: Simulator) -> None:
    with httpx2.Client(timeout=10) as http:
        ask = {"messages": [{"role": "user", "content": "Why is the sky blue?"}]}
        qwq = http.post(
            f"{sim.openai_base_url}/chat/completions", json={"model": "Qwen/QwQ-32B", **ask}
        ).json()
        llama = http.post(
            f"{sim.openai_base_url}/chat/completions", json={"model": "llama3.1:8b", **ask}
        ).json()
        typo = http.post(
            f"{sim.openai_base_url}/chat/completions", json={"model": "gpt-4o-minii", **ask}
        )
    assert qwq["choices"][0]["message"]["reasoning_content"]  # open reasoning models always think
    assert (
        llama["choices"][0]["message"]["content"]
        and "reasoning_content" not in llama["choices"][0]["message"]
    )
    assert typo.status_code == 404


def test_anthropic_web_fetch_reads_the_url_the_user_gave(sim: Simulator) -> None:
    an = anthropic.Anthropic(base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=0)
    msg = an.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=1024,
        tools=[{"type": "web_fetch_20250910", "name": "web_fetch"}],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "Summarise https://example.org/post please"}],
    )
    fetch = next(b for b in msg.content if b.type == "server_tool_use")
    assert fetch.name == "web_fetch" and fetch.input == {"url": "https://example.org/post"}
    assert any(b.type == "web_fetch_tool_result" for b in msg.content)
    assert (
        msg.usage.server_tool_use is not None and msg.usage.server_tool_use.web_fetch_requests == 1
    )
    cited = next(b for b in msg.content if b.type == "text" and b.citations)
    assert cited.citations[0].type == "char_location"  # type: ignore[union-attr, index]
