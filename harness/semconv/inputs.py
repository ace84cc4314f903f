"""Normalise captured telemetry, whoever made it, into the checker's dataclasses.

Accepts the SDK's objects (``ReadableSpan``, ``InMemoryMetricReader`` / ``MetricsData``,
``ReadableLogRecord``), the harness's metric-point dicts, or the dataclasses themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.semconv.model import LogRecordData, MetricRecord, SpanEvent, SpanRecord


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def span_record(span: Any) -> SpanRecord:
    if isinstance(span, SpanRecord):
        return span
    ctx = span.context
    parent = span.parent.span_id if span.parent is not None else None
    scope = span.instrumentation_scope.name if span.instrumentation_scope is not None else ""
    return SpanRecord(
        name=span.name,
        kind=span.kind.name,
        span_id=ctx.span_id,
        parent_id=parent,
        trace_id=ctx.trace_id,
        attributes=dict(span.attributes or {}),
        status=span.status.status_code.name,
        events=tuple(SpanEvent(e.name, dict(e.attributes or {})) for e in span.events),
        scope=scope,
    )


def metric_records(metrics: Any) -> list[MetricRecord]:
    """From an ``InMemoryMetricReader``, ``MetricsData``, harness metric dicts or records."""
    if metrics is None:
        return []
    if hasattr(metrics, "get_metrics_data"):
        metrics = metrics.get_metrics_data()
        if metrics is None:  # nothing recorded (or nothing new, with delta temporality)
            return []
    if hasattr(metrics, "resource_metrics"):
        return list(_from_metrics_data(metrics))
    out = []
    for p in metrics:
        if isinstance(p, MetricRecord):
            out.append(p)
        else:  # harness.metrics_readout dict: no bucket bounds kept
            out.append(
                MetricRecord(
                    p["name"], p["type"], p.get("unit", ""), dict(p["attributes"]), p.get("bounds")
                )
            )
    return out


def _from_metrics_data(data: Any) -> Iterable[MetricRecord]:
    from opentelemetry.sdk.metrics.export import Gauge, Histogram, Sum

    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                d = metric.data
                if isinstance(d, Histogram):
                    kind = "histogram"
                elif isinstance(d, Sum):
                    kind = "counter" if d.is_monotonic else "updown_counter"
                elif isinstance(d, Gauge):
                    kind = "gauge"
                else:
                    kind = type(d).__name__.lower()
                for point in d.data_points:
                    bounds = tuple(point.explicit_bounds) if kind == "histogram" else None
                    yield MetricRecord(
                        metric.name,
                        kind,
                        metric.unit or "",
                        dict(point.attributes or {}),
                        bounds,
                        sm.scope.name,
                    )


def log_record(record: Any) -> LogRecordData:
    if isinstance(record, LogRecordData):
        return record
    inner = getattr(record, "log_record", record)
    scope = getattr(record, "instrumentation_scope", None)
    severity = inner.severity_number
    return LogRecordData(
        event_name=inner.event_name,
        attributes={k: _plain(v) for k, v in (inner.attributes or {}).items()},
        body=_plain(inner.body),
        severity_number=severity.value if severity is not None else None,
        trace_id=inner.trace_id,
        span_id=inner.span_id,
        scope=scope.name if scope is not None else "",
    )


def from_capture(cap: Any) -> tuple[list[Any], Any, list[Any]]:
    """(spans, metrics, log records) of a ``harness`` capture (or anything shaped like one)."""
    spans = cap.spans() if callable(getattr(cap, "spans", None)) else []
    metrics = getattr(cap, "metric_reader", None)
    logs = cap.logs() if callable(getattr(cap, "logs", None)) else []
    return spans, metrics, logs
