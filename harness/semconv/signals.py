"""Metric and log-record (event) rules."""

from __future__ import annotations

from collections.abc import Iterator

from harness.semconv import rules as R
from harness.semconv.attributes import check_attributes
from harness.semconv.messages import check_content
from harness.semconv.model import LogRecordData, MetricRecord, Violation

G = R.G


def check_metric(point: MetricRecord) -> Iterator[Violation]:
    """Instrument kind, unit, advisory buckets and attribute rules of one metric point."""
    if not point.name.startswith("gen_ai."):
        return
    subject = f"metric {point.name}"
    rule = R.METRICS.get(point.name)
    if rule is None:
        yield Violation(
            "metric.unknown",
            subject,
            "not a GenAI metric in the spec (misspelt, or a proposal not yet merged)",
        )
        return
    if point.kind != rule.kind:
        yield Violation("metric.kind", subject, f"is a {point.kind}, the spec says {rule.kind}")
    if point.unit != rule.unit:
        yield Violation("metric.unit", subject, f"unit {point.unit!r}, the spec says {rule.unit!r}")
    if (
        rule.buckets
        and point.bounds is not None
        and tuple(float(b) for b in point.bounds) != tuple(float(b) for b in rule.buckets)
    ):
        yield Violation(
            "metric.buckets",
            subject,
            f"bucket boundaries {list(point.bounds)} are not the spec's advisory {list(rule.buckets)}",
        )
    yield from check_attributes(subject, point.attributes)
    for key in rule.required:
        if key not in point.attributes:
            yield Violation("metric.required", subject, "required attribute missing", key)
    for key in rule.forbidden:
        if key in point.attributes:
            yield Violation("metric.forbidden", subject, "not defined for this metric", key)


def check_log(record: LogRecordData) -> Iterator[Violation]:
    """Event name, required attributes and content schema of one log record."""
    name = record.event_name
    if not name:
        return
    subject = f"event {name}"
    if name in R.DEPRECATED_EVENTS:
        yield Violation(
            "event.deprecated",
            subject,
            "removed in v1.37 (content goes to gen_ai.client.inference.operation.details)",
        )
        return
    if not name.startswith("gen_ai."):
        return
    if name not in R.EVENT_REQUIRED:
        yield Violation("event.unknown", subject, "not a GenAI event in the spec")
        return
    attrs = record.attributes
    yield from check_attributes(
        subject, {k: v for k, v in attrs.items() if k not in R.MESSAGE_ATTRIBUTES}
    )
    if name == R.EVENT_EXCEPTION:
        if "exception.type" not in attrs and "exception.message" not in attrs:
            yield Violation(
                "event.required",
                subject,
                "needs exception.type or exception.message",
                "exception.type",
            )
        if record.severity_number != R.EXCEPTION_SEVERITY:
            yield Violation(
                "event.severity",
                subject,
                f"severity {record.severity_number}, the spec says WARN ({R.EXCEPTION_SEVERITY})",
            )
        return
    required = list(R.EVENT_REQUIRED[name])
    op = attrs.get(G.GEN_AI_OPERATION_NAME)
    if op in R.INFERENCE_OPS:
        required.append(G.GEN_AI_PROVIDER_NAME)
    for key in required:
        if key not in attrs:
            yield Violation("event.required", subject, "required attribute missing", key)
    body = record.body if isinstance(record.body, dict) else {}
    for key in R.MESSAGE_ATTRIBUTES:
        for source in (attrs, body):
            if key in source:
                yield from check_content(subject, key, source[key], structured=True)
