"""The guide's zero-config and manual setup examples, run in fresh interpreters.

See tests/guide/conftest.py for where the calls go and why some examples run in a fresh
interpreter."""

from __future__ import annotations

import fnmatch
import json
import os
import random
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

from harness.collector import Collector
from harness.simulator import Simulator
from sik_llms import telemetry
from sik_llms.telemetry import names as n
from tests.guide.guide_helpers import (
    assert_one_call_tree,
    hex_trace,
    run_script,
    trace_resources,
)

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
