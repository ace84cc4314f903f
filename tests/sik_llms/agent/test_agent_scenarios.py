"""ReasoningAgent scenarios over a scripted OpenAI wire: events, span tree and metrics.

Each scenario drives the real agent and the real provider clients; only the network answers
from a script (``AgentWire`` in ``tests/sik_llms/agent/conftest.py``). Every test checks the three things a user sees: the
event stream, the X-ray (span tree with its attributes) and the agent's metrics.
"""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode

from sik_llms import ReasoningAgent, telemetry
from sik_llms.telemetry import names as n
from sik_llms.tools import Parameter, Tool
from tests.sik_llms.agent.conftest import TRIP_CHILDREN, USAGE, AgentWire, step
from tests.sik_llms.conftest import Captured, agent_labels, summarize

KEY = "sk-test-agent-0123456789abcdef"
MODEL = "gpt-4o-mini"
TRIP = [{"role": "user", "content": "Plan a weekend in Lisbon"}]


def search_flights(destination: str, date: str) -> str:
    """Find flights to a destination.

    Args:
        destination: the city to fly to
        date: the departure date, YYYY-MM-DD
    """
    return f"TP1350 to {destination} on {date}: 120 EUR"


async def search_hotels(city: str, nights: int) -> dict[str, int]:
    """Find hotels in a city (an async tool: awaited on the async path, run on a loop otherwise)."""
    return {"Casa Lisboa": 90 * nights}


def broken_flights(destination: str) -> str:
    """Find flights (but the upstream API is down)."""
    raise ValueError(f"flight API unavailable for {destination}")


def _calculate(expression: str) -> str:
    return str(eval(expression, {"__builtins__": {}}))  # test tool: arithmetic only


CALCULATOR = Tool(
    name="calculator",
    description="Evaluate an arithmetic expression.",
    parameters=[Parameter(name="expression", param_type=str, description="e.g. 15 * 23 + 7")],
    func=_calculate,
)


@pytest.fixture
def cap():
    c = Captured()
    with telemetry.use_providers(c.tp, c.mp):
        yield c


def _agent(**kwargs) -> ReasoningAgent:
    kwargs.setdefault("reasoning_effort", "medium")
    return ReasoningAgent(model_name=MODEL, api_key=KEY, **kwargs)


def _cost(tokens_in: int, tokens_out: int) -> float:
    return tokens_in * 0.15 / 1e6 + tokens_out * 0.6 / 1e6  # gpt-4o-mini


def _assert_inner_calls(cap: Captured, parent, count: int) -> None:
    """``parent`` holds ``count`` llm.request trees (request > llm.openai.* > http.request)."""
    requests = [s for s in cap.children(parent) if s.name == n.SPAN_REQUEST]
    assert len(requests) == count, cap.tree(parent)
    for request in requests:
        (inference,) = cap.children(request)
        assert inference.name.startswith("llm.openai."), inference.name
        assert [s.name for s in cap.children(inference)] == [n.SPAN_HTTP]


def _assert_totals_once(cap: Captured, response, steps: int, tools: int, finals: int) -> None:
    """Agent totals = sum of inner calls, and the token metric counts each call exactly once."""
    tokens_in = steps * USAGE["step"][0] + tools * USAGE["tool"][0] + finals * USAGE["final"][0]
    tokens_out = steps * USAGE["step"][1] + tools * USAGE["tool"][1] + finals * USAGE["final"][1]
    assert (response.input_tokens, response.output_tokens) == (tokens_in, tokens_out)
    assert response.total_cost == pytest.approx(_cost(tokens_in, tokens_out))
    inner = [s for s in cap.spans() if s.name == n.SPAN_REQUEST]
    assert sum(s.attributes[n.LLM_TOKENS_INPUT] for s in inner) == tokens_in
    assert cap.metric(n.METRIC_TOKENS_INPUT) == tokens_in
    assert cap.metric(n.METRIC_TOKENS_OUTPUT) == tokens_out
    assert cap.metric(n.METRIC_REQUESTS) == steps + tools + finals
    assert cap.metric(n.METRIC_COST) == pytest.approx(_cost(tokens_in, tokens_out))
    # the agent records none of the per-call metrics itself
    for point in cap.metric_points(n.METRIC_TOKENS_INPUT) + cap.metric_points(n.METRIC_REQUESTS):
        assert n.LABEL_REASONING_EFFORT not in point
    root = cap.one(n.SPAN_AGENT)
    assert root.attributes[n.LLM_REASONING_TOKENS_INPUT] == tokens_in
    assert root.attributes[n.LLM_REASONING_TOKENS_OUTPUT] == tokens_out
    assert root.attributes[n.LLM_REASONING_TOKENS_TOTAL] == tokens_in + tokens_out
    assert root.attributes[n.LLM_REASONING_COST_TOTAL] == pytest.approx(
        _cost(tokens_in, tokens_out)
    )
    # the guide's SUM(llm.cost.total) over every span counts each call once, the run not again
    total = sum(s.attributes.get(n.LLM_COST_TOTAL, 0) for s in cap.spans())
    assert total == pytest.approx(_cost(tokens_in, tokens_out))


def _assert_agent_metrics(
    cap: Captured, iterations: int, tool_calls: int, success: bool, effort: str = "medium"
) -> None:
    labels = agent_labels(effort=effort)
    assert cap.metric(n.METRIC_REASONING_REQUESTS, **labels) == 1
    assert cap.metric(n.METRIC_REASONING_ITERATIONS, **labels) == iterations
    assert cap.metric(n.METRIC_REASONING_TOOL_CALLS, **labels) == tool_calls
    assert cap.metric(n.METRIC_REASONING_SUCCESS, **labels) == (1 if success else 0)
    assert cap.metric(n.METRIC_REASONING_ITERATIONS_PER_REQUEST, **labels) == 1  # one run recorded


# --------------------------------------------------------------------------- scenarios


def test_trip_planning_with_two_tools_is_the_guides_xray(cap):
    wire = AgentWire(
        steps=[
            step("First I need flights to Lisbon.", "use_tool", "search_flights"),
            step("Now a hotel for two nights.", "use_tool", "search_hotels"),
            step("I have a flight and a hotel.", "finished"),
        ],
        tool_args={
            "search_flights": {"destination": "Lisbon", "date": "2025-06-06"},
            "search_hotels": {"city": "Lisbon", "nights": 2},
        },
        final="Fly TP1350 on Friday and stay two nights at Casa Lisboa.",
    )
    agent = _agent(tools=[search_flights, search_hotels], max_iterations=8)
    with wire.installed():
        events = list(agent.stream_sync(TRIP))

    assert summarize(events) == [
        ("thinking", 0, ""),
        ("thinking", 1, "First I need flights to Lisbon."),
        ("predict", 1, "search_flights", {"destination": "Lisbon", "date": "2025-06-06"}),
        ("result", 1, "search_flights", "TP1350 to Lisbon on 2025-06-06: 120 EUR"),
        ("thinking", 2, "Now a hotel for two nights."),
        ("predict", 2, "search_hotels", {"city": "Lisbon", "nights": 2}),
        ("result", 2, "search_hotels", {"Casa Lisboa": 180}),
        ("thinking", 3, "I have a flight and a hotel."),
        ("text", "Fly TP1350 on Friday and stay two nights at Casa Lisboa."),
        ("response", "Fly TP1350 on Friday and stay two nights at Casa Lisboa."),
    ]
    assert wire.calls == [
        "step",
        "tool:search_flights",
        "step",
        "tool:search_hotels",
        "step",
        "final",
    ]
    # the model saw the tool results in the next step
    assert "TP1350 to Lisbon" in wire.bodies[2]["messages"][-1]["content"]

    root = cap.one(n.SPAN_AGENT)
    assert root.parent is None
    assert cap.tree(root, depth=1) == TRIP_CHILDREN
    for child in cap.children(root):
        _assert_inner_calls(cap, child, 1)
    assert root.status.status_code == StatusCode.UNSET
    assert {
        k: root.attributes[k]
        for k in (
            n.LLM_REASONING_EFFORT,
            n.LLM_REASONING_ITERATIONS_TOTAL,
            n.LLM_REASONING_TOOL_CALLS_TOTAL,
            n.GEN_AI_OPERATION_NAME,
            n.GEN_AI_AGENT_NAME,
            n.LLM_MODEL,
            n.LLM_PROVIDER,
        )
    } == {
        n.LLM_REASONING_EFFORT: "medium",
        n.LLM_REASONING_ITERATIONS_TOTAL: 3,
        n.LLM_REASONING_TOOL_CALLS_TOTAL: 2,
        n.GEN_AI_OPERATION_NAME: n.OP_INVOKE_AGENT,
        n.GEN_AI_AGENT_NAME: "ReasoningAgent",
        n.LLM_MODEL: MODEL,
        n.LLM_PROVIDER: "openai",
    }
    thinking = cap.one("reasoning.thinking.iteration_1")
    assert thinking.attributes[n.REASONING_ITERATION] == 1
    assert thinking.attributes[n.REASONING_THINKING_CONTENT_LENGTH] == len(
        "First I need flights to Lisbon."
    )
    assert thinking.attributes[n.REASONING_NEXT_ACTION] == "use_tool"
    assert n.REASONING_THINKING_CONTENT not in thinking.attributes  # content capture is off
    assert (
        cap.one("reasoning.thinking.iteration_3").attributes[n.REASONING_NEXT_ACTION] == "finished"
    )
    for name, args in (("search_flights", 2), ("search_hotels", 2)):
        tool = cap.one(f"reasoning.tool.{name}")
        assert tool.attributes[n.TOOL_NAME] == name
        assert tool.attributes[n.GEN_AI_TOOL_NAME] == name
        assert tool.attributes[n.TOOL_ARGUMENTS_COUNT] == args
        assert tool.attributes[n.GEN_AI_OPERATION_NAME] == n.OP_EXECUTE_TOOL
        assert tool.attributes[n.GEN_AI_TOOL_CALL_ID].startswith("call_")
        assert tool.status.status_code == StatusCode.UNSET
    # what a sampler sees at span start
    assert cap.start_attributes(root)[n.LLM_MODEL] == MODEL
    assert cap.start_attributes(root)[n.GEN_AI_OPERATION_NAME] == n.OP_INVOKE_AGENT
    assert cap.start_attributes(root)[n.LLM_REASONING_EFFORT] == "medium"
    assert (
        cap.start_attributes(cap.one("reasoning.tool.search_hotels"))[n.GEN_AI_TOOL_NAME]
        == "search_hotels"
    )

    response = events[-1]
    assert response.trace_context is not None
    assert response.trace_id == format(root.context.trace_id, "032x")
    assert response.span_id == format(root.context.span_id, "016x")
    _assert_totals_once(cap, response, steps=3, tools=2, finals=1)
    _assert_agent_metrics(cap, iterations=3, tool_calls=2, success=True)
    assert cap.unfinished() == []


def test_no_tools_thinks_then_answers(cap):
    wire = AgentWire(
        steps=[step("15 * 23 = 345.", "continue_thinking"), step("345 + 7 = 352.", "finished")],
        final="15 * 23 + 7 = 352",
    )
    with wire.installed():
        events = list(_agent().stream_sync([{"role": "user", "content": "Solve: 15 * 23 + 7"}]))

    assert summarize(events) == [
        ("thinking", 0, ""),
        ("thinking", 1, "15 * 23 = 345."),
        ("thinking", 2, "345 + 7 = 352."),
        ("text", "15 * 23 + 7 = 352"),
        ("response", "15 * 23 + 7 = 352"),
    ]
    root = cap.one(n.SPAN_AGENT)
    assert cap.tree(root, depth=1) == [
        "reasoning.thinking.iteration_1",
        "reasoning.thinking.iteration_2",
        n.SPAN_FINAL_ANSWER,
    ]
    assert (
        cap.one("reasoning.thinking.iteration_1").attributes[n.REASONING_NEXT_ACTION]
        == "continue_thinking"
    )
    _assert_totals_once(cap, events[-1], steps=2, tools=0, finals=1)
    _assert_agent_metrics(cap, iterations=2, tool_calls=0, success=True)


def test_one_tool_from_a_tool_definition(cap):
    wire = AgentWire(
        steps=[
            step("Let me compute it.", "use_tool", "calculator"),
            step("It is 352.", "finished"),
        ],
        tool_args={"calculator": {"expression": "15 * 23 + 7"}},
        final="352",
    )
    with wire.installed():
        events = list(
            _agent(tools=[CALCULATOR], reasoning_effort="high").stream_sync(
                [{"role": "user", "content": "Solve: 15 * 23 + 7"}]
            )
        )

    assert summarize(events)[2:4] == [
        ("predict", 1, "calculator", {"expression": "15 * 23 + 7"}),
        ("result", 1, "calculator", "352"),
    ]
    # the tools request offered exactly the one chosen tool, and required a call
    tools_body = wire.bodies[1]
    assert [t["function"]["name"] for t in tools_body["tools"]] == ["calculator"]
    assert tools_body["tool_choice"] == "required"
    tool = cap.one("reasoning.tool.calculator")
    assert tool.attributes[n.TOOL_ARGUMENTS_COUNT] == 1
    _assert_inner_calls(cap, tool, 1)
    assert cap.one(n.SPAN_AGENT).attributes[n.LLM_REASONING_EFFORT] == "high"
    _assert_totals_once(cap, events[-1], steps=2, tools=1, finals=1)
    _assert_agent_metrics(cap, iterations=2, tool_calls=1, success=True, effort="high")


def test_a_failing_tool_is_an_error_the_model_sees_and_the_loop_goes_on(cap):
    wire = AgentWire(
        steps=[
            step("Search flights.", "use_tool", "broken_flights"),
            step("The API is down; say so.", "finished"),
        ],
        tool_args={"broken_flights": {"destination": "Lisbon"}},
        final="The flight search is unavailable right now.",
    )
    with wire.installed():
        events = list(_agent(tools=[broken_flights]).stream_sync(TRIP))

    assert summarize(events) == [
        ("thinking", 0, ""),
        ("thinking", 1, "Search flights."),
        ("predict", 1, "broken_flights", {"destination": "Lisbon"}),
        (
            "error",
            "Tool 'broken_flights' failed: it raised ValueError: flight API unavailable for Lisbon",
        ),
        ("thinking", 2, "The API is down; say so."),
        ("text", "The flight search is unavailable right now."),
        ("response", "The flight search is unavailable right now."),
    ]
    assert (
        "ValueError: flight API unavailable for Lisbon" in wire.bodies[2]["messages"][-1]["content"]
    )
    tool = cap.one("reasoning.tool.broken_flights")
    assert tool.status.status_code == StatusCode.ERROR
    assert tool.attributes[n.ERROR_TYPE] == "ValueError"
    assert [e.name for e in tool.events] == ["exception"]
    _assert_inner_calls(cap, tool, 1)  # the prediction is inside the tool span too
    root = cap.one(n.SPAN_AGENT)
    assert root.status.status_code == StatusCode.UNSET  # the run itself succeeded
    _assert_totals_once(cap, events[-1], steps=2, tools=1, finals=1)
    _assert_agent_metrics(cap, iterations=2, tool_calls=1, success=True)


def test_an_unknown_tool_name_is_reported_and_the_loop_continues(cap):
    wire = AgentWire(
        steps=[
            step("Trains might be nicer.", "use_tool", "search_trains"),
            step("Flights then.", "finished"),
        ],
        final="Take a flight.",
    )
    with wire.installed():
        events = list(_agent(tools=[search_flights]).stream_sync(TRIP))

    summary = summarize(events)
    assert summary[2] == (
        "error",
        "Iteration 1 chose unknown tool 'search_trains' (available tools: search_flights).",
    )
    assert summary[3] == ("thinking", 2, "Flights then.")
    assert wire.calls == [
        "step",
        "step",
        "final",
    ]  # no argument prediction for a tool that does not exist
    assert "unknown tool 'search_trains'" in wire.bodies[1]["messages"][-1]["content"]
    root = cap.one(n.SPAN_AGENT)
    assert cap.tree(root, depth=1) == [
        "reasoning.thinking.iteration_1",
        "reasoning.thinking.iteration_2",
        n.SPAN_FINAL_ANSWER,
    ]
    _assert_totals_once(cap, events[-1], steps=2, tools=0, finals=1)
    _assert_agent_metrics(cap, iterations=2, tool_calls=0, success=True)


def test_an_unparseable_step_is_retried_then_the_run_ends_unsuccessfully(cap):
    wire = AgentWire(steps=["I think... no JSON here", '{"thought": 3}', "{broken"])
    with wire.installed():
        events = list(_agent(max_parse_retries=2).stream_sync(TRIP))

    summary = summarize(events)
    assert summary[0] == ("thinking", 0, "")
    errors = [e for e in summary if e[0] == "error"]
    assert len(errors) == 4
    assert [
        e[1].startswith(f"Could not parse reasoning step (attempt {i} of 3)")
        for i, e in zip((1, 2, 3), errors, strict=False)
    ] == [True] * 3
    assert errors[3][1].startswith("The reasoning step could not be parsed after 3 attempts")
    assert summary[-1] == ("response", "")
    assert events[-1].finish_reason == "error"
    assert wire.calls == ["step", "step", "step"]  # no final answer

    root = cap.one(n.SPAN_AGENT)
    assert root.status.status_code == StatusCode.ERROR
    assert root.attributes[n.ERROR_TYPE] == "reasoning_step_unparseable"
    iteration = cap.one("reasoning.thinking.iteration_1")
    assert iteration.status.status_code == StatusCode.ERROR
    assert iteration.attributes[n.REASONING_PARSE_ATTEMPTS] == 3
    assert cap.tree(root, depth=1) == ["reasoning.thinking.iteration_1"]
    _assert_inner_calls(cap, iteration, 3)
    _assert_agent_metrics(cap, iterations=1, tool_calls=0, success=False)
    assert cap.unfinished() == []


def test_one_bad_step_is_retried_and_the_run_succeeds(cap):
    wire = AgentWire(steps=["not json", step("Got it.", "finished")], final="Done.")
    with wire.installed():
        events = list(_agent().stream_sync(TRIP))

    summary = summarize(events)
    assert summary[1][0] == "error" and "attempt 1 of 3" in summary[1][1]
    assert summary[2:] == [("thinking", 1, "Got it."), ("text", "Done."), ("response", "Done.")]
    iteration = cap.one("reasoning.thinking.iteration_1")
    assert iteration.attributes[n.REASONING_PARSE_ATTEMPTS] == 2
    assert iteration.status.status_code == StatusCode.UNSET
    _assert_inner_calls(cap, iteration, 2)
    _assert_agent_metrics(cap, iterations=1, tool_calls=0, success=True)


def test_hitting_max_iterations_reports_it_and_still_answers(cap):
    wire = AgentWire(
        steps=[step("Hmm.", "continue_thinking"), step("Still thinking.", "continue_thinking")],
        final="Best guess: Lisbon in June.",
    )
    with wire.installed():
        events = list(_agent(max_iterations=2).stream_sync(TRIP))

    assert summarize(events) == [
        ("thinking", 0, ""),
        ("thinking", 1, "Hmm."),
        ("thinking", 2, "Still thinking."),
        (
            "error",
            "Maximum iterations (2) reached without finishing; answering with the reasoning so far.",
        ),
        ("text", "Best guess: Lisbon in June."),
        ("response", "Best guess: Lisbon in June."),
    ]
    root = cap.one(n.SPAN_AGENT)
    assert cap.tree(root, depth=1) == [
        "reasoning.thinking.iteration_1",
        "reasoning.thinking.iteration_2",
        n.SPAN_FINAL_ANSWER,
    ]
    assert root.attributes[n.LLM_REASONING_ITERATIONS_TOTAL] == 2
    assert root.attributes[n.LLM_REASONING_SUCCESS] is False
    _assert_totals_once(cap, events[-1], steps=2, tools=0, finals=1)
    _assert_agent_metrics(cap, iterations=2, tool_calls=0, success=False)


def test_semconv_opt_in_names_the_agent_and_tool_spans_by_the_genai_conventions(cap, monkeypatch):
    monkeypatch.setenv(n.SEMCONV_OPT_IN_ENV, n.SEMCONV_OPT_IN_VALUE)
    wire = AgentWire(
        steps=[step("Flights.", "use_tool", "search_flights"), step("Done.", "finished")],
        tool_args={"search_flights": {"destination": "Lisbon", "date": "2025-06-06"}},
    )
    with wire.installed():
        _agent(tools=[search_flights])(TRIP)

    root = cap.one(n.semconv_span_agent("ReasoningAgent"))
    assert cap.tree(root, depth=1) == [
        "reasoning.thinking.iteration_1",
        n.semconv_span_tool("search_flights"),
        "reasoning.thinking.iteration_2",
        n.SPAN_FINAL_ANSWER,
    ]
    assert root.attributes[n.LLM_REASONING_EFFORT] == "medium"
