"""The loopback OTLP collector receives what the real OTLP/HTTP exporter sends."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from harness.collector import Collector


def _provider(endpoint: str) -> TracerProvider:
    tp = TracerProvider(resource=Resource.create({"service.name": "t"}), shutdown_on_exit=False)
    tp.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=2))
    )
    return tp


def test_collects_spans_with_parents_and_attributes():
    with Collector() as collector:
        tp = _provider(collector.endpoint)
        tracer = tp.get_tracer("t")
        with tracer.start_as_current_span(
            "parent", attributes={"llm.model": "gpt-4o-mini", "n": 3}
        ):
            with tracer.start_as_current_span("child"):
                pass
        spans = collector.wait_for_spans(2, timeout=5)
        tp.shutdown()
    by_name = {s.name: s for s in spans}
    assert by_name["child"].parent_id == by_name["parent"].span_id
    assert by_name["parent"].attributes == {"llm.model": "gpt-4o-mini", "n": 3}
    assert by_name["parent"].service == "t"
    assert collector.summary()["orphans"] == 0


def test_rejecting_collector_counts_refusals():
    with Collector(fault="reject_503") as collector:
        exporter = OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces", timeout=0.5)
        tp = TracerProvider(shutdown_on_exit=False)
        tp.add_span_processor(SimpleSpanProcessor(exporter))
        with tp.get_tracer("t").start_as_current_span("x"):
            pass
        tp.shutdown()
    assert collector.state.rejected >= 1
    assert collector.spans() == []


def test_records_each_export_path_headers_and_resource():
    """Backends with a dataset in the path (Honeycomb's /v1/traces/<dataset>) are accepted; a
    wrong endpoint is recorded and answered 404, so a test can show the guide's mistake."""
    with Collector() as collector:
        for path in ("/v1/traces/my-dataset", "/"):
            exporter = OTLPSpanExporter(
                endpoint=f"{collector.endpoint}{path}", headers={"X-Team": "k"}, timeout=2
            )
            tp = TracerProvider(
                resource=Resource.create({"service.name": "svc", "env": "test"}),
                shutdown_on_exit=False,
            )
            tp.add_span_processor(SimpleSpanProcessor(exporter))
            with tp.get_tracer("t").start_as_current_span("x"):
                pass
            tp.shutdown()
    assert collector.paths() == {"/v1/traces/my-dataset", "/"}
    good, wrong = collector.exports()
    assert good.headers["x-team"] == "k" and good.resources[0]["env"] == "test"
    assert wrong.resources == () and [s.name for s in collector.spans()] == ["x"]
