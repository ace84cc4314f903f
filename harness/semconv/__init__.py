"""A GenAI semantic-conventions conformance checker for captured telemetry.

Give it spans, metric points and log records (from ``harness`` capture or any SDK exporter;
whichever instrumentation made them) and it reports every deviation from the OpenTelemetry
GenAI conventions it knows (``SPEC_VERSION``): attribute names, types and enum values;
requirement levels, kinds and names per operation; one operation and one usage count per call;
metric instruments, units and buckets; event names, where events go and their content schema.

    report = check(spans, metric_reader, log_records)
    assert_semconv(llm_spans, expected=["span.name"])   # in a test; stale expectations fail

The rules table is ``harness.semconv.rules`` (built on ``opentelemetry-semantic-conventions``).
"""

from harness.semconv.check import SemconvError, assert_semconv, check, check_capture, reconcile
from harness.semconv.model import (
    Expected,
    LogRecordData,
    MetricRecord,
    Report,
    SpanEvent,
    SpanRecord,
    Violation,
)
from harness.semconv.rules import SPEC_VERSION

__all__ = [
    "SPEC_VERSION",
    "Expected",
    "LogRecordData",
    "MetricRecord",
    "Report",
    "SemconvError",
    "SpanEvent",
    "SpanRecord",
    "Violation",
    "assert_semconv",
    "check",
    "check_capture",
    "reconcile",
]
