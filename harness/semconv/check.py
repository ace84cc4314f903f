"""Run every rule over captured telemetry; declared expectations; the pytest assertion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from harness.semconv import rules as R
from harness.semconv.inputs import from_capture, log_record, metric_records, span_record
from harness.semconv.model import Expected, Report, Violation
from harness.semconv.signals import check_log, check_metric
from harness.semconv.spans import check_span, check_trace


def check(
    spans: Iterable[Any] = (),
    metrics: Any = None,
    logs: Iterable[Any] = (),
    *,
    span_names: bool = True,
) -> Report:
    """Every deviation from the GenAI conventions in these spans, metric points and log records.

    ``span_names=False`` skips the span-name rule (for telemetry that keeps its own names by
    design, e.g. sik_llms without ``OTEL_SEMCONV_STABILITY_OPT_IN``). Identical violations
    (the same metric's unit on every point) are reported once.
    """
    span_list = [span_record(s) for s in spans]
    points = metric_records(metrics)
    records = [log_record(r) for r in logs]
    found: list[Violation] = []
    for span in span_list:
        found.extend(check_span(span, span_names=span_names))
    found.extend(check_trace(span_list))
    for point in points:
        found.extend(check_metric(point))
    for record in records:
        found.extend(check_log(record))
    unique = list(dict.fromkeys(found))
    return Report(R.SPEC_VERSION, unique, len(span_list), len(points), len(records))


def check_capture(cap: Any, *, span_names: bool = True) -> Report:
    """``check`` over everything a ``harness`` capture holds (spans, metrics, logs)."""
    spans, metrics, logs = from_capture(cap)
    return check(spans, metrics, logs, span_names=span_names)


def reconcile(
    report: Report, expected: Sequence[Expected | str]
) -> tuple[list[Violation], list[Expected]]:
    """(violations no expectation covers, expectations that matched nothing: stale)."""
    wanted = [e if isinstance(e, Expected) else Expected(e) for e in expected]
    unexpected = [v for v in report.violations if not any(e.matches(v) for e in wanted)]
    stale = [e for e in wanted if not any(e.matches(v) for v in report.violations)]
    return unexpected, stale


class SemconvError(AssertionError):
    """Raised by ``assert_semconv``: unexpected violations, or expected ones that stopped occurring."""


def assert_semconv(
    capture: Any = None,
    *,
    spans: Iterable[Any] | None = None,
    metrics: Any = None,
    logs: Iterable[Any] | None = None,
    expected: Sequence[Expected | str] = (),
    span_names: bool = True,
) -> Report:
    """Fail unless the telemetry keeps the GenAI conventions, apart from ``expected`` violations.

    Pass a capture (the ``llm_spans`` fixture) or ``spans`` / ``metrics`` / ``logs``.
    ``expected`` lists violations the test knows about (``"span.name"`` or
    ``Expected("attribute.enum", "span 'chat*'", "gen_ai.provider.name")``); one that no longer
    occurs fails too, so the list cannot go stale. Returns the report.
    """
    if capture is not None:
        cap_spans, cap_metrics, cap_logs = from_capture(capture)
        spans = cap_spans if spans is None else spans
        metrics = cap_metrics if metrics is None else metrics
        logs = cap_logs if logs is None else logs
    report = check(spans or (), metrics, logs or (), span_names=span_names)
    unexpected, stale = reconcile(report, expected)
    if unexpected or stale:
        lines = [f"GenAI conventions ({report.spec_version}):"]
        if unexpected:
            lines.append(f"{len(unexpected)} unexpected violation(s):")
            lines += [f"  {v}" for v in unexpected]
        if stale:
            lines.append(
                f"{len(stale)} expected violation(s) no longer occur (remove them from expected=):"
            )
            lines += [f"  {e.rule} {e.subject} {e.attribute or ''}".rstrip() for e in stale]
        raise SemconvError("\n".join(lines))
    return report
