"""ReasoningAgent on Anthropic: the same loop, tree and metrics over the Messages wire."""

from __future__ import annotations

import asyncio

import pytest

from sik_llms import ReasoningAgent, telemetry
from sik_llms.telemetry import names as n
from sik_llms.tools import Parameter, Tool
from tests.sik_llms.agent.conftest import TRIP_CHILDREN, USAGE, AgentWire, trip_wire
from tests.sik_llms.conftest import Captured, agent_labels, summarize

KEY = "sk-ant-test-0123456789abcdef"
MODEL = "claude-haiku-4-5"  # priced (claude-sonnet-4-6 has no published price here)


def search_flights(destination: str, date: str) -> str:
    """Find flights to a destination."""
    return f"TP1350 to {destination} on {date}"


def _hotels(city: str) -> str:
    return f"Casa Lisboa in {city}"


SEARCH_HOTELS = Tool(
    name="search_hotels",
    description="Find hotels in a city.",
    parameters=[Parameter(name="city", param_type=str)],
    func=_hotels,
)


def _wire() -> AgentWire:
    return trip_wire("anthropic", hotel_args={"city": "Lisbon"})


@pytest.mark.parametrize("face", ["call", "stream"])
def test_trip_planning_on_anthropic(face):
    cap = Captured()
    wire = _wire()
    agent = ReasoningAgent(
        model_name=MODEL,
        tools=[search_flights, SEARCH_HOTELS],
        reasoning_effort="medium",
        api_key=KEY,
    )
    messages = [{"role": "user", "content": "Plan a weekend in Lisbon"}]

    async def stream() -> list:
        return [item async for item in agent.stream(messages)]

    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        items = [agent(messages)] if face == "call" else asyncio.run(stream())

    if face == "stream":
        assert summarize(items) == [
            ("thinking", 0, ""),
            ("thinking", 1, "Flights first."),
            ("predict", 1, "search_flights", {"destination": "Lisbon", "date": "2025-06-06"}),
            ("result", 1, "search_flights", "TP1350 to Lisbon on 2025-06-06"),
            ("thinking", 2, "Then a hotel."),
            ("predict", 2, "search_hotels", {"city": "Lisbon"}),
            ("result", 2, "search_hotels", "Casa Lisboa in Lisbon"),
            ("thinking", 3, "Ready."),
            ("text", "Fly TP1350, stay at Casa Lisboa."),
            ("response", "Fly TP1350, stay at Casa Lisboa."),
        ]
    response = items[-1]
    assert response.response == "Fly TP1350, stay at Casa Lisboa."
    assert wire.calls == [
        "step",
        "tool:search_flights",
        "step",
        "tool:search_hotels",
        "step",
        "final",
    ]

    # Anthropic refuses thinking on forced tool calls: only the final answer thinks
    step_body, tool_body, final_body = wire.bodies[0], wire.bodies[1], wire.bodies[-1]
    assert "thinking" not in step_body and step_body["tool_choice"]["type"] == "tool"
    assert "thinking" not in tool_body and tool_body["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in tool_body["tools"]] == ["search_flights"]
    assert final_body["thinking"]["type"] == "enabled"

    root = cap.one(n.SPAN_AGENT)
    assert cap.tree(root, depth=1) == TRIP_CHILDREN
    for child in cap.children(root):
        (request,) = [s for s in cap.children(child) if s.name == n.SPAN_REQUEST]
        (inference,) = cap.children(request)
        assert inference.name.startswith("llm.anthropic."), inference.name
    # tool.arguments_count counts top-level keys, the same rule as on OpenAI
    assert cap.one("reasoning.tool.search_flights").attributes[n.TOOL_ARGUMENTS_COUNT] == 2
    assert cap.one("reasoning.tool.search_hotels").attributes[n.TOOL_ARGUMENTS_COUNT] == 1
    assert root.attributes[n.LLM_PROVIDER] == "anthropic"

    tokens_in = 3 * USAGE["step"][0] + 2 * USAGE["tool"][0] + USAGE["final"][0]
    tokens_out = 3 * USAGE["step"][1] + 2 * USAGE["tool"][1] + USAGE["final"][1]
    assert (response.input_tokens, response.output_tokens) == (tokens_in, tokens_out)
    assert response.total_cost == pytest.approx(tokens_in * 1 / 1e6 + tokens_out * 5 / 1e6)
    assert cap.metric(n.METRIC_TOKENS_INPUT) == tokens_in
    assert root.attributes[n.LLM_REASONING_TOKENS_INPUT] == tokens_in
    labels = agent_labels(model=MODEL, provider="anthropic")
    assert cap.metric(n.METRIC_REASONING_REQUESTS, **labels) == 1
    assert cap.metric(n.METRIC_REASONING_ITERATIONS, **labels) == 3
    assert cap.metric(n.METRIC_REASONING_TOOL_CALLS, **labels) == 2
    assert cap.metric(n.METRIC_REASONING_SUCCESS, **labels) == 1
    assert cap.unfinished() == []
