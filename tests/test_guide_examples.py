"""Every Python example of the guide (``shared/seed/otel_101.md``) runs, offline, and does what it says.

Each test names the guide section and lines it runs, keeps the guide's code as printed where it
works, and where it does not (OpenTelemetry 1.45 APIs, the guide's own slips) first shows the
printed form failing and then runs the corrected form. Assertions are on real captured spans and
metrics: names, parents, attributes, links, trace ids across services.

Where the calls go: the guide writes ``create_client("gpt-4o-mini")`` with no URL or key, so the
tests set ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` (read by the OpenAI SDK) and the guide's line
runs unchanged. They point at the provider simulator on 127.0.0.1, scripted with the guide's
prompts (``GUIDE_SCENARIO``), or at ``http://simulator.invalid/v1`` while a project cassette
replays (the sampler examples). Telemetry goes to in-memory exporters (``harness.spans.capture``) or to
the loopback OTLP collector (``harness.collector``). Examples that configure OpenTelemetry
globally (zero-config, the manual setup, the detection snippets) run in a fresh interpreter,
because global providers can be set only once per process; in-process tests use
``capture(global_=True)``, which restores the globals afterwards.
"""

from __future__ import annotations

import fnmatch

import io
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, TraceIdRatioBased

from harness.cassettes import suite
from harness.spans.capture import capture
from harness.cassettes import use_cassette
from harness.collector import Collector
from harness.simulator import Simulator, simulator_fixture
from sik_llms import telemetry
from sik_llms.telemetry import names as n

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT.parent / "shared" / "seed" / "otel_101.md"
CASSETTES = ROOT / "cassettes"

# --------------------------------------------------------------------------- where calls go

#: The simulator's script for the guide's prompts (anything else gets its deterministic default
#: answer). The agent rules make the guide's ReasoningAgent tree come true: think, use the
#: calculator once, think twice more, answer.
GUIDE_SCENARIO: dict[str, Any] = {
    "name": "guide",
    "description": "the prompts of shared/seed/otel_101.md",
    "rules": [
        {
            "name": "agent done",
            "match": {
                "response_format": True,
                "last_user": "15 * 23 + 7",
                "last_user_regex": "Thought 2:",
            },
            "reply": {"json": {"thought": "Both steps agree: 352.", "next_action": "finished"}},
        },
        {
            "name": "agent check",
            "match": {
                "response_format": True,
                "last_user": "15 * 23 + 7",
                "last_user_regex": r"Tool calculator\(",
            },
            "reply": {
                "json": {
                    "thought": "15 * 23 = 345, plus 7 is 352.",
                    "next_action": "continue_thinking",
                }
            },
        },
        {
            "name": "agent first",
            "match": {"response_format": True, "last_user": "15 * 23 + 7"},
            "reply": {
                "json": {
                    "thought": "Multiply first, with the calculator.",
                    "next_action": "use_tool",
                    "tool_name": "calculator",
                }
            },
        },
        {
            "name": "agent tool arguments",
            "match": {"last_user": "15 * 23 + 7", "tools_offered": ["calculator"]},
            "reply": {"tool_calls": [{"name": "calculator", "arguments": {"a": 15, "b": 23}}]},
        },
        {
            "name": "agent answer",
            "match": {"last_user": "15 * 23 + 7"},
            "reply": {"text": "15 * 23 + 7 = 352."},
        },
        {
            "name": "capital",
            "match": {"last_user": "capital of France"},
            "reply": {"text": "The capital of France is Paris."},
        },
        {"name": "sum", "match": {"last_user": "What's 2+2?"}, "reply": {"text": "2 + 2 = 4."}},
        {
            "name": "hello",
            "match": {"last_user_regex": "^Hello$"},
            "reply": {"text": "Hello! How can I help you today?"},
        },
        {
            "name": "quantum",
            "match": {"last_user": "Explain quantum computing"},
            "reply": {
                "text": "Quantum computers use qubits, which can hold superpositions of 0 and 1."
            },
        },
    ],
}

guide_sim = simulator_fixture(scope="module", scenario=GUIDE_SCENARIO)


@pytest.fixture
def guide_env(guide_sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """The guide's bare ``create_client("gpt-4o-mini")`` talks to the simulator on loopback."""
    monkeypatch.setenv("OPENAI_BASE_URL", guide_sim.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-guide-test")
    for name in (
        "OTEL_SDK_DISABLED",
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    ):
        monkeypatch.delenv(name, raising=False)
    return guide_sim


@pytest.fixture
def cassette_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's bare ``create_client(...)`` addresses the host the project's cassettes recorded."""
    monkeypatch.setenv("OPENAI_BASE_URL", suite.SIMULATOR_BASE_URLS["openai"])
    monkeypatch.setenv("OPENAI_API_KEY", suite.SIMULATOR_KEY)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)


def parent_of(span: Any) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def hex_trace(span: Any) -> str:
    return format(span.context.trace_id, "032x")


# --------------------------------------------------------------------------- fresh processes


def run_script(
    tmp_path: Path, name: str, code: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python <name>`` in a fresh interpreter, with the project's environment minus OTEL_* and keys."""
    (tmp_path / name).write_text(code, encoding="utf-8")
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))
    }
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, name],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def trace_resources(collector: Collector) -> list[dict[str, Any]]:
    """Resource attributes of every batch of spans the collector received."""
    return [r for e in collector.exports() if "/v1/traces" in e.path for r in e.resources]


def assert_one_call_tree(spans: list[Any]) -> None:
    """The collector received one call's three spans, chained request > inference > HTTP."""
    by_name = {s.name: s for s in spans}
    names = [s.name for s in spans]
    assert sorted(by_name) == ["http.request", "llm.openai.stream", "llm.request"], names
    assert len({s.trace_id for s in spans}) == 1
    assert by_name["llm.request"].parent_id is None
    assert by_name["llm.openai.stream"].parent_id == by_name["llm.request"].span_id
    assert by_name["http.request"].parent_id == by_name["llm.openai.stream"].span_id


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


# =========================================================================== Zero-config


EXAMPLE_WITH_TELEMETRY = """\
# example_with_telemetry.py
from sik_llms import create_client

# This will automatically create traces!
client = create_client("gpt-4o-mini")
response = client([{"role": "user", "content": "What's the capital of France?"}])
print(response.response)
"""

ZERO_CONFIG_CASES = {
    # "Step 2: Enable sik-llms Telemetry", lines 261-270, plus the header of lines 377-378
    "jaeger": (
        {
            "OTEL_SERVICE_NAME": "my-chatbot",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "{collector}",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer your-token",
        },
        "my-chatbot",
        {"/v1/traces", "/v1/metrics"},
        ("authorization", "Bearer your-token"),
    ),
    # "Step 4" says 'or "sik-llms" if you didn't set a custom name'; the OTel spec's default is
    # unknown_service:<process> (our library's name would merge every zero-config app into one
    # service), and that is what the SDK sends (issue #17)
    "default-service-name": (
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "{collector}"},
        "unknown_service:python*",
        {"/v1/traces", "/v1/metrics"},
        None,
    ),
    # "Production Backends / Honeycomb", lines 503-508: a traces URL with a dataset as the endpoint
    "honeycomb": (
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "{collector}/v1/traces/your-dataset",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=your-api-key",
        },
        "unknown_service:python*",
        {"/v1/traces/your-dataset", "/v1/metrics/your-dataset"},
        ("x-honeycomb-team", "your-api-key"),
    ),
}


@pytest.mark.parametrize("case", list(ZERO_CONFIG_CASES))
def test_zero_config_example_with_telemetry_exports_to_the_collector(
    guide_sim: Simulator, tmp_path: Path, case: str
) -> None:
    # "Step 3: Run Your Code", lines 274-282: example_with_telemetry.py, unchanged, with
    # OTEL_SDK_DISABLED=false and the OTEL_* variables of the case; exported when the process exits.
    variables, service, paths, header = ZERO_CONFIG_CASES[case]
    with Collector() as collector:
        env = {k: v.format(collector=collector.endpoint) for k, v in variables.items()}
        env.update(
            OTEL_SDK_DISABLED="false",
            OPENAI_BASE_URL=guide_sim.openai_base_url,
            OPENAI_API_KEY="sk-guide-test",
        )
        result = run_script(tmp_path, "example_with_telemetry.py", EXAMPLE_WITH_TELEMETRY, env)
        spans = collector.wait_for_spans(3)
    assert result.stdout == "The capital of France is Paris.\n"
    assert_one_call_tree(spans)
    assert len({s.service for s in spans}) == 1
    assert fnmatch.fnmatchcase(spans[0].service, service), spans[0].service
    assert collector.paths() == paths
    assert collector.state.metric_points[n.METRIC_REQUESTS] == 1
    if header is not None:
        assert all(e.headers.get(header[0]) == header[1] for e in collector.exports())


# =========================================================================== Manual setup


MANUAL_SETUP = """\
# main.py - Your application startup
from opentelemetry import trace, metrics
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.resources import Resource

# 1. Define your service
resource = Resource.create({
    "service.name": "my-production-app",
    "service.version": "1.2.3",
    "deployment.environment": "production",
    "team.name": "ai-platform"
})

# 2. Configure tracing
trace_provider = TracerProvider(resource=resource)
trace.set_tracer_provider(trace_provider)

# 3. Set up trace exporter (send to your backend)
trace_exporter = OTLPSpanExporter(
    endpoint="https://api.honeycomb.io/v1/traces/your-dataset",
    headers={"x-honeycomb-team": "your-api-key"}
)
trace_processor = BatchSpanProcessor(trace_exporter)
trace_provider.add_span_processor(trace_processor)

# 4. Configure metrics
metric_exporter = OTLPMetricExporter(
    endpoint="https://api.honeycomb.io/v1/metrics/your-dataset",
    headers={"x-honeycomb-team": "your-api-key"}
)
metric_reader = PeriodicExportingMetricReader(
    exporter=metric_exporter,
    export_interval_millis=10000  # Export every 10 seconds
)
metrics_provider = MeterProvider(resource=resource, metric_readers=[metric_reader])
metrics.set_meter_provider(metrics_provider)

# 5. Now use sik-llms - it will automatically use your configuration!
from sik_llms import create_client

client = create_client("gpt-4o-mini")
response = client([{"role": "user", "content": "Hello"}])
"""

REPORT = """
import json
print(json.dumps({"response": response.response, "trace_id": response.trace_id,
                  "tracer_provider_kept": trace.get_tracer_provider() is trace_provider,
                  "meter_provider_kept": metrics.get_meter_provider() is metrics_provider}))
"""


@pytest.mark.parametrize(
    "zero_config_too", [False, True], ids=["manual-only", "with-OTEL_SDK_DISABLED=false"]
)
def test_manual_setup_example_is_honoured(
    guide_sim: Simulator, tmp_path: Path, zero_config_too: bool
) -> None:
    # "Manual Setup (Recommended for Production)", lines 396-444, in a fresh process. Changed:
    # the Honeycomb host is the loopback collector (same paths, dataset and header). The guide
    # flushes nothing explicitly: the SDK's exit handlers deliver the spans and metrics.
    # "sik-llms detects your configuration and respects it. No conflicts, no overwrites": with
    # zero-config switched on as well, nothing goes to the zero-config endpoint (the decoy).
    with Collector() as backend, Collector() as decoy:
        code = MANUAL_SETUP.replace("https://api.honeycomb.io", backend.endpoint) + REPORT
        env = {"OPENAI_BASE_URL": guide_sim.openai_base_url, "OPENAI_API_KEY": "sk-guide-test"}
        if zero_config_too:
            env.update(OTEL_SDK_DISABLED="false", OTEL_EXPORTER_OTLP_ENDPOINT=decoy.endpoint)
        result = run_script(tmp_path, "main.py", code, env)
        spans = backend.wait_for_spans(3)  # delivered before the process exited
    report = json.loads(result.stdout)
    assert report == {
        "response": "Hello! How can I help you today?",
        "trace_id": spans[0].trace_id,
        "tracer_provider_kept": True,
        "meter_provider_kept": True,
    }
    assert_one_call_tree(spans)
    resources = trace_resources(backend)
    assert resources and all(
        r["service.name"] == "my-production-app"
        and r["service.version"] == "1.2.3"
        and r["deployment.environment"] == "production"
        and r["team.name"] == "ai-platform"
        for r in resources
    )
    assert backend.paths() == {"/v1/traces/your-dataset", "/v1/metrics/your-dataset"}
    assert all(e.headers.get("x-honeycomb-team") == "your-api-key" for e in backend.exports())
    assert backend.state.metric_points[n.METRIC_REQUESTS] == 1
    assert backend.state.metric_points[n.METRIC_TOKENS_INPUT] > 0
    assert decoy.exports() == []


class SeededIds(IdGenerator):
    """Random ids from a seeded generator, so the 10% draw below is the same on every run."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


def test_advanced_sampling_and_custom_resource(
    guide_env: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Advanced configuration options", lines 447-453 (TraceIdRatioBased(0.1)) and 466-473
    # (custom resource from the environment); "High Memory Usage / 2. Consider sampling", lines
    # 786-793, is the same sampler. Changed: the provider is used through use_providers (the
    # context-local stand-in for trace.set_tracer_provider; the global form is tested above), an
    # in-memory exporter receives the spans, and trace ids are seeded so the draw is repeatable.
    for name, value in {
        "APP_VERSION": "2.0.1",
        "ENVIRONMENT": "staging",
        "HOSTNAME": "pod-7",
        "GIT_SHA": "abc123",
    }.items():
        monkeypatch.setenv(name, value)
    from sik_llms import create_client

    # Custom resource attributes
    resource = Resource.create(
        {
            "service.name": "my-app",
            "service.version": os.getenv("APP_VERSION", "unknown"),
            "deployment.environment": os.getenv("ENVIRONMENT", "development"),
            "k8s.pod.name": os.getenv("HOSTNAME", "local"),
            "git.commit.sha": os.getenv("GIT_SHA", "unknown"),
        }
    )
    # Sampling (only trace 10% of requests for performance)
    trace_provider = TracerProvider(
        resource=resource,
        sampler=TraceIdRatioBased(0.1),  # 10% sampling
        id_generator=SeededIds(7),
    )
    exporter = InMemorySpanExporter()
    trace_provider.add_span_processor(SimpleSpanProcessor(exporter))

    client = create_client("gpt-4o-mini")
    with telemetry.use_providers(trace_provider, None):
        responses = [client([{"role": "user", "content": "Hello"}]) for _ in range(40)]

    sampler = TraceIdRatioBased(0.1)
    expected = {
        r.trace_id
        for r in responses
        if int(r.trace_id, 16) & sampler.TRACE_ID_LIMIT < sampler.bound
    }
    spans = exporter.get_finished_spans()
    kept = {hex_trace(s) for s in spans}
    assert 0 < len(expected) < 40
    assert kept == expected  # exactly the calls the ratio picks, each one whole
    assert len(spans) == 3 * len(kept)
    assert all(r.trace_id for r in responses)  # dropped calls are still linkable
    assert {s.resource.attributes["service.version"] for s in spans} == {"2.0.1"}
    resource_attributes = spans[0].resource.attributes
    assert resource_attributes["deployment.environment"] == "staging"
    assert resource_attributes["k8s.pod.name"] == "pod-7"
    assert resource_attributes["git.commit.sha"] == "abc123"


def test_advanced_multiple_exporters_send_the_same_spans_to_both(guide_env: Simulator) -> None:
    # "Multiple exporters (send to both Jaeger and Honeycomb)", lines 455-464, with both backends
    # on loopback. As printed, OTLPSpanExporter(endpoint="http://localhost:4318") posts to "/":
    # an endpoint passed to the exporter is the full signal URL, so Jaeger (here, the collector)
    # answers 404 and keeps nothing. Corrected: ".../v1/traces".
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from sik_llms import create_client

    with Collector() as jaeger, Collector() as honeycomb:
        for jaeger_endpoint in (jaeger.endpoint, f"{jaeger.endpoint}/v1/traces"):
            trace_provider = TracerProvider(shutdown_on_exit=False)
            jaeger_exporter = OTLPSpanExporter(endpoint=jaeger_endpoint)
            honeycomb_exporter = OTLPSpanExporter(
                endpoint=f"{honeycomb.endpoint}/v1/traces/dataset",
                headers={"x-honeycomb-team": "api-key"},
            )
            trace_provider.add_span_processor(BatchSpanProcessor(jaeger_exporter))
            trace_provider.add_span_processor(BatchSpanProcessor(honeycomb_exporter))
            with telemetry.use_providers(trace_provider, None):
                response = create_client("gpt-4o-mini")([{"role": "user", "content": "Hello"}])
            assert trace_provider.force_flush(5000)
            trace_provider.shutdown()
            if jaeger_endpoint == jaeger.endpoint:  # as printed
                assert jaeger.paths() == {"/"} and jaeger.spans() == []
                assert len(honeycomb.spans()) == 3
            else:
                ids = {s.span_id for s in jaeger.spans() if s.trace_id == response.trace_id}
                assert len(ids) == 3
                assert ids == {
                    s.span_id for s in honeycomb.spans() if s.trace_id == response.trace_id
                }
    assert all(e.headers["x-honeycomb-team"] == "api-key" for e in honeycomb.exports())


# =========================================================================== Detection and troubleshooting


DETECTION = """\
import sys

# Troubleshooting / 3. Check sik-llms telemetry status (lines 722-731)
from sik_llms.telemetry import is_telemetry_enabled, get_tracer

print(f"Telemetry enabled: {is_telemetry_enabled()}")
tracer = get_tracer()
print(f"Tracer available: {tracer is not None}")

if tracer:
    print(f"Tracer type: {type(tracer)}")

# Troubleshooting / 4. Verify provider detection (lines 734-741)
from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider

provider = trace.get_tracer_provider()
print(f"Provider type: {type(provider)}")
print(f"Is NoOp: {isinstance(provider, NoOpTracerProvider)}")

# How sik-llms Detects Your Setup (lines 477-492)
current_provider = trace.get_tracer_provider()

if isinstance(current_provider, NoOpTracerProvider):
    # No user configuration detected
    print("Using zero-config setup")
    # sik-llms sets up automatic configuration
else:
    # User has configured OpenTelemetry
    print("Using manual setup - respecting user configuration")
    # sik-llms just gets a tracer and uses existing setup

# corrected check: an unconfigured process has the API's proxy provider, not a NoOp one
from opentelemetry.trace import ProxyTracerProvider
print(f"Unconfigured: {isinstance(provider, (NoOpTracerProvider, ProxyTracerProvider))}")
print(f"SDK imported: {'opentelemetry.sdk' in sys.modules}")
"""


def test_detection_snippets_in_a_process_with_nothing_configured(tmp_path: Path) -> None:
    # The guide's detection snippets, as printed, in a fresh process with no provider and no
    # OTEL_SDK_DISABLED. sik_llms reports "off" correctly, but the guide's own check says
    # "manual setup": the API's default provider is a ProxyTracerProvider, never a
    # NoOpTracerProvider, so that isinstance test is false in every unconfigured process.
    result = run_script(tmp_path, "detect.py", DETECTION, {})
    assert result.stdout.splitlines() == [
        "Telemetry enabled: False",
        "Tracer available: False",
        "Provider type: <class 'opentelemetry.trace.ProxyTracerProvider'>",
        "Is NoOp: False",
        "Using manual setup - respecting user configuration",
        "Unconfigured: True",
        "SDK imported: False",
    ]


TROUBLESHOOTING = """\
# Traces Not Showing Expected Data / 1. Check span attributes (lines 746-753)
import logging
logging.basicConfig(level=logging.DEBUG)

# No Traces Appearing / 3. Check sik-llms telemetry status (lines 722-731)
from sik_llms.telemetry import is_telemetry_enabled, get_tracer

print(f"Telemetry enabled: {is_telemetry_enabled()}")
tracer = get_tracer()
print(f"Tracer available: {tracer is not None}")

if tracer:
    print(f"Tracer type: {type(tracer)}")

from sik_llms import create_client
client = create_client("gpt-4o-mini")
response = client([{"role": "user", "content": "What's 2+2?"}])

# 2. Verify manual setup isn't conflicting (lines 756-768)
from opentelemetry import trace

provider = trace.get_tracer_provider()
print(f"Current provider: {provider}")

# Check for span processors
if hasattr(provider, '_span_processors'):
    print(f"Span processors: {len(provider._span_processors)}")
    for processor in provider._span_processors:
        print(f"  Processor: {type(processor)}")

# corrected: the SDK keeps them behind its multi-span processor (a private attribute)
processors = provider._active_span_processor._span_processors
print(f"Active span processors: {[type(p).__name__ for p in processors]}")
"""


def test_troubleshooting_snippets_with_zero_config_on(guide_sim: Simulator, tmp_path: Path) -> None:
    # The troubleshooting snippets in a process with OTEL_SDK_DISABLED=false ("1. Check if
    # telemetry is enabled", lines 706-709) and a reachable endpoint. The debug log shows each
    # span as the guide says. Its processor check, as printed, prints nothing: SDK 1.45's
    # TracerProvider has no `_span_processors` attribute.
    with Collector() as collector:
        env = {
            "OTEL_SDK_DISABLED": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OPENAI_BASE_URL": guide_sim.openai_base_url,
            "OPENAI_API_KEY": "sk-guide-test",
        }
        result = run_script(tmp_path, "troubleshoot.py", TROUBLESHOOTING, env)
        spans = collector.wait_for_spans(3)
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Telemetry enabled: True",
        "Tracer available: True",
        "Tracer type: <class 'opentelemetry.sdk.trace.Tracer'>",
    ]
    assert lines[3].startswith("Current provider: <opentelemetry.sdk.trace.TracerProvider object")
    assert not any(line.startswith(("Span processors:", "  Processor:")) for line in lines)
    assert lines[4:] == ["Active span processors: ['BatchSpanProcessor']"]
    assert re.search(
        r"Creating span: llm\.request with attributes: \{.*'llm\.model': 'gpt-4o-mini'",
        result.stderr,
    )
    assert_one_call_tree(spans)


@pytest.mark.parametrize(
    ("section", "settings"),
    [
        # "High Memory Usage / 1. Check batch sizes", lines 773-783
        (
            "memory",
            {"max_queue_size": 512, "schedule_delay_millis": 5000, "max_export_batch_size": 256},
        ),
        # "Performance Impact / 2. Optimize for production", lines 824-835
        (
            "production",
            {
                "max_export_batch_size": 1024,
                "schedule_delay_millis": 30000,
                "export_timeout_millis": 60000,
            },
        ),
    ],
)
def test_batch_processor_snippets_and_force_flush(
    guide_env: Simulator, section: str, settings: dict[str, int]
) -> None:
    # As printed, BatchSpanProcessor(exporter=your_exporter, ...) raises TypeError: the keyword
    # is span_exporter. Corrected, with the guide's sizes, the spans wait for the schedule (5 s /
    # 30 s) until force_flush() delivers them.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    from sik_llms import create_client

    with Collector() as collector:
        your_exporter = OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces")
        with pytest.raises(TypeError, match="exporter"):
            BatchSpanProcessor(exporter=your_exporter, **settings)  # type: ignore[call-arg]

        processor = BatchSpanProcessor(span_exporter=your_exporter, **settings)
        trace_provider = TracerProvider(shutdown_on_exit=False)
        trace_provider.add_span_processor(processor)
        with telemetry.use_providers(trace_provider, None):
            response = create_client("gpt-4o-mini")([{"role": "user", "content": "Hello"}])
        if section == "production":  # 30 s is far beyond this test's own duration
            assert collector.spans() == []
        assert trace_provider.force_flush(5000)
        spans = collector.wait_for_spans(3)
        trace_provider.shutdown()
    assert_one_call_tree(spans)
    assert spans[0].trace_id == response.trace_id


def test_console_exporter_prints_every_span(guide_env: Simulator) -> None:
    # "Exporters: The Delivery System", line 143: "Console Exporter: Prints to terminal (for
    # debugging)". Here it prints into a buffer instead of stdout; force_flush() as a debugging
    # session would call it before reading.
    from sik_llms import create_client

    out = io.StringIO()
    trace_provider = TracerProvider(shutdown_on_exit=False)
    trace_provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out)))
    with telemetry.use_providers(trace_provider, None):
        response = create_client("gpt-4o-mini")([{"role": "user", "content": "What's 2+2?"}])
    assert trace_provider.force_flush()

    printed, text, decoder = [], out.getvalue().strip(), json.JSONDecoder()
    while text:
        span, end = decoder.raw_decode(text)
        printed.append(span)
        text = text[end:].lstrip()
    by_name = {s["name"]: s for s in printed}
    assert sorted(by_name) == ["http.request", "llm.openai.stream", "llm.request"]
    assert {s["context"]["trace_id"] for s in printed} == {"0x" + response.trace_id}
    assert by_name["llm.openai.stream"]["parent_id"] == by_name["llm.request"]["context"]["span_id"]
    assert by_name["llm.request"]["attributes"]["llm.model"] == "gpt-4o-mini"


def test_measure_overhead_snippet(guide_env: Simulator, capsys: pytest.CaptureFixture[str]) -> None:
    # "Performance Impact / 1. Measure overhead", lines 798-821, with its `pass` placeholders
    # replaced by the call. Changed: "(set OTEL_SDK_DISABLED=false)" cannot switch a running
    # process between the loops, so the second loop records into an in-memory capture, and 100
    # iterations become 20. Only what ran is asserted, not the timing.
    from sik_llms import create_client

    client = create_client("gpt-4o-mini")
    messages = [{"role": "user", "content": "What's 2+2?"}]

    # Test with telemetry disabled
    start = time.time()
    for _ in range(20):
        client(messages)
    no_telemetry_time = time.time() - start

    # Test with telemetry enabled
    with capture() as cap:
        start = time.time()
        for _ in range(20):
            client(messages)
        with_telemetry_time = time.time() - start

    overhead = (with_telemetry_time - no_telemetry_time) / no_telemetry_time * 100
    print(f"Telemetry overhead: {overhead:.1f}%")

    assert re.fullmatch(r"Telemetry overhead: -?\d+\.\d%\n", capsys.readouterr().out)
    assert len(cap.find_all("llm.request")) == 20 and len(cap.spans()) == 60
    assert cap.metric_value(n.METRIC_REQUESTS) == 20


# =========================================================================== Advanced usage


def test_custom_instrumentation_user_spans_parent_ours(guide_env: Simulator) -> None:
    # "Custom Instrumentation", lines 845-872, as printed; the guide leaves detect_language,
    # preprocess and postprocess undefined, so they are defined here.
    def detect_language(text: str) -> str:
        return "en"

    def preprocess(text: str) -> str:
        return text.strip()

    def postprocess(text: str) -> str:
        return text.upper()

    with capture(global_=True) as cap:
        from sik_llms import create_client

        tracer = trace.get_tracer("my_app")

        def process_user_request(user_input: str):
            with tracer.start_as_current_span("user.request.processing") as span:
                span.set_attribute("user.input.length", len(user_input))
                span.set_attribute("user.input.language", detect_language(user_input))

                # Preprocessing
                with tracer.start_as_current_span("user.input.preprocessing"):
                    clean_input = preprocess(user_input)

                # LLM call (automatically instrumented by sik-llms)
                client = create_client("gpt-4o-mini")
                with tracer.start_as_current_span("llm.generation") as llm_span:
                    response = client([{"role": "user", "content": clean_input}])
                    llm_span.set_attribute("llm.response.length", len(response.response))

                # Postprocessing
                with tracer.start_as_current_span("response.postprocessing"):
                    final_response = postprocess(response.response)

                span.set_attribute("response.final.length", len(final_response))
                return final_response

        user_input = "  What's 2+2?  "
        final = process_user_request(user_input)

    assert final == "2 + 2 = 4."
    cap.assert_tree(
        f"""
        user.request.processing user.input.length={len(user_input)} user.input.language=en response.final.length={len(final)}
          user.input.preprocessing
          llm.generation llm.response.length={len("2 + 2 = 4.")}
            llm.request llm.model=gpt-4o-mini
              llm.openai.stream
                http.request
          response.postprocessing
        """,
        exact=True,
    )
    assert len({s.context.trace_id for s in cap.spans()}) == 1


def test_span_links_for_evaluation(guide_env: Simulator) -> None:
    # "Span Links for Evaluation", lines 878-902. As printed, the link is built after the
    # evaluation span started and never attached ("a conceptual example"), so the span has no
    # link. Corrected: build the link first and pass it in `links=` when starting the span; or
    # use response.trace_context.create_link(...), which builds the same link.
    with capture(global_=True) as cap:
        from sik_llms import create_client, create_span_link

        tracer = trace.get_tracer("evaluation")

        # Original generation
        client = create_client("gpt-4o-mini")
        response = client([{"role": "user", "content": "Explain quantum computing"}])

        # Later, during evaluation (as printed)
        with tracer.start_as_current_span("evaluation.quality_check") as eval_span:
            # Link back to original generation
            if hasattr(response, "trace_id") and hasattr(response, "span_id"):
                link = create_span_link(
                    trace_id=response.trace_id,
                    span_id=response.span_id,
                    attributes={"link.type": "evaluation_of_generation"},
                )
                # Note: You'd need to add links when creating the span
                # This is a conceptual example

            eval_span.set_attribute("evaluation.score", 0.85)
            eval_span.set_attribute("evaluation.criteria", "accuracy")

        # Corrected: the link goes in when the span starts
        with tracer.start_as_current_span("evaluation.linked", links=[link]) as eval_span:
            eval_span.set_attribute("evaluation.score", 0.85)
        with tracer.start_as_current_span(
            "evaluation.from_response",
            links=[response.trace_context.create_link({"link.type": "evaluation_of_generation"})],
        ):
            pass

    generation = cap.find("llm.request")
    as_printed = cap.find("evaluation.quality_check")
    assert as_printed.attributes == {"evaluation.score": 0.85, "evaluation.criteria": "accuracy"}
    assert list(as_printed.span.links) == []
    for name in ("evaluation.linked", "evaluation.from_response"):
        evaluation = cap.find(name)
        # its own trace, linked to the generation's llm.request span
        assert evaluation.parent is None and evaluation.trace_id != generation.trace_id
        (linked,) = evaluation.span.links
        assert linked.context.trace_id == generation.trace_id
        assert linked.context.span_id == generation.span_id
        assert dict(linked.attributes) == {"link.type": "evaluation_of_generation"}


def test_custom_metrics_next_to_ours(guide_env: Simulator) -> None:
    # "Custom Metrics", lines 908-946, as printed; the guide leaves get_user_tier,
    # classify_conversation and get_user_feedback undefined, so they are defined here.
    def get_user_tier(user_id: str) -> str:
        return "pro" if user_id.startswith("p") else "free"

    def classify_conversation(messages: list[dict[str, str]]) -> str:
        return "question" if messages[-1]["content"].endswith("?") else "statement"

    def get_user_feedback(user_id: str, text: str) -> float:
        return 4.5

    with capture(global_=True) as cap:
        from sik_llms import create_client

        meter = metrics.get_meter("my_app")

        # Custom counters
        conversation_counter = meter.create_counter(
            name="conversations_total",
            description="Total number of conversations",
            unit="conversation",
        )

        user_satisfaction_histogram = meter.create_histogram(
            name="user_satisfaction_score", description="User satisfaction ratings", unit="score"
        )

        def handle_conversation(messages, user_id):
            client = create_client("gpt-4o-mini")

            # Increment conversation counter
            conversation_counter.add(
                1,
                {
                    "user_tier": get_user_tier(user_id),
                    "conversation_type": classify_conversation(messages),
                },
            )

            response = client(messages)

            # Record satisfaction (from user feedback later)
            satisfaction = get_user_feedback(user_id, response.response)
            user_satisfaction_histogram.record(
                satisfaction, {"model": "gpt-4o-mini", "response_length": len(response.response)}
            )

            return response

        handle_conversation([{"role": "user", "content": "What's 2+2?"}], "p-42")
        handle_conversation([{"role": "user", "content": "What's 2+2?"}], "f-7")

    conversations = cap.metric_value
    assert conversations("conversations_total", user_tier="pro", conversation_type="question") == 1
    assert conversations("conversations_total", user_tier="free") == 1
    answer_length = len("2 + 2 = 4.")
    satisfaction = cap.metric_value(
        "user_satisfaction_score", model="gpt-4o-mini", response_length=answer_length
    )
    assert (satisfaction["count"], satisfaction["sum"]) == (2, 9.0)
    # ours, recorded by the same meter provider
    assert cap.metric_value(n.METRIC_REQUESTS, llm_model="gpt-4o-mini") == 2


UPSTREAM_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
UPSTREAM_SPAN = "00f067aa0ba902b7"


def test_multi_service_tracing_as_printed_does_not_run() -> None:
    # "Multi-Service Tracing", lines 952-976, as printed: TextMapPropagator is the abstract base
    # class (no W3C format in it), and opentelemetry.trace has no use_context.
    from opentelemetry.propagators.textmap import TextMapPropagator

    with pytest.raises(TypeError, match="abstract"):
        TextMapPropagator().extract({"traceparent": f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01"})  # type: ignore[abstract]
    assert not hasattr(trace, "use_context")


def _propagator(kind: str) -> tuple[Any, Any]:
    if kind == "propagate":
        from opentelemetry.propagate import extract, inject

        return extract, inject
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    w3c = TraceContextTextMapPropagator()
    return w3c.extract, w3c.inject


@pytest.mark.parametrize("kind", ["propagate", "TraceContextTextMapPropagator"])
def test_multi_service_tracing_one_trace_across_services(guide_env: Simulator, kind: str) -> None:
    # "Multi-Service Tracing", lines 952-976, corrected: Service A continues the caller's trace
    # from the incoming headers and injects its own span into the headers it sends to Service B;
    # B extracts them and runs the sik_llms call under that context (the guide's
    # `trace.use_context(context)` is context.attach / detach). Each service has its own
    # providers (its own capture, starting from an empty context), so only the headers carry
    # the trace between them. No web framework: the request is a plain object.
    extract, inject = _propagator(kind)
    from sik_llms import create_client

    services: dict[str, Any] = {}

    # Service B: LLM Service
    def call_llm_service(data, headers):
        with capture() as llm_service:
            services["llm_service"] = llm_service
            tracer = llm_service.tracer("llm_service")
            # Continue the trace from Service A
            token = otel_context.attach(extract(headers))
            try:
                with tracer.start_as_current_span("llm_service.process"):
                    client = create_client("gpt-4o-mini")
                    return client(data["messages"])
            finally:
                otel_context.detach(token)

    # Service A: Web API
    with capture(global_=True) as web_api:
        tracer = trace.get_tracer("web_api")

        def chat_endpoint(request):
            # Extract trace context from HTTP headers
            with tracer.start_as_current_span("api.chat.request", context=extract(request.headers)):
                # Call Service B with trace context
                outgoing: dict[str, str] = {}
                inject(outgoing)
                response = call_llm_service(request.json, outgoing)
                return response

        request = SimpleNamespace(
            headers={"traceparent": f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01"},
            json={"messages": [{"role": "user", "content": "What's 2+2?"}]},
        )
        response = chat_endpoint(request)

    (api,) = web_api.spans()
    assert api.name == "api.chat.request"
    assert (hex_trace(api), format(parent_of(api) or 0, "016x")) == (UPSTREAM_TRACE, UPSTREAM_SPAN)
    llm_service = services["llm_service"]
    service_b = {s.name: s for s in llm_service.spans()}
    assert sorted(service_b) == [
        "http.request",
        "llm.openai.stream",
        "llm.request",
        "llm_service.process",
    ]
    # one trace, three parties: the caller, Service A, Service B
    assert {hex_trace(s) for s in service_b.values()} == {UPSTREAM_TRACE}
    assert parent_of(service_b["llm_service.process"]) == api.context.span_id
    assert parent_of(service_b["llm.request"]) == service_b["llm_service.process"].context.span_id
    assert response.trace_id == UPSTREAM_TRACE


def test_multi_service_guide_flow_splits_the_trace(guide_env: Simulator) -> None:
    # The guide's flow with only its API names fixed (propagate.extract, context.attach): Service
    # A hands B the context it *extracted* from its own incoming request, not its own span. B then
    # hangs off A's caller, beside A instead of under it, and A's span is in a different trace.
    from opentelemetry.propagate import extract

    from sik_llms import create_client

    with capture(global_=True) as cap:
        tracer = trace.get_tracer("web_api")

        def call_llm_service(data, context):
            token = otel_context.attach(context)
            try:
                with tracer.start_as_current_span("llm_service.process"):
                    return create_client("gpt-4o-mini")(data["messages"])
            finally:
                otel_context.detach(token)

        with tracer.start_as_current_span("api.chat.request"):
            context = extract({"traceparent": f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01"})
            call_llm_service({"messages": [{"role": "user", "content": "What's 2+2?"}]}, context)

    api, process = cap.find("api.chat.request"), cap.find("llm_service.process")
    assert format(process.trace_id, "032x") == UPSTREAM_TRACE
    assert process.span.parent.span_id == int(UPSTREAM_SPAN, 16)
    assert api.trace_id != process.trace_id and api.children == []


# --------------------------------------------------------------------------- sampling


class GuideCostBasedSampler(Sampler):
    """Sample more expensive operations at higher rates."""  # "Sampling Strategies", lines 982-1009, as printed

    def should_sample(self, parent_context, trace_id, name, kind, attributes, links, trace_state):
        # Always sample reasoning operations (they're complex)
        if "reasoning" in name.lower():
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample expensive models more frequently
        model = attributes.get("llm.model", "")
        if "gpt-4" in model or "claude-3-opus" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample cheap models less frequently
        if "gpt-3.5" in model or "gpt-4o-mini" in model:
            # 10% sampling
            return SamplingResult(
                Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP
            )

        # Default sampling
        return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 5 == 0 else Decision.DROP)


class PrintedRunnable(GuideCostBasedSampler):
    """The printed sampler with only what it needs to run: get_description and defaults."""

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        return super().should_sample(
            parent_context, trace_id, name, kind, attributes or {}, links, trace_state
        )

    def get_description(self) -> str:
        return "PrintedRunnable"


class CostBasedSampler(Sampler):
    """Sample more expensive operations at higher rates (the guide's sampler, corrected)."""

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        attributes = attributes or {}  # the SDK passes None for a span started without attributes
        # Always sample reasoning operations (they're complex)
        if "reasoning" in name.lower():
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

        model = attributes.get("llm.model", "")
        # Sample cheap models less frequently; checked first, since "gpt-4" in "gpt-4o-mini"
        if "gpt-3.5" in model or "gpt-4o-mini" in model:
            # 10% sampling
            return SamplingResult(
                Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP, attributes
            )

        # Sample expensive models more frequently
        if "gpt-4" in model or "claude-3-opus" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

        # Default sampling
        return SamplingResult(
            Decision.RECORD_AND_SAMPLE if trace_id % 5 == 0 else Decision.DROP, attributes
        )

    def get_description(self) -> str:
        return "CostBasedSampler"


def test_cost_based_sampler_as_printed_cannot_run(guide_env: Simulator) -> None:
    # As printed: get_description is abstract, so the class cannot be instantiated.
    with pytest.raises(TypeError, match="get_description"):
        TracerProvider(sampler=GuideCostBasedSampler())  # type: ignore[abstract]

    # With get_description added but trace_state still required, the SDK's call (which passes
    # six arguments) raises for every span: your own spans fail, and sik_llms drops its telemetry
    # for the call (the call itself still answers).
    class WithDescription(GuideCostBasedSampler):
        def get_description(self) -> str:
            return "WithDescription"

    exporter = InMemorySpanExporter()
    trace_provider = TracerProvider(sampler=WithDescription(), shutdown_on_exit=False)
    trace_provider.add_span_processor(SimpleSpanProcessor(exporter))
    with pytest.raises(TypeError, match="trace_state"):
        trace_provider.get_tracer("my_app").start_span("user.request")
    from sik_llms import create_client

    with telemetry.use_providers(trace_provider, None):
        response = create_client("gpt-4o-mini")([{"role": "user", "content": "What's 2+2?"}])
    assert response.response == "2 + 2 = 4." and response.trace_id is None
    assert exporter.get_finished_spans() == ()


def test_cost_based_sampler_substring_and_attributes() -> None:
    # `"gpt-4" in model` is true for "gpt-4o-mini", so the printed order never reaches its 10%
    # branch for that model: every gpt-4o-mini trace is kept.
    assert "gpt-4" in "gpt-4o-mini"
    mini = {"llm.model": "gpt-4o-mini"}
    printed, corrected = PrintedRunnable(), CostBasedSampler()
    assert [
        printed.should_sample(None, t, "llm.request", attributes=mini).decision for t in (7, 10)
    ] == [
        Decision.RECORD_AND_SAMPLE,
        Decision.RECORD_AND_SAMPLE,
    ]
    assert [
        corrected.should_sample(None, t, "llm.request", attributes=mini).decision for t in (7, 10)
    ] == [
        Decision.DROP,
        Decision.RECORD_AND_SAMPLE,
    ]
    # A SamplingResult without attributes replaces the span's start attributes with none: your
    # own span loses them (sik_llms puts its own back, see the next test).
    for sampler, kept in ((printed, {}), (corrected, {"user.id": "u1"})):
        exporter = InMemorySpanExporter()
        trace_provider = TracerProvider(sampler=sampler, shutdown_on_exit=False)
        trace_provider.add_span_processor(SimpleSpanProcessor(exporter))
        with trace_provider.get_tracer("my_app").start_as_current_span(
            "reasoning.step", attributes={"user.id": "u1"}
        ):
            pass
        (span,) = exporter.get_finished_spans()
        assert dict(span.attributes) == kept


@pytest.mark.parametrize("sampler", [PrintedRunnable, CostBasedSampler])
def test_cost_based_sampler_on_replayed_calls(cassette_env: None, sampler: type[Sampler]) -> None:
    # "Use the custom sampler", lines 1006-1008, on the project's cassettes: an expensive gpt-4o
    # call (cassettes/openai/expensive.yaml) and a cheap gpt-4o-mini one (text_stream.yaml).
    # gpt-4o is always kept, whole, with its attributes; gpt-4o-mini is kept by the printed order
    # always and by the corrected one exactly when trace_id % 10 == 0.
    from sik_llms import create_client

    trace_provider = TracerProvider(sampler=sampler(), shutdown_on_exit=False)
    exporter = InMemorySpanExporter()
    trace_provider.add_span_processor(SimpleSpanProcessor(exporter))
    with telemetry.use_providers(trace_provider, None):
        with use_cassette(CASSETTES / "openai" / "expensive.yaml"):
            expensive = create_client("gpt-4o")(
                [
                    {
                        "role": "user",
                        "content": "Summarise the quarterly board report in two sentences.",
                    }
                ]
            )
        with use_cassette(CASSETTES / "openai" / "text_stream.yaml"):
            cheap = create_client("gpt-4o-mini")(
                [{"role": "user", "content": "Write a haiku about observability"}]
            )

    spans = exporter.get_finished_spans()
    by_trace: dict[str, list[Any]] = {}
    for span in spans:
        by_trace.setdefault(hex_trace(span), []).append(span)
    assert sorted(s.name for s in by_trace[expensive.trace_id]) == [
        "http.request",
        "llm.openai.stream",
        "llm.request",
    ]
    assert {s.attributes[n.LLM_MODEL] for s in by_trace[expensive.trace_id]} == {"gpt-4o"}
    cheap_kept = sampler is PrintedRunnable or int(cheap.trace_id, 16) % 10 == 0
    assert (cheap.trace_id in by_trace) is cheap_kept
    assert len(spans) == 3 * len(by_trace)


# =========================================================================== the citations


CITED = [
    (77, 'response = client([{"role": "user", "content": "What\'s 2+2?"}])'),
    (111, 'with tracer.start_as_current_span("llm.request") as span:'),
    (130, 'with tracer.start_as_current_span("llm.gpt4.call"):'),
    (158, 'response = client([{"role": "user", "content": "Hello"}])'),
    (180, 'agent = ReasoningAgent(model_name="gpt-4o-mini")'),
    (263, "export OTEL_SDK_DISABLED=false"),
    (280, 'response = client([{"role": "user", "content": "What\'s the capital of France?"}])'),
    (378, 'export OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer your-token"'),
    (421, 'endpoint="https://api.honeycomb.io/v1/traces/your-dataset",'),
    (452, "sampler=TraceIdRatioBased(0.1)  # 10% sampling"),
    (456, 'jaeger_exporter = OTLPSpanExporter(endpoint="http://localhost:4318")'),
    (470, '"k8s.pod.name": os.getenv("HOSTNAME", "local"),'),
    (484, "if isinstance(current_provider, NoOpTracerProvider):"),
    (507, 'export OTEL_EXPORTER_OTLP_HEADERS="x-honeycomb-team=your-api-key"'),
    (725, 'print(f"Telemetry enabled: {is_telemetry_enabled()}")'),
    (740, 'print(f"Is NoOp: {isinstance(provider, NoOpTracerProvider)}")'),
    (749, "logging.basicConfig(level=logging.DEBUG)"),
    (764, "if hasattr(provider, '_span_processors'):"),
    (778, "exporter=your_exporter,"),
    (832, "schedule_delay_millis=30000,   # Export every 30s instead of 5s"),
    (863, 'response = client([{"role": "user", "content": clean_input}])'),
    (891, "if hasattr(response, 'trace_id') and hasattr(response, 'span_id'):"),
    (915, "conversation_counter = meter.create_counter("),
    (963, "context = TextMapPropagator().extract(request.headers)"),
    (972, "with trace.use_context(context):"),
    (
        988,
        "def should_sample(self, parent_context, trace_id, name, kind, attributes, links, trace_state):",
    ),
    (995, 'if "gpt-4" in model or "claude-3-opus" in model:'),
]


@pytest.mark.skipif(not GUIDE.is_file(), reason=f"the guide is not at {GUIDE}")
@pytest.mark.parametrize(("line", "text"), CITED, ids=[str(line) for line, _ in CITED])
def test_cited_guide_lines_still_read_as_quoted(line: int, text: str) -> None:
    # The tests above cite the guide by line; if the guide moves, this says which citation broke.
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    assert text in lines[line - 1], f"otel_101.md line {line} is now {lines[line - 1]!r}"
