"""The guide's trip-planning ReasoningAgent run completes against the default scenario (no script).

The agent's structured reasoning steps, its forced tool-argument calls and its streamed final
answer are all answered by the simulator's default behaviour: it chooses the listed tools it has
not used yet, fills their arguments from the question (Lisbon), then finishes.
"""

from __future__ import annotations

import pytest

from harness.simulator import Simulator
from harness.trip_tools import TRIP_QUESTION, trip_tools
from sik_llms import ReasoningAgent
from sik_llms.types import ErrorEvent, TextResponse, ToolPredictionEvent, ToolResultEvent


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5"), ("openai", "gpt-5-mini")],
)
def test_trip_planning_agent_calls_tools_then_answers(provider: str, model: str) -> None:
    with Simulator() as sim:
        base_url = sim.openai_base_url if provider == "openai" else sim.anthropic_base_url
        agent = ReasoningAgent(
            model,
            tools=trip_tools(),
            api_key="sk-sim",
            base_url=base_url,
            provider=provider,
            reasoning_effort="medium",
            max_iterations=5,
        )
        events = list(agent.stream_sync([{"role": "user", "content": TRIP_QUESTION}]))
        assert all(r.status == 200 for r in sim.requests)
    assert not [e for e in events if isinstance(e, ErrorEvent)]
    predictions = [e for e in events if isinstance(e, ToolPredictionEvent)]
    assert [p.name for p in predictions] == ["search_flights", "search_hotels"]
    assert (
        predictions[0].arguments["destination"] == "Lisbon"
        and predictions[1].arguments["city"] == "Lisbon"
    )
    assert len([e for e in events if isinstance(e, ToolResultEvent)]) == 2
    final = events[-1]
    assert isinstance(final, TextResponse) and final.response.strip()
