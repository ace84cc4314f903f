"""The telemetry pipelines a bench worker sets up: in-memory (``memory_exporters``) or batch
OTLP/HTTP to the run's loopback collector (``otlp_exporters``), held in ``Exporters`` so batches
can clear and count what they made."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

__all__ = ["Exporters", "memory_exporters", "otlp_exporters"]


@dataclass
class Exporters:
    """The telemetry pipeline a worker set up, so batches can clear and count it."""

    tracer_provider: Any = None
    meter_provider: Any = None
    span_exporter: Any = None
    spans: int = 0

    def drain(self) -> None:
        """Count the finished spans held in memory, then drop them (no-op without an exporter)."""
        if self.span_exporter is not None:
            self.spans += len(self.span_exporter.get_finished_spans())
            self.span_exporter.clear()

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):  # best effort at exit
                    provider.shutdown()


def memory_exporters() -> Exporters:
    """SDK tracer and meter providers exporting to memory (a ``SimpleSpanProcessor`` into an
    ``InMemorySpanExporter``, an ``InMemoryMetricReader``)."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    mp = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return Exporters(tp, mp, exporter)


def otlp_exporters(endpoint: str) -> Exporters:
    """The SDK's defaults for production export: a ``BatchSpanProcessor`` and a periodic metric
    reader (5 s), both OTLP/HTTP to ``endpoint`` (``http://127.0.0.1:PORT``), 2 s timeouts."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tp = TracerProvider()
    tp.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=2))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=2),
        export_interval_millis=5000,
    )
    mp = MeterProvider(metric_readers=[reader])
    return Exporters(tp, mp, None)
