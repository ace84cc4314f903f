"""Adversarial checks of SDK client sharing in replay-only cassette sessions, seen from a
user's suite: a test must behave the same whether or not an earlier test built the SDK client."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]

# Two tests in the style of OpenTelemetry's own TestBase: each one installs a fresh global
# tracer provider (reset_trace_globals) and expects the spans of its calls there. The
# Anthropic SDK's own span is on (sdk_open_telemetry=None), and it uses the global provider.
SDK_SPAN_MODULE = textwrap.dedent(
    """
    import pytest
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.test.globals_test import reset_trace_globals

    from sik_llms import create_client, user_message


    @pytest.fixture
    def exporter():
        reset_trace_globals()
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        return exporter


    @pytest.mark.parametrize("run", ["first", "second"])
    @pytest.mark.llm_cassette("anthropic/text")
    def test_the_sdk_span_reaches_this_tests_provider(exporter, run):
        client = create_client(
            "claude-sonnet-4-6",
            api_key="sk-ant-test-0000",
            base_url="http://simulator.invalid",
            stream=False,
            sdk_open_telemetry=None,
        )
        assert "Paris" in client([user_message("What's the capital of France?")]).response
        assert "anthropic.messages.create" in [s.name for s in exporter.get_finished_spans()]
    """
)


def test_the_anthropic_sdks_own_span_goes_to_the_tracer_provider_of_the_test_that_made_the_call(
    pytester: pytest.Pytester,
) -> None:
    """The Anthropic SDK gets its tracer from the global provider on a client's first request
    and keeps it: a client shared from an earlier test would send this test's SDK span to the
    earlier test's provider (each test passes alone, the second fails in the suite)."""
    pytester.makeini(f"[pytest]\nllm_cassette_dir = {ROOT / 'cassettes'}\n")
    pytester.makepyfile(test_sdk_span=SDK_SPAN_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=2)
