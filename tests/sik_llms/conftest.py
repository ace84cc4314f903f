"""In-memory capture for the library's telemetry and agent tests.

``Captured`` is one test's tracer and meter providers with in-memory export, plus the
attributes each span started with (what samplers see); ``summarize`` / ``agent_labels`` /
``metric_with`` read it: ``from tests.sik_llms.conftest import Captured, summarize``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sik_llms import types
from sik_llms.telemetry import names as n


class _Starts(SpanProcessor):
    """Remembers every span started and the attributes it started with (what samplers see)."""

    def __init__(self) -> None:
        self.started: dict[int, tuple[str, dict[str, Any]]] = {}

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started[span.context.span_id] = (span.name, dict(span.attributes or {}))


class Captured:
    """One test's tracer and meter providers with in-memory export."""

    def __init__(self, sampler: Any = None) -> None:
        self.exporter = InMemorySpanExporter()
        self.starts = _Starts()
        self.tp = TracerProvider(sampler=sampler, shutdown_on_exit=False)
        self.tp.add_span_processor(self.starts)
        self.tp.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.mp = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def one(self, name: str) -> ReadableSpan:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, f"expected one {name!r} span, got {len(found)}: {self.names()}"
        return found[0]

    def unfinished(self) -> list[str]:
        """Names of spans started but never ended."""
        ended = {s.context.span_id for s in self.spans()}
        return [name for sid, (name, _) in self.starts.started.items() if sid not in ended]

    def start_attributes(self, span: ReadableSpan) -> dict[str, Any]:
        return self.starts.started[span.context.span_id][1]

    def by_name(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == name]

    def names(self) -> list[str]:
        return [s.name for s in self.spans()]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        kids = [
            s
            for s in self.spans()
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]
        return sorted(kids, key=lambda s: s.start_time or 0)

    def tree(self, root: ReadableSpan, depth: int = 2) -> list[Any]:
        """Names of ``root``'s descendants to ``depth`` levels, in start order."""
        out: list[Any] = []
        for child in self.children(root):
            out.append((child.name, self.tree(child, depth - 1)) if depth > 1 else child.name)
        return out

    def metric(self, name: str, **attrs: Any) -> float:
        """Sum of a metric's points whose attributes include ``attrs`` (histograms: count)."""
        data = self.reader.get_metrics_data()
        total: float = 0
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name != name:
                        continue
                    for point in m.data.data_points:
                        if all(point.attributes.get(k) == v for k, v in attrs.items()):
                            total += point.count if hasattr(point, "bucket_counts") else point.value
        return total

    def metric_points(self, name: str) -> list[dict[str, Any]]:
        data = self.reader.get_metrics_data()
        points = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == name:
                        points.extend(dict(p.attributes) for p in m.data.data_points)
        return points


def agent_labels(
    model: str = "gpt-4o-mini", provider: str = "openai", effort: str = "medium"
) -> dict[str, str]:
    """The agent metrics' labels, keyed as ``Captured.metric`` expects (dots are not kwargs)."""
    return {n.LABEL_REASONING_EFFORT: effort, n.LABEL_MODEL: model, n.LABEL_PROVIDER: provider}


def metric_with(cap: Captured, name: str, labels: dict[str, Any]) -> float:
    return cap.metric(name, **labels)


def summarize(events: list[Any]) -> list[tuple[Any, ...]]:
    """A compact, comparable view of an agent's event sequence (text chunks merged)."""
    out: list[tuple[Any, ...]] = []
    for e in events:
        if isinstance(e, types.TextChunkEvent):
            if out and out[-1][0] == "text":
                out[-1] = ("text", out[-1][1] + e.content)
            else:
                out.append(("text", e.content))
        elif isinstance(e, types.ThinkingEvent):
            out.append(("thinking", e.iteration, e.content))
        elif isinstance(e, types.ToolPredictionEvent):
            out.append(("predict", e.iteration, e.name, e.arguments))
        elif isinstance(e, types.ToolResultEvent):
            out.append(("result", e.iteration, e.name, e.result))
        elif isinstance(e, types.ErrorEvent):
            out.append(("error", e.content))
        elif isinstance(e, types.TextResponse):
            out.append(("response", e.response))
        else:
            out.append((type(e).__name__,))
    return out
