"""Capture one block's telemetry in memory: its own exporters and metrics, nothing global.

``with capture() as cap:`` gives the block its own in-memory span exporter, log exporter and
metrics (sik_llms's measurements aggregated by the SDK when read: ``harness.spans.deferred``),
with incremental trace/span ids, on tracer/meter/logger providers installed
through ``sik_llms.telemetry.use_providers``, which is context-local: parallel tests and xdist
workers never see each other's spans. The providers are lent to the block and reused by later
captures (``harness.spans.pool``: building them per test cost more than the rest of a
capture); what one capture records never reaches another.

Time is deterministic by default: if no virtual clock is active, the block gets a frozen
``harness.clock.VirtualClock`` (a cassette replay installs its own, which then moves time).
sik_llms stamps its spans from that clock; spans from other code (your own ``get_tracer``
spans, an SDK's spans) are re-stamped from it too, so one clock orders the whole tree.

``global_=True`` additionally routes everything emitted through OpenTelemetry's *global*
providers (module-level ``trace.get_tracer(__name__)`` tracers, meters and loggers;
instrumentations such as openai-v2 or OpenLLMetry) to this capture for the block
(``harness.spans.routing``: one process-wide provider per signal, installed once). Log
records (``cap.logs()``) come from the capture's own ``logger_provider`` and, with
``global_=True``, the global one.
"""

from __future__ import annotations

import itertools
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics.export import MetricsData
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from harness.clock import VirtualClock
from harness.spans import pool, routing
from harness.spans.deferred import MeasurementLog, merge_metrics_data, without_scope
from harness.spans.metric_pattern import assert_metrics
from harness.spans.metrics import MetricPoint, metric_value, read_metrics
from harness.spans.pool import IncrementalIdGenerator
from harness.spans.tree import SpanTree, build_tree
from sik_llms import clock as _clock
from sik_llms import telemetry
from sik_llms.telemetry.names import INSTRUMENTATION_NAME

#: Resource of captured spans: fixed, so nothing about the host or SDK version leaks into trees.
CAPTURE_RESOURCE = Resource({"service.name": "sik-llms-test"})


class _DeterministicStamps(SpanProcessor):
    """Re-stamps foreign spans from the sik_llms clock when it is virtual; numbers span starts;
    hands each finished, sampled span to the capture's exporter.

    sik_llms already stamps its own spans from ``sik_llms.clock``; other spans would carry
    wall-clock times. The start sequence breaks ties between spans started at the same
    virtual instant, so sequential code renders in the order it ran. Exporting here (after the
    re-stamp), not through a ``SimpleSpanProcessor``, is one processor less per span: the
    in-memory exporter needs neither its export lock nor its suppressed-instrumentation context.
    """

    def __init__(self, exporter: InMemorySpanExporter) -> None:
        self._sequence = itertools.count()
        self._exporter = exporter
        self.order: dict[int, int] = {}
        self.open: dict[int, Span] = {}

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        span_id = span.get_span_context().span_id
        self.order[span_id] = next(self._sequence)
        self.open[span_id] = span
        stamp = _virtual_now(span)
        if stamp is not None:
            span._start_time = stamp  # the SDK offers no hook to choose a span's clock

    def on_end(self, span: ReadableSpan) -> None:
        self.open.pop(span.context.span_id, None)
        stamp = _virtual_now(span)
        if stamp is not None:
            span._end_time = stamp  # this ReadableSpan is the object the exporter receives next
        # as SimpleSpanProcessor: a recorded but unsampled span is not exported
        if span.context.trace_flags.sampled:
            self._exporter.export((span,))


def _virtual_now(span: ReadableSpan) -> int | None:
    """The virtual clock's time for a span sik_llms did not stamp itself, else None."""
    scope = span.instrumentation_scope
    if scope is not None and scope.name == INSTRUMENTATION_NAME:
        return None
    clock = _clock.current_clock()
    if clock is _clock.SYSTEM_CLOCK:
        return None
    return clock.time_ns()


class Capture:
    """What ``capture()`` yields: the providers, the captured spans and metrics, and views.

    Made directly, it holds its providers until ``close()`` (``capture()`` closes it)."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        #: sik_llms's measurements, aggregated when read (``harness.spans.deferred``)
        self.measurements = MeasurementLog()
        #: the SDK reader of any other meter of this capture's provider, made when one is given
        self.eager_reader: Any = None
        self._stamps = _DeterministicStamps(self.exporter)
        #: what each of this capture's spans goes through (re-stamp, then export); the pool's
        #: and the global router's processors feed them
        self.span_processors: tuple[SpanProcessor, ...] = (self._stamps,)
        self.log_exporter = InMemoryLogRecordExporter()
        self._log_processor: SimpleLogRecordProcessor | None = None
        # providers reused from capture to capture (harness.spans.pool), this capture's until close()
        self._providers: pool.ProviderSet | None = pool.acquire(self, CAPTURE_RESOURCE)
        self.ids = self._providers.ids
        self.tracer_provider = self._providers.tracer_provider
        self.meter_provider = self._providers.meter_provider
        self.logger_provider = self._providers.logger_provider
        self.clock: VirtualClock | None = None
        self._reuse_providers = True

    @property
    def log_processor(self) -> SimpleLogRecordProcessor:
        """The processor the pool and the global router hand this capture's log records to,
        made on first use (most tests emit none); two threads racing here make two processors
        writing to the same ``log_exporter``, so no record is lost."""
        processor = self._log_processor
        if processor is None:
            processor = self._log_processor = SimpleLogRecordProcessor(self.log_exporter)
        return processor

    def retire_providers(self) -> None:
        """Never hand this capture's providers to a later capture.

        For providers lent to code that may keep them past the test: an OTel instrumentor
        whose ``uninstrument()`` leaves its wrappers in place (OpenLLMetry 0.62 does) would
        otherwise report into the next test that reuses them. ``llm_instrument`` calls this."""
        self._reuse_providers = False

    def close(self) -> None:
        """Done capturing: the providers go back to the pool (``capture()`` calls this on exit).

        Everything captured stays readable; spans this capture started still reach it when
        they end. Telemetry emitted later through this capture's providers does not."""
        if self._providers is not None:
            self.tracer_provider.force_flush()
            pool.release(self._providers, self, reuse=self._reuse_providers)
            self._providers = None

    # ------------------------------------------------------------------ spans

    def tracer(self, name: str = "test") -> trace_api.Tracer:
        """A tracer on this capture's provider, for spans your test creates itself."""
        return self.tracer_for_one_span(name)

    def tracer_for_one_span(self, *scope: Any) -> trace_api.Tracer:
        """A tracer on this capture's provider for one span, dropped after it (how the global
        router reaches the current capture); unlike ``tracer()`` it keeps the providers
        reusable by later captures."""
        provider = self.tracer_provider
        one = getattr(provider, "tracer_for_one_span", None)
        return one(*scope) if one is not None else provider.get_tracer(*scope)

    def spans(self) -> list[ReadableSpan]:
        """Finished spans, in the order they started."""
        spans = list(self.exporter.get_finished_spans())
        return sorted(
            spans, key=lambda s: (s.start_time or 0, self._stamps.order.get(s.context.span_id, 0))
        )

    def start_order(self) -> dict[int, int]:
        """Span id -> start sequence (0, 1, 2, ...) of every span started so far: the tie-break
        ``build_tree(spans, order=...)`` needs for spans started at the same (virtual) instant."""
        return dict(self._stamps.order)

    def unfinished(self) -> list[str]:
        """Names of spans that started but never ended (a leak the tree cannot show)."""
        return sorted(s.name for s in self._stamps.open.values())

    def tree(self, *, metrics: bool = True, **render_options: Any) -> SpanTree:
        """The captured spans as a queryable, renderable tree (plus the metrics section).

        ``render_options`` (``style``, ``verbose``, ``attributes``, ``masks``, ``durations``)
        set how the tree renders, in ``str(tree)`` and snapshots.
        """
        return build_tree(
            self.exporter.get_finished_spans(),
            order=self.start_order(),
            metrics=self.metrics() if metrics else None,
            unfinished=self.unfinished(),
            **render_options,
        )

    def assert_tree(self, pattern: str, *, exact: bool = False) -> None:
        """Assert the partial tree ``pattern`` (see ``harness.spans.tree.SpanTree.assert_tree``)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        self.tree(metrics=False).assert_tree(pattern, exact=exact)

    def find(self, name: str, **attributes: Any) -> Any:
        """The single span node called ``name`` (a glob) with these attributes."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return self.tree(metrics=False).find(name, **attributes)

    def find_all(self, name: str = "*", **attributes: Any) -> list[Any]:
        return self.tree(metrics=False).find_all(name, **attributes)

    # ------------------------------------------------------------------ logs

    def logs(self) -> list[ReadableLogRecord]:
        """Finished log records in emit order (events such as
        ``gen_ai.client.inference.operation.details``)."""
        return list(self.log_exporter.get_finished_logs())

    # ------------------------------------------------------------------ metrics

    @property
    def metric_reader(self) -> Any:
        """Reads like the SDK's ``InMemoryMetricReader``: ``metric_reader.get_metrics_data()``
        is the ``MetricsData`` of everything recorded in this capture so far (None if
        nothing was)."""
        return _CaptureReader(self)

    def metrics_data(self) -> MetricsData | None:
        """The SDK's ``MetricsData`` of this capture: sik_llms's measurements aggregated now
        by the SDK (``harness.spans.deferred``), then any other meter's readings."""
        deferred = getattr(self.meter_provider, "deferred", None)
        eager = self.eager_reader.get_metrics_data() if self.eager_reader is not None else None
        return merge_metrics_data(
            deferred.collect(self.measurements) if deferred is not None else None,
            # sik_llms's instruments mirrored for a reader of your own: read from the log
            without_scope(eager, INSTRUMENTATION_NAME) if deferred is not None else eager,
        )

    def metrics(self) -> list[MetricPoint]:
        """Every metric point recorded so far, as plain dicts, sorted by name then attributes."""
        return read_metrics(self.metric_reader)

    def metric_value(self, name: str, default: Any = ..., **attributes: Any) -> Any:
        """Value of metric ``name`` summed over the points matching ``attributes``.

        Attribute keys may use ``_`` for ``.`` (``llm_model="gpt-4o-mini"``). Counters and
        gauges give a number; histograms a dict with count, sum, min, max and buckets.
        Without ``default`` a missing metric raises ``LookupError`` naming what exists.
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return metric_value(self.metrics(), name, default, attributes)

    def assert_metrics(self, pattern: str) -> None:
        """Assert the partial metric pattern ``pattern``, one metric per line
        (``gen_ai.client.token.usage gen_ai.token.type=input value=12``; the syntax is in
        ``harness.spans.metric_pattern``)."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        assert_metrics(self.metrics(), pattern)

    def clear(self) -> None:
        """Forget captured spans and log records (metrics are cumulative and stay)."""
        self.exporter.clear()
        self.log_exporter.clear()


def capture(
    *, global_: bool = False, clock: Any = "auto", fresh_context: bool = True
) -> AbstractContextManager[Capture]:
    """Capture the block's telemetry in memory, context-locally (see the module docstring).

    ``clock``: ``"auto"`` installs a frozen VirtualClock unless a virtual clock is already
    active (``cap.clock``; advance it to give your own spans durations); ``None`` keeps real
    time (durations then vary between runs); or pass a ``sik_llms.clock.Clock`` to install.
    ``fresh_context``: start the block with an empty OpenTelemetry context, so a span leaked
    by earlier code cannot parent (or, unsampled, silently drop) the block's spans.
    """
    return _CaptureBlock(global_, clock, fresh_context)


class _CaptureBlock:
    """What ``capture()`` returns: a plain context manager, not ``@contextmanager`` and an
    ``ExitStack`` (it runs for every test using ``llm_spans``). Undone in reverse order on
    exit, and on a failure half-way through ``__enter__``."""

    __slots__ = ("_clock", "_fresh_context", "_global", "_undo")

    def __init__(self, global_: bool, clock: Any, fresh_context: bool) -> None:
        self._global = global_
        self._clock = clock
        self._fresh_context = fresh_context
        self._undo: list[Any] = []

    def __enter__(self) -> Capture:
        cap = Capture()
        undo = self._undo
        undo.append(cap.close)  # last out: everything after it is undone first
        try:
            if self._fresh_context:
                token = otel_context.attach(otel_context.Context())
                undo.append(partial(otel_context.detach, token))
            chosen = _choose_clock(self._clock)
            if chosen is not None:
                _enter(_clock.use_clock(chosen), undo)
                cap.clock = chosen if isinstance(chosen, VirtualClock) else None
            elif isinstance(_clock.current_clock(), VirtualClock):
                cap.clock = _clock.current_clock()  # type: ignore[assignment]
            _enter(
                telemetry.use_providers(
                    cap.tracer_provider, cap.meter_provider, cap.logger_provider
                ),
                undo,
            )
            if self._global:
                routing.enter(cap)
                undo.append(partial(routing.leave, cap))
        except BaseException:
            self._unwind()
            raise
        return cap

    def __exit__(self, *exc: object) -> None:
        self._unwind()

    def _unwind(self) -> None:
        """Run the undo steps, last first; all of them run, the first failure is raised."""
        undo, self._undo = self._undo, []
        error: BaseException | None = None
        for step in reversed(undo):
            try:
                step()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error


def _enter(manager: AbstractContextManager[Any], undo: list[Any]) -> None:
    manager.__enter__()
    undo.append(partial(manager.__exit__, None, None, None))


class _CaptureReader:
    """A capture's metrics, read like an ``InMemoryMetricReader``."""

    __slots__ = ("_capture",)

    def __init__(self, capture: Capture) -> None:
        self._capture = capture

    def get_metrics_data(self) -> MetricsData | None:
        return self._capture.metrics_data()


def _choose_clock(clock: Any) -> Any:
    if clock is None:
        return None
    if clock == "auto":
        return VirtualClock() if _clock.current_clock() is _clock.SYSTEM_CLOCK else None
    if not (hasattr(clock, "time_ns") and hasattr(clock, "perf_counter")):
        raise TypeError(
            f"clock must be 'auto', None or a Clock (time_ns, perf_counter), not {clock!r}"
        )
    return clock


__all__ = ["CAPTURE_RESOURCE", "Capture", "IncrementalIdGenerator", "capture"]
