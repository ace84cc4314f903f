"""Span rules: per operation (required / forbidden attributes, kind, name) and across a trace.

Trace rules guard what a backend sums or counts: one inference operation per call (a wrapper
span repeating ``gen_ai.operation.name=chat`` is a second call to GenAI-aware backends), usage
recorded on one span of a lineage only (the spec's token rules: summing over a trace must not
count a call twice), and an exception recorded once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from harness.semconv import rules as R
from harness.semconv.attributes import check_attributes
from harness.semconv.messages import check_content
from harness.semconv.model import SpanRecord, Violation

G = R.G


def subject_of(span: SpanRecord) -> str:
    return f"span {span.name!r}"


def _is_genai(span: SpanRecord) -> bool:
    return any(k.startswith("gen_ai.") for k in span.attributes)


def check_span(span: SpanRecord, *, span_names: bool = True) -> Iterator[Violation]:
    """Every rule that one span breaks on its own."""
    subject = subject_of(span)
    attrs = span.attributes
    yield from check_attributes(subject, attrs)
    for event in span.events:
        if event.name in (R.EVENT_INFERENCE_DETAILS, R.EVENT_EXCEPTION):
            yield Violation(
                "event.as-span-event",
                subject,
                f"{event.name} is a log-record event (emit it through a LoggerProvider), not a span event",
            )
        elif event.name in R.DEPRECATED_EVENTS:
            yield Violation(
                "event.deprecated",
                subject,
                f"{event.name} was removed in v1.37 (content goes to gen_ai.input/output.messages)",
            )
    if not _is_genai(span):
        return
    for key in R.MESSAGE_ATTRIBUTES:
        if key in attrs:
            yield from check_content(subject, key, attrs[key], structured=False)
    op = attrs.get(G.GEN_AI_OPERATION_NAME)
    if op is None:
        yield Violation(
            "span.required",
            subject,
            "carries gen_ai.* attributes but no gen_ai.operation.name",
            G.GEN_AI_OPERATION_NAME,
        )
        return
    rule = R.OPERATIONS.get(op)
    if rule is None:
        return  # an operation without span rules here (retrieval, workflows...): attributes only
    required = list(rule.required)
    required += (
        R.PROVIDER_REQUIRED.get(str(attrs.get(G.GEN_AI_PROVIDER_NAME)), ())
        if op in R.INFERENCE_OPS
        else ()
    )
    forbidden = list(rule.forbidden)
    if op == "invoke_agent":
        if span.kind == R.CLIENT:
            required.append(G.GEN_AI_PROVIDER_NAME)
        else:
            forbidden += R.AGENT_INTERNAL_FORBIDDEN
    if span.status == "ERROR":
        required.append(R._err.ERROR_TYPE)
    elif R._err.ERROR_TYPE in attrs:
        yield Violation(
            "span.error-type",
            subject,
            "error.type set on a span that did not fail (status is not ERROR)",
            R._err.ERROR_TYPE,
        )
    for key in required:
        if key not in attrs:
            yield Violation("span.required", subject, f"{op} requires it", key)
    for key in forbidden:
        if key in attrs:
            yield Violation(
                "span.forbidden", subject, f"not defined for {op} ({span.kind}) spans", key
            )
    streaming = attrs.get(G.GEN_AI_REQUEST_STREAM) is True
    if attrs.get(G.GEN_AI_REQUEST_STREAM) is False:
        yield Violation(
            "span.conditional",
            subject,
            "gen_ai.request.stream is set on streaming requests only; omit it otherwise",
            G.GEN_AI_REQUEST_STREAM,
        )
    for key in rule.streaming_only:
        if key in attrs and not streaming:
            yield Violation(
                "span.conditional",
                subject,
                "only meaningful on streaming requests (gen_ai.request.stream=true)",
                key,
            )
    if span.kind not in rule.kinds:
        yield Violation(
            "span.kind", subject, f"{op} spans are {' or '.join(rule.kinds)}, not {span.kind}"
        )
    if span_names:
        target = attrs.get(rule.name_from) if rule.name_from else None
        expected = f"{op} {target}" if target else op
        if span.name not in (expected, op):
            yield Violation("span.name", subject, f"{op} spans are named {expected!r}")


def check_trace(spans: Iterable[SpanRecord]) -> Iterator[Violation]:
    """Rules over parent/child lineages (see the module docstring)."""
    spans = list(spans)
    by_id = {(s.trace_id, s.span_id): s for s in spans}

    def ancestors(span: SpanRecord) -> Iterator[SpanRecord]:
        seen = set()
        parent = span.parent_id
        while parent is not None and (span.trace_id, parent) in by_id and parent not in seen:
            seen.add(parent)
            node = by_id[(span.trace_id, parent)]
            yield node
            parent = node.parent_id

    dup_ops: set[int] = set()
    double_usage: set[int] = set()
    for span in spans:
        op = span.attributes.get(G.GEN_AI_OPERATION_NAME)
        has_usage = any(k in span.attributes for k in R.USAGE_ATTRIBUTES)
        for anc in ancestors(span):
            if (
                op in R.INFERENCE_OPS
                and anc.attributes.get(G.GEN_AI_OPERATION_NAME) == op
                and anc.span_id not in dup_ops
            ):
                dup_ops.add(anc.span_id)
                yield Violation(
                    "trace.duplicate-operation",
                    subject_of(anc),
                    f"claims the same {op} operation as its descendant {span.name!r}: backends count two calls",
                    G.GEN_AI_OPERATION_NAME,
                )
            if (
                has_usage
                and anc.span_id not in double_usage
                and any(k in anc.attributes for k in R.USAGE_ATTRIBUTES)
            ):
                double_usage.add(anc.span_id)
                yield Violation(
                    "trace.usage-double-counted",
                    subject_of(anc),
                    f"carries gen_ai.usage.* and so does its descendant {span.name!r}: summing usage over the trace counts tokens twice",
                )
        for event in span.events:
            if event.name != "exception":
                continue
            key = (
                event.attributes.get("exception.type"),
                event.attributes.get("exception.message"),
            )
            for anc in ancestors(span):
                if any(
                    e.name == "exception"
                    and (e.attributes.get("exception.type"), e.attributes.get("exception.message"))
                    == key
                    for e in anc.events
                ):
                    yield Violation(
                        "trace.exception-duplicated",
                        subject_of(anc),
                        f"records the exception {key[0]} already recorded on its descendant {span.name!r}; record it once",
                    )
                    break
