"""ReasoningAgent entry points: same result on every face, no leaks, nothing when telemetry is off."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
import textwrap

import pytest
from opentelemetry import trace

from sik_llms import ReasoningAgent, RegisteredClients, TextChunkEvent, telemetry
from sik_llms.client import Client
from sik_llms.telemetry import names as n
from tests.conftest import ROOT
from tests.sik_llms.agent.conftest import AgentWire, trip_wire
from tests.sik_llms.conftest import Captured, agent_labels, summarize

KEY = "sk-test-agent-0123456789abcdef"


def search_flights(destination: str, date: str) -> str:
    """Find flights to a destination."""
    return f"TP1350 to {destination} on {date}"


async def search_hotels(city: str, nights: int) -> str:
    """Find hotels in a city."""
    await asyncio.sleep(0)
    return f"Casa Lisboa, {nights} nights in {city}"


def _wire() -> AgentWire:
    return trip_wire()


def _agent() -> ReasoningAgent:
    return ReasoningAgent(
        model_name="gpt-4o-mini",
        tools=[search_flights, search_hotels],
        max_iterations=8,
        api_key=KEY,
    )


MESSAGES = [
    {"role": "system", "content": "You are a travel agent."},
    {"role": "user", "content": "Plan a weekend in Lisbon"},
]


def _collect_stream(agent: ReasoningAgent, messages) -> list:
    async def run() -> list:
        return [item async for item in agent.stream(messages)]

    return asyncio.run(run())


FACES = {
    "call": lambda a, m: [a(m)],
    "run_async": lambda a, m: [asyncio.run(a.run_async(m))],
    "stream_sync": lambda a, m: list(a.stream_sync(m)),
    "stream": _collect_stream,
}


def _run_face(face: str) -> tuple[list, Captured, AgentWire]:
    cap = Captured()
    wire = _wire()
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        items = FACES[face](_agent(), MESSAGES)
    return items, cap, wire


def test_every_face_gives_the_same_result_tree_and_metrics():
    results = {face: _run_face(face) for face in FACES}
    trees, finals = {}, {}
    for face, (items, cap, wire) in results.items():
        final = items[-1]
        finals[face] = (final.response, final.input_tokens, final.output_tokens, final.total_cost)
        root = cap.one(n.SPAN_AGENT)
        trees[face] = cap.tree(root, depth=3)
        assert wire.calls == [
            "step",
            "tool:search_flights",
            "step",
            "tool:search_hotels",
            "step",
            "final",
        ], face
        labels = agent_labels()
        assert cap.metric(n.METRIC_REASONING_REQUESTS, **labels) == 1, face
        assert cap.metric(n.METRIC_REASONING_ITERATIONS, **labels) == 3, face
        assert cap.metric(n.METRIC_REASONING_TOOL_CALLS, **labels) == 2, face
        assert cap.metric(n.METRIC_REASONING_SUCCESS, **labels) == 1, face
        assert cap.metric(n.METRIC_TOKENS_INPUT) == final.input_tokens, face
        assert cap.unfinished() == [], face
    assert len(set(finals.values())) == 1, finals
    assert all(tree == trees["call"] for tree in trees.values()), trees
    # both streaming faces yield the same events
    assert summarize(results["stream_sync"][0]) == summarize(results["stream"][0])


def test_the_callers_messages_are_never_mutated():
    messages = copy.deepcopy(MESSAGES)
    snapshot = json.dumps(messages)
    wire = _wire()
    with wire.installed():
        _agent()(messages)
    assert json.dumps(messages) == snapshot
    # the conversation reached the model as context, not edited in place
    assert "You are a travel agent." in wire.bodies[0]["messages"][-1]["content"]


def test_no_span_context_is_attached_while_the_consumer_holds_an_event():
    cap = Captured()
    seen = []
    wire = _wire()
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        for _ in _agent().stream_sync(MESSAGES):
            seen.append(trace.get_current_span().get_span_context().is_valid)

        async def consume() -> None:
            async for _ in _agent().stream(MESSAGES):
                seen.append(trace.get_current_span().get_span_context().is_valid)

        wire.steps = _wire().steps
        asyncio.run(consume())
    assert seen and not any(seen)


def test_an_early_closed_sync_stream_ends_every_span():
    cap = Captured()
    wire = _wire()
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        stream = _agent().stream_sync(MESSAGES)
        for item in stream:
            if isinstance(item, TextChunkEvent):
                break
        stream.close()
    assert cap.unfinished() == []
    root = cap.one(n.SPAN_AGENT)
    assert root.attributes[n.LLM_CANCELLED] is True
    assert cap.one(n.SPAN_FINAL_ANSWER).attributes[n.LLM_CANCELLED] is True
    (request,) = [s for s in cap.children(cap.one(n.SPAN_FINAL_ANSWER))]
    assert request.attributes[n.LLM_CANCELLED] is True
    assert all(s.end_time <= root.end_time for s in cap.spans())
    assert cap.metric(n.METRIC_REASONING_REQUESTS, **agent_labels()) == 1
    assert cap.metric(n.METRIC_REASONING_SUCCESS, **agent_labels()) == 0
    assert not trace.get_current_span().get_span_context().is_valid


def test_an_early_closed_async_stream_ends_every_span():
    cap = Captured()
    wire = _wire()

    async def consume() -> None:
        stream = _agent().stream(MESSAGES)
        async for item in stream:
            if getattr(item, "name", None) == "search_hotels":  # mid-run, between two tools
                break
        await stream.aclose()

    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        asyncio.run(consume())
    assert cap.unfinished() == []
    assert cap.one(n.SPAN_AGENT).attributes[n.LLM_CANCELLED] is True
    assert cap.one("reasoning.tool.search_hotels").attributes[n.LLM_CANCELLED] is True
    assert not trace.get_current_span().get_span_context().is_valid


def test_a_cancelled_task_ends_every_span_and_marks_the_run_failed():
    cap = Captured()
    wire = _wire()

    async def main() -> None:
        gate = asyncio.Event()

        async def search_hotels(city: str, nights: int) -> str:
            """Find hotels (slowly: the task is cancelled while this runs)."""
            gate.set()
            await asyncio.sleep(30)
            return "never"

        agent = ReasoningAgent(
            model_name="gpt-4o-mini", tools=[search_flights, search_hotels], api_key=KEY
        )
        task = asyncio.create_task(agent.run_async(MESSAGES))
        await gate.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        asyncio.run(main())
    assert cap.unfinished() == []
    tool = cap.one("reasoning.tool.search_hotels")
    assert tool.status.is_ok is False
    assert cap.one(n.SPAN_AGENT).attributes[n.ERROR_TYPE] == "asyncio.exceptions.CancelledError"
    assert cap.metric(n.METRIC_REASONING_REQUESTS, **agent_labels()) == 1
    assert cap.metric(n.METRIC_REASONING_SUCCESS, **agent_labels()) == 0


def test_with_telemetry_off_the_agent_creates_no_spans():
    cap = Captured()
    wire = _wire()
    with telemetry.use_providers(None, None), wire.installed():
        response = _agent()(MESSAGES)
    assert response.response == "Fly TP1350, stay at Casa Lisboa."
    assert response.trace_context is None
    assert cap.spans() == []


def test_with_telemetry_off_running_the_agent_never_imports_the_sdk():
    script = textwrap.dedent(
        """
        import os, sys
        os.environ.pop("OTEL_SDK_DISABLED", None)
        import sik_llms
        from tests.sik_llms.agent.conftest import AgentWire, step

        def lookup(city: str) -> str:
            '''Look a city up.'''
            return city.upper()

        wire = AgentWire(steps=[step("look", "use_tool", "lookup"), step("ok", "finished")],
                         tool_args={"lookup": {"city": "lisbon"}}, final="LISBON")
        with wire.installed():
            agent = sik_llms.ReasoningAgent(model_name="gpt-4o-mini", tools=[lookup], api_key="sk-test-x")
            response = agent([{"role": "user", "content": "hi"}])
        assert response.response == "LISBON", response
        assert "opentelemetry.sdk" not in sys.modules, sorted(m for m in sys.modules if m.startswith("opentelemetry"))
        print("OK")
        """
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"


def test_the_agent_is_registered_and_bypasses_the_per_call_wrapper():
    cap = Captured()
    wire = _wire()
    agent = Client.instantiate(
        RegisteredClients.REASONING_AGENT,
        "gpt-4o-mini",
        tools=[search_flights, search_hotels],
        api_key=KEY,
    )
    assert isinstance(agent, ReasoningAgent)
    with telemetry.use_providers(cap.tp, cap.mp), wire.installed():
        agent(MESSAGES)
    # exactly the inner calls' llm.request spans: none wraps the agent itself
    requests = [s for s in cap.spans() if s.name == n.SPAN_REQUEST]
    assert len(requests) == 6
    assert cap.one(n.SPAN_AGENT).parent is None
    assert cap.metric(n.METRIC_REQUESTS) == 6


def test_a_tool_without_a_function_is_refused_up_front():
    from sik_llms.tools import Tool

    with pytest.raises(ValueError, match="has no func"):
        ReasoningAgent(model_name="gpt-4o-mini", tools=[Tool(name="ghost")], api_key=KEY)
