"""Every OTEL_* switch zero-config honours, each in a fresh process against a loopback collector.

OTLP/HTTP goes to ``harness.collector.Collector``; OTLP/gRPC to a tiny gRPC collector started
here on 127.0.0.1 (the real ``opentelemetry-proto`` services). A fresh interpreter per case,
because OpenTelemetry's global providers can be set only once per process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.collector import Collector
from tests.conftest import ROOT

PRELUDE = """
import sys, json
sys.path.insert(0, {root!r})
from sik_llms import create_client
from tests.conftest import Script, ok, openai_sse, scripted
def call():
    script = Script(ok(openai_sse("hi")))
    with scripted(script):
        r = create_client("gpt-4o-mini", api_key="sk-test")([{{"role": "user", "content": "hi"}}])
    return r, script.requests
"""

FAST = {
    "OTEL_SDK_DISABLED": "false",
    "OTEL_BSP_SCHEDULE_DELAY": "20",
    "OTEL_METRIC_EXPORT_INTERVAL": "100",
    "OTEL_BLRP_SCHEDULE_DELAY": "20",
}


def run_py(body: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = PRELUDE.format(root=str(ROOT)) + textwrap.dedent(body)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    full_env.update(FAST)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ a tiny OTLP/gRPC collector


@contextmanager
def grpc_collector() -> Iterator[dict[str, Any]]:
    """An OTLP/gRPC receiver on 127.0.0.1: what arrived per signal, with the request metadata."""
    grpc = pytest.importorskip("grpc")
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
    from opentelemetry.proto.collector.metrics.v1 import (
        metrics_service_pb2,
        metrics_service_pb2_grpc,
    )
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

    got: dict[str, Any] = {"spans": [], "metrics": [], "logs": [], "metadata": []}
    lock = threading.Lock()

    def keep(kind: str, items: list[Any], context: Any) -> None:
        with lock:
            got[kind].extend(items)
            got["metadata"].append(dict(context.invocation_metadata()))

    class Traces(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            keep(
                "spans",
                [
                    s.name
                    for rs in request.resource_spans
                    for ss in rs.scope_spans
                    for s in ss.spans
                ],
                context,
            )
            return trace_service_pb2.ExportTraceServiceResponse()

    class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            keep(
                "metrics",
                [
                    m.name
                    for rm in request.resource_metrics
                    for sm in rm.scope_metrics
                    for m in sm.metrics
                ],
                context,
            )
            return metrics_service_pb2.ExportMetricsServiceResponse()

    class Logs(logs_service_pb2_grpc.LogsServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            keep(
                "logs",
                [
                    r.event_name
                    for rl in request.resource_logs
                    for sl in rl.scope_logs
                    for r in sl.log_records
                ],
                context,
            )
            return logs_service_pb2.ExportLogsServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    got["endpoint"] = f"http://127.0.0.1:{port}"
    try:
        yield got
    finally:
        server.stop(0)


# ------------------------------------------------------------------ exporters per signal


def test_traces_exporter_none_switches_traces_off_and_keeps_metrics():
    with Collector() as collector:
        result = run_py(
            "r, _ = call(); print(r.trace_context is None)",
            {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint},
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # no tracer provider: the call is untraced
    assert collector.state.trace_requests == 0
    assert collector.state.metric_points.get("llm.requests") == 1


def test_metrics_exporter_none_switches_metrics_off_and_keeps_traces():
    with Collector() as collector:
        result = run_py(
            "call()",
            {"OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint},
        )
        spans = collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    assert len(spans) == 3
    assert collector.state.metric_requests == 0


def test_console_exporters_print_instead_of_sending():
    with Collector() as collector:
        result = run_py(
            "call()",
            {
                "OTEL_TRACES_EXPORTER": "console",
                "OTEL_METRICS_EXPORTER": "none",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            },
        )
    assert result.returncode == 0, result.stderr
    assert '"name": "llm.request"' in result.stdout
    assert collector.exports() == []


def test_an_unknown_exporter_warns_and_the_default_otlp_is_used():
    with Collector() as collector:
        result = run_py(
            "call()",
            {"OTEL_TRACES_EXPORTER": "zipkin", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint},
        )
        spans = collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    assert "OTEL_TRACES_EXPORTER names 'zipkin'" in result.stderr
    assert len(spans) == 3


def test_prometheus_metrics_exporter_serves_the_guide_names():
    port = free_port()
    result = run_py(
        f"""
        call()
        import urllib.request
        print(urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read().decode())
        """,
        {
            "OTEL_METRICS_EXPORTER": "prometheus", "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1", "OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
        },
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "llm_requests_total" in result.stdout
        and "gen_ai_client_operation_duration_seconds" in result.stdout
    )


# ------------------------------------------------------------------ logs: content events


def test_content_events_reach_v1_logs_as_structured_log_records():
    with Collector() as collector:
        result = run_py(
            "r, _ = call(); print(r.trace_context.span_id)",
            {
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "EVENT_ONLY",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            },
        )
        collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    (event,) = collector.logs()
    assert event.event_name == "gen_ai.client.inference.operation.details"
    assert event.attributes["gen_ai.provider.name"] == "openai"
    assert event.attributes["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    ]
    assert event.attributes["gen_ai.output.messages"][0]["finish_reason"] == "stop"
    inference = next(s for s in collector.spans() if s.name == "llm.openai.stream")
    assert event.span_id == inference.span_id  # correlated with the inference span
    assert "/v1/logs" in collector.paths()


def test_logs_exporter_none_sends_no_log_records():
    with Collector() as collector:
        result = run_py(
            "call()",
            {
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "EVENT_ONLY", "OTEL_LOGS_EXPORTER": "none",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            },
        )  # fmt: skip
        collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    assert collector.state.log_requests == 0 and "/v1/logs" not in collector.paths()


# ------------------------------------------------------------------ resource


def test_zero_config_names_the_process_not_the_library():
    with Collector() as collector:
        result = run_py("call()", {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint})
        collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    resources = [r for e in collector.exports() for r in e.resources]
    assert {r["service.name"] for r in resources} == {
        f"unknown_service:{Path(sys.executable).name}"
    }
    assert all("service.version" not in r for r in resources)
    assert all(r["telemetry.sdk.name"] == "opentelemetry" for r in resources)


# ------------------------------------------------------------------ gRPC and per-signal precedence


def test_grpc_exports_every_signal_with_its_headers():
    with grpc_collector() as got:
        result = run_py(
            "call()",
            {
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": got["endpoint"],
                "OTEL_EXPORTER_OTLP_HEADERS": "x-team=abc",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "EVENT_ONLY",
            },
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(got["spans"]) == sorted(["llm.request", "llm.openai.stream", "http.request"])
    assert "llm.requests" in got["metrics"]
    assert got["logs"] == ["gen_ai.client.inference.operation.details"]
    assert all(md.get("x-team") == "abc" for md in got["metadata"])


def test_a_per_signal_protocol_applies_to_that_signal_only():
    with grpc_collector() as got, Collector() as collector:
        result = run_py(
            "call()",
            {
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": got["endpoint"],
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            },
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(got["spans"]) == 3 and got["metrics"] == []
    assert (
        collector.state.metric_points.get("llm.requests") == 1
        and collector.state.trace_requests == 0
    )


def test_per_signal_headers_replace_the_general_ones_and_a_malformed_entry_is_dropped_everywhere():
    with Collector() as collector:
        result = run_py(
            "call()",
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_EXPORTER_OTLP_HEADERS": "x-general=1,broken",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-traces=2",
            },
        )
        collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    by_path = {e.path: e.headers for e in collector.exports()}
    assert by_path["/v1/traces"].get("x-traces") == "2" and "x-general" not in by_path["/v1/traces"]
    assert by_path["/v1/metrics"].get("x-general") == "1" and "broken" not in json.dumps(
        by_path["/v1/metrics"]
    )
    assert (
        "malformed entry 'broken'" in result.stderr and result.stderr.count("malformed entry") == 1
    )


# ------------------------------------------------------------------ trace context to providers


def test_traceparent_is_injected_into_provider_requests():
    with Collector() as collector:
        result = run_py(
            """
            r, requests = call()
            print(json.dumps({"traceparent": requests[0].headers.get("traceparent"), "trace": r.trace_id}))
            """,
            {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint},
        )
        spans = collector.wait_for_spans(3)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout.strip().splitlines()[-1])
    version, trace_id, span_id, flags = sent["traceparent"].split("-")
    http = next(s for s in spans if s.name == "http.request")
    assert (version, trace_id, span_id) == ("00", sent["trace"], http.span_id)
    assert int(flags, 16) & 1  # sampled (the SDK may also set W3C's random-trace-id bit)
