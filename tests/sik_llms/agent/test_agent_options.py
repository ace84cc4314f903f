"""ReasoningAgent options: content capture, no final answer, sync calls inside a running loop."""

from __future__ import annotations

import asyncio

import pytest

from sik_llms import ReasoningAgent, telemetry
from sik_llms.telemetry import names as n
from sik_llms.tools import Tool
from tests.sik_llms.agent.conftest import AgentWire, step
from tests.sik_llms.conftest import Captured, summarize

KEY = "sk-test-agent-0123456789abcdef"
QUESTION = [{"role": "user", "content": "Plan a weekend in Lisbon"}]


async def search_hotels(city: str, nights: int) -> str:
    """Find hotels in a city."""
    await asyncio.sleep(0)
    return f"Casa Lisboa, {nights} nights in {city}"


def test_thought_text_is_recorded_only_when_content_capture_opts_in(monkeypatch):
    monkeypatch.setenv(n.CAPTURE_CONTENT_ENV, "SPAN_ONLY")
    cap = Captured()
    wire = AgentWire(steps=[step("Lisbon is lovely in June.", "finished")], final="Go in June.")
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        ReasoningAgent(model_name="gpt-4o-mini", api_key=KEY)(QUESTION)
    thinking = cap.one("reasoning.thinking.iteration_1")
    assert thinking.attributes[n.REASONING_THINKING_CONTENT] == "Lisbon is lovely in June."


def test_without_a_final_answer_the_last_thought_is_the_response():
    cap = Captured()
    wire = AgentWire(steps=[step("Lisbon: go in June.", "finished")])
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        events = list(
            ReasoningAgent(
                model_name="gpt-4o-mini", api_key=KEY, generate_final_response=False
            ).stream_sync(QUESTION)
        )
    assert summarize(events)[-1] == ("response", "Lisbon: go in June.")
    assert wire.calls == ["step"]
    root = cap.one(n.SPAN_AGENT)
    assert cap.tree(root, depth=1) == ["reasoning.thinking.iteration_1"]
    assert root.attributes[n.LLM_REASONING_SUCCESS] is True


def test_the_sync_face_works_inside_a_running_event_loop_with_an_async_tool():
    wire = AgentWire(
        steps=[step("Hotels.", "use_tool", "search_hotels"), step("Done.", "finished")],
        tool_args={"search_hotels": {"city": "Lisbon", "nights": 2}},
        final="Casa Lisboa.",
    )
    agent = ReasoningAgent(model_name="gpt-4o-mini", tools=[search_hotels], api_key=KEY)

    async def inside_a_loop() -> list:
        return list(agent.stream_sync(QUESTION))  # blocking on purpose: no nested loop needed

    with wire.installed():
        events = asyncio.run(inside_a_loop())
    assert ("result", 1, "search_hotels", "Casa Lisboa, 2 nights in Lisbon") in summarize(events)
    assert events[-1].response == "Casa Lisboa."


def _traced_lookup(city: str) -> str:
    """Look a city up (opens its own span, as an instrumented HTTP client would)."""
    with telemetry.get_tracer().start_as_current_span("lookup.http"):
        return city.upper()


async def _traced_lookup_async(city: str) -> str:
    """Async twin of _traced_lookup."""
    with telemetry.get_tracer().start_as_current_span("lookup.http"):
        await asyncio.sleep(0)
        return city.upper()


@pytest.mark.parametrize("face", ["sync", "async"])
@pytest.mark.parametrize(
    "func", [_traced_lookup, _traced_lookup_async], ids=["sync_tool", "async_tool"]
)
def test_spans_a_tool_opens_nest_under_its_reasoning_tool_span(face, func):
    cap = Captured()
    tool = Tool.from_function(func, name="lookup")
    wire = AgentWire(
        steps=[step("Look it up.", "use_tool", "lookup"), step("Done.", "finished")],
        tool_args={"lookup": {"city": "lisbon"}},
        final="LISBON",
    )
    agent = ReasoningAgent(model_name="gpt-4o-mini", tools=[tool], api_key=KEY)

    async def run_async() -> None:
        await agent.run_async(QUESTION)

    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        if face == "sync":
            agent(QUESTION)
        else:
            asyncio.run(run_async())
    inner = cap.one("lookup.http")
    assert inner.parent is not None
    assert inner.parent.span_id == cap.one("reasoning.tool.lookup").context.span_id
