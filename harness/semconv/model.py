"""Typed inputs and results of the conformance checker.

Inputs are normalised from whatever produced them (the SDK's ``ReadableSpan``, metric data,
``ReadableLogRecord``; see ``harness.semconv.inputs``) so the rules are pure functions over
these dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SpanEvent:
    name: str
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class SpanRecord:
    """One finished span: ids as ints (parent None for a root), kind as ``CLIENT`` etc."""

    name: str
    kind: str
    span_id: int
    parent_id: int | None
    trace_id: int
    attributes: Mapping[str, Any]
    status: str = "UNSET"  # UNSET | OK | ERROR
    events: tuple[SpanEvent, ...] = ()
    scope: str = ""


@dataclass(frozen=True)
class MetricRecord:
    """One metric point: instrument name, kind (histogram, counter, ...), unit, attributes.

    ``bounds`` are the histogram's explicit bucket boundaries (None when not known, e.g. a
    point read from a summary that kept only the hit buckets).
    """

    name: str
    kind: str
    unit: str
    attributes: Mapping[str, Any]
    bounds: tuple[float, ...] | None = None
    scope: str = ""


@dataclass(frozen=True)
class LogRecordData:
    """One log record (an event when ``event_name`` is set)."""

    event_name: str | None
    attributes: Mapping[str, Any]
    body: Any = None
    severity_number: int | None = None
    trace_id: int | None = None
    span_id: int | None = None
    scope: str = ""


@dataclass(frozen=True)
class Violation:
    """One deviation from the conventions.

    ``rule``: a stable id (``span.required``, ``metric.unit``, ...); ``subject``: what broke it
    (``span 'chat gpt-4o'``, ``metric gen_ai.client.token.usage``, ``event ...``);
    ``attribute``: the attribute concerned, when one is; ``message``: what is wrong and what
    the spec wants.
    """

    rule: str
    subject: str
    message: str
    attribute: str | None = None

    def __str__(self) -> str:
        where = f" [{self.attribute}]" if self.attribute else ""
        return f"{self.rule}: {self.subject}{where}: {self.message}"


@dataclass(frozen=True)
class Expected:
    """A violation a test declares it expects: ``rule`` and optionally a subject/attribute glob."""

    rule: str
    subject: str = "*"
    attribute: str | None = None

    def matches(self, violation: Violation) -> bool:
        from fnmatch import fnmatchcase

        if self.rule != violation.rule or not fnmatchcase(violation.subject, self.subject):
            return False
        return self.attribute is None or (
            violation.attribute is not None and fnmatchcase(violation.attribute, self.attribute)
        )


@dataclass
class Report:
    """The checker's result: every violation, what it checked, and the spec version."""

    spec_version: str
    violations: list[Violation] = field(default_factory=list)
    spans_checked: int = 0
    metric_points_checked: int = 0
    log_records_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[v.rule] = counts.get(v.rule, 0) + 1
        return dict(sorted(counts.items()))

    def render(self) -> str:
        head = (
            f"GenAI conventions ({self.spec_version}): {len(self.violations)} violation(s) in "
            f"{self.spans_checked} span(s), {self.metric_points_checked} metric point(s), "
            f"{self.log_records_checked} log record(s)"
        )
        return "\n".join([head, *(f"  {v}" for v in self.violations)])
