"""``create_span_link``: a ``Link`` to a span known only by its hex ids.

A module of its own (no sik_llms imports) so ``TraceContext.create_link`` can use it without an
import cycle between ``sik_llms.types`` and the telemetry package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from opentelemetry.trace import Link

__all__ = ["create_span_link"]


def create_span_link(
    trace_id: str | None, span_id: str | None, attributes: dict[str, Any] | None = None
) -> Link | None:
    """A ``Link`` to a span known by hex ids (e.g. ``response.trace_id`` / ``response.span_id``).

    Pass it to ``tracer.start_as_current_span(..., links=[link])``. None when the ids are
    missing or malformed, or the OpenTelemetry API is not installed.
    """
    if not trace_id or not span_id:
        return None
    try:
        from opentelemetry.trace import Link, SpanContext, TraceFlags
    except ImportError:
        return None
    try:
        ctx = SpanContext(
            trace_id=int(trace_id, 16),
            span_id=int(span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    if not ctx.is_valid:
        return None
    return Link(ctx, attributes or {})
