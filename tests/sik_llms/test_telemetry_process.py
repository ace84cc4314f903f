"""Enablement as a whole process sees it: zero-config, manual setup, exit, missing SDK.

Each case runs in a fresh interpreter because OpenTelemetry's global providers can be set
only once per process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from harness.collector import Collector
from tests.conftest import ROOT

PRELUDE = """
import sys, json
sys.path.insert(0, {root!r})
from sik_llms import create_client
from tests.conftest import Script, ok, openai_sse, scripted
def call():
    with scripted(Script(ok(openai_sse("hi")))):
        return create_client("gpt-4o-mini", api_key="sk-test")([{{"role": "user", "content": "hi"}}])
"""


def run_py(
    body: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    code = PRELUDE.format(root=str(ROOT)) + textwrap.dedent(body)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=timeout
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_off_by_default_and_the_sdk_is_never_imported():
    result = run_py(
        """
        r = call()
        from sik_llms.telemetry import is_telemetry_enabled
        print(json.dumps({"sdk": "opentelemetry.sdk" in sys.modules, "enabled": is_telemetry_enabled(),
                          "trace": r.trace_context is None, "text": r.response}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"sdk": false, "enabled": false, "trace": true, "text": "hi"}'


def test_zero_config_exports_with_service_and_resource_attributes():
    with Collector() as collector:
        result = run_py(
            """
            r = call()
            print(r.trace_id)
            """,
            env={
                "OTEL_SDK_DISABLED": "false",
                "OTEL_SERVICE_NAME": "my-chatbot",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_BSP_SCHEDULE_DELAY": "50",
                "OTEL_METRIC_EXPORT_INTERVAL": "100",
            },
        )
        assert result.returncode == 0, result.stderr
        spans = collector.wait_for_spans(3, timeout=10)
    assert {s.name for s in spans} == {"llm.request", "llm.openai.stream", "http.request"}
    assert {s.service for s in spans} == {"my-chatbot"}
    assert {s.trace_id for s in spans} == {result.stdout.strip()}
    assert collector.state.metric_requests >= 1
    assert collector.state.metric_points.get("llm.requests") == 1


def test_exit_with_an_unreachable_collector_is_bounded():
    result = run_py(
        "call(); call()\nimport time\nprint(time.monotonic())",
        env={
            "OTEL_SDK_DISABLED": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        },
    )
    exited = time.monotonic()  # CLOCK_MONOTONIC is system-wide on Linux
    assert result.returncode == 0, result.stderr
    exit_seconds = exited - float(result.stdout.strip().splitlines()[-1])
    # the SDK alone needs 6-30 s here; our bounded flush gives up after about a second
    assert exit_seconds < 4, f"exit took {exit_seconds:.1f}s"
    assert "did not finish within 1.0 s" in result.stderr


def test_manual_tracing_only_is_honoured_and_not_supplemented():
    result = run_py(
        """
        from opentelemetry import trace, metrics
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(tp)
        call()
        print(json.dumps({"spans": len(exporter.get_finished_spans()),
                          "meter": type(metrics.get_meter_provider()).__name__}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"spans": 3, "meter": "_ProxyMeterProvider"}'


def test_zero_config_fills_only_the_missing_signal():
    result = run_py(
        """
        from opentelemetry import trace, metrics
        from opentelemetry.sdk.trace import TracerProvider
        tp = TracerProvider()
        trace.set_tracer_provider(tp)
        call()
        print(json.dumps({"same_tracer": trace.get_tracer_provider() is tp,
                          "meter": type(metrics.get_meter_provider()).__name__}))
        """,
        env={
            "OTEL_SDK_DISABLED": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '{"same_tracer": true, "meter": "MeterProvider"}'


def test_sdk_disabled_true_turns_off_even_manual_setup():
    result = run_py(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(tp)
        r = call()
        print(len(exporter.get_finished_spans()), r.response)
        """,
        env={"OTEL_SDK_DISABLED": "true"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 hi"


def test_missing_sdk_gives_one_clear_message_and_the_call_still_works():
    result = run_py(
        """
        import importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry.sdk" or name.startswith("opentelemetry.sdk."):
                    raise ImportError("blocked for the test: " + name)
        sys.meta_path.insert(0, Block())
        print(call().response, call().response)
        """,
        env={"OTEL_SDK_DISABLED": "false"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hi hi"
    assert result.stderr.count("pip install 'sik-llms[telemetry]'") == 1


@pytest.mark.parametrize("protocol", ["grpc"])
def test_grpc_without_its_exporter_falls_back_with_a_message(protocol):
    result = run_py(
        """
        import importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.startswith("opentelemetry.exporter.otlp.proto.grpc"):
                    raise ImportError("blocked")
        sys.meta_path.insert(0, Block())
        print(call().response)
        """,
        env={
            "OTEL_SDK_DISABLED": "false",
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{closed_port()}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'sik-llms[grpc]'" in result.stderr


@pytest.mark.parametrize(("sdk_option", "expected"), [("False", 3), ("None", 4)])
def test_anthropic_sdk_spans_are_off_by_default_and_nest_when_kept(sdk_option, expected):
    result = run_py(
        f"""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from tests.conftest import anthropic_sse
        exporter = InMemorySpanExporter()
        tp = TracerProvider(); tp.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(tp)
        client = create_client("claude-sonnet-4-6", api_key="sk-ant-test", sdk_open_telemetry={sdk_option})
        with scripted(Script(ok(anthropic_sse("hi")))):
            client([{{"role": "user", "content": "hi"}}])
        spans = {{s.context.span_id: s for s in exporter.get_finished_spans()}}
        inference = next(s for s in spans.values() if s.name == "llm.anthropic.stream")
        others = [s for s in spans.values() if s.name not in ("llm.request", "llm.anthropic.stream", "http.request")]
        print(json.dumps({{"count": len(spans), "nested": all(s.parent.span_id == inference.context.span_id for s in others)}}))
        """
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"count": expected, "nested": True}
