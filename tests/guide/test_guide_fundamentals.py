"""The guide's Fundamentals and How sik-llms implements it, run offline.

See tests/guide/conftest.py for where the calls go and why some examples run in a fresh
interpreter."""

from __future__ import annotations

import pytest
from opentelemetry import trace

from harness.simulator import Simulator
from harness.spans.capture import capture
from sik_llms.telemetry import names as n
from tests.guide.guide_helpers import (
    hex_trace,
)

# =========================================================================== Fundamentals


def test_traces_the_story_one_call_makes_the_three_span_tree(guide_env: Simulator) -> None:
    # "What users see", lines 29-33, and "1. Traces = The Story", lines 75-84: one call makes
    # llm.request > llm.openai.stream > http.request. The guide's "Trace: user_question_processing"
    # names the trace; no span has that name unless you create it ("Custom Instrumentation").
    from sik_llms import create_client

    with capture() as cap:
        client = create_client("gpt-4o-mini")
        response = client([{"role": "user", "content": "What's 2+2?"}])

    assert response.response == "2 + 2 = 4."
    cap.assert_tree(
        """
        llm.request [INTERNAL] llm.model=gpt-4o-mini llm.provider=openai
          llm.openai.stream [CLIENT] llm.streaming=true
            http.request [CLIENT] http.request.method=POST http.response.status_code=200
        """,
        exact=True,
    )
    assert response.trace_id == hex_trace(cap.spans()[0])


def test_spans_and_trace_context_snippets_build_the_tree_they_describe() -> None:
    # "Spans: The Building Blocks", lines 109-116, and "Trace Context: Connecting the Dots",
    # lines 124-132, as printed (the guide leaves `tracer` undefined: it is trace.get_tracer(...)).
    with capture(global_=True) as cap:
        tracer = trace.get_tracer("my_app")

        # A span represents one operation
        with tracer.start_as_current_span("llm.request") as span:
            span.set_attribute("llm.model", "gpt-4o-mini")
            span.set_attribute("llm.tokens.input", 150)
            # ... do LLM call ...
            span.set_attribute("llm.tokens.output", 75)

        # Parent span
        with tracer.start_as_current_span("user.question"):
            # Child span (automatically linked)
            with tracer.start_as_current_span("llm.reasoning"):
                # Grandchild span
                with tracer.start_as_current_span("llm.gpt4.call"):
                    pass

    cap.assert_tree(
        """
        llm.request llm.model=gpt-4o-mini llm.tokens.input=150 llm.tokens.output=75
        user.question
          llm.reasoning
            llm.gpt4.call
        """,
        exact=True,
    )


# =========================================================================== How sik-llms implements it


def test_automatic_instrumentation_attributes_and_metrics(guide_env: Simulator) -> None:
    # "Automatic Instrumentation", lines 155-172, "2. Metrics = The Vital Signs", lines 91-97,
    # and "Metrics Collection", lines 203-215 (the Prometheus spelling of these names is proved
    # in tests/test_prometheus_names.py).
    from sik_llms import create_client

    with capture() as cap:
        # Your code:
        client = create_client("gpt-4o-mini")
        response = client([{"role": "user", "content": "Hello"}])

    assert response.response == "Hello! How can I help you today?"
    request = cap.find("llm.request")
    inference = request.children[0]
    assert inference.name == "llm.openai.stream" and inference.attributes[n.LLM_STREAMING] is True
    a = request.attributes
    assert (a[n.LLM_MODEL], a[n.LLM_PROVIDER]) == ("gpt-4o-mini", "openai")
    assert a[n.LLM_TOKENS_INPUT] == response.input_tokens > 0
    assert a[n.LLM_TOKENS_OUTPUT] == response.output_tokens > 0
    assert a[n.LLM_COST_TOTAL] == pytest.approx(response.total_cost) and a[n.LLM_COST_TOTAL] > 0
    # The guide shows llm.request.temperature = 0.7, but its code sets no temperature: the
    # attribute records what was asked for, so it is absent here...
    assert n.LLM_REQUEST_TEMPERATURE not in inference.attributes

    # Metrics Collection: counters with llm_model / llm_provider labels, a duration histogram
    labels = {"llm_model": "gpt-4o-mini", "llm_provider": "openai"}
    assert cap.metric_value(n.METRIC_TOKENS_INPUT, **labels) == a[n.LLM_TOKENS_INPUT]
    assert cap.metric_value(n.METRIC_TOKENS_OUTPUT, **labels) == a[n.LLM_TOKENS_OUTPUT]
    assert cap.metric_value(n.METRIC_COST, **labels) == pytest.approx(a[n.LLM_COST_TOTAL])
    assert cap.metric_value(n.METRIC_REQUEST_DURATION, **labels)["count"] == 1

    # ...and present when the call asks for it.
    with capture() as cap:
        create_client("gpt-4o-mini", temperature=0.7)([{"role": "user", "content": "Hello"}])
    assert cap.find("llm.openai.stream").attributes[n.LLM_REQUEST_TEMPERATURE] == 0.7


def calculator(a: float, b: float) -> float:
    """Multiply two numbers."""
    return a * b


def test_reasoning_agent_deep_instrumentation(guide_env: Simulator) -> None:
    # "ReasoningAgent Deep Instrumentation", lines 178-197. Changed: the guide's tree has a
    # reasoning.tool.calculator span, but its agent has no tools; we give it the calculator.
    from sik_llms import ReasoningAgent

    with capture() as cap:
        agent = ReasoningAgent(model_name="gpt-4o-mini", tools=[calculator])
        response = agent([{"role": "user", "content": "Solve: 15 * 23 + 7"}])

    assert response.response == "15 * 23 + 7 = 352."
    cap.assert_tree(
        """
        llm.reasoning_agent.stream llm.reasoning.effort=medium llm.reasoning.iterations.total=3 llm.reasoning.tool_calls.total=1
          reasoning.thinking.iteration_1
            llm.request
          reasoning.tool.calculator tool.name=calculator tool.arguments_count=2
          reasoning.thinking.iteration_2
          reasoning.thinking.iteration_3
          reasoning.final_answer
            llm.request
              llm.openai.stream llm.streaming=true
        """
    )
    first = cap.find("reasoning.thinking.iteration_1").attributes
    assert first["reasoning.thinking.content_length"] == len("Multiply first, with the calculator.")
    labels = {"reasoning_effort": "medium", "llm_model": "gpt-4o-mini"}
    assert cap.metric_value(n.METRIC_REASONING_ITERATIONS, **labels) == 3
    assert cap.metric_value(n.METRIC_REASONING_TOOL_CALLS, **labels) == 1
