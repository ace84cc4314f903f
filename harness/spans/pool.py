"""SDK providers reused from capture to capture, so a capture costs a few small objects.

Building a ``TracerProvider``, ``MeterProvider`` and ``LoggerProvider`` per test costs about
0.3 ms, and more later: each registers an ``os.register_at_fork`` hook that is never released,
and sik_llms keeps its tracer and instruments per provider for the life of the process, so a
suite of N tests kept N of each alive and every full garbage collection walked them all.

A ``ProviderSet`` is one of each, owned by one capture at a time (``acquire`` / ``release``;
nested or concurrent captures each hold their own set). What belongs to a capture stays the
capture's: its span exporter and start stamps, its log exporter, its metric reader.

- spans: the set's only span processor hands each span to the capture that owned the set when
  the span *started*, and its end to the same capture, even after that capture released the
  set (a span leaked by one test never shows in the next); spans started while no capture
  owns the set are dropped. Trace and span ids restart at 1 for each owner.
- logs: each record goes to the current owner; none while the set is idle.
- metrics: each owner attaches its own ``InMemoryMetricReader`` (the SDK's public
  ``add_metric_reader`` / ``remove_metric_reader``), so its aggregations start empty, and
  sik_llms's running call totals are cleared. A previous owner still referenced when its set
  is handed on keeps its readings (they are collected once, into ``Capture.metrics``). The
  meter provider is reused only while nothing but sik_llms asked it for a meter: any other
  meter may hold observable callbacks, which would report into later captures, so a set whose
  meter provider gave one out gets a fresh meter provider before its next owner.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from sik_llms.telemetry.names import INSTRUMENTATION_NAME
from sik_llms.telemetry.state import instruments_for

__all__ = ["MAX_IDLE", "IncrementalIdGenerator", "ProviderSet", "acquire", "release"]

#: Idle sets kept for reuse (one per capture open at the same time is all a suite needs).
MAX_IDLE = 8

_LOCK = threading.Lock()
_IDLE: list[ProviderSet] = []


class IncrementalIdGenerator(IdGenerator):
    """Trace and span ids 1, 2, 3, ... per capture, so ids (and their order) repeat every run."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start again from 1 (a new capture owns the provider)."""
        self._trace_ids = itertools.count(1)
        self._span_ids = itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._span_ids)

    def generate_trace_id(self) -> int:
        return next(self._trace_ids)


class _OwnerSpanProcessor(SpanProcessor):
    """Each span to the processors of the capture that owned the set at the span's start."""

    def __init__(self) -> None:
        self.owner: Any = None
        # id(span context) -> (context, capture): on_end gets a ReadableSpan copy that shares
        # the started span's SpanContext object; holding it keeps the id unique while open
        self._open: dict[int, tuple[Any, Any]] = {}

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        owner = self.owner
        if owner is None:
            return
        context = span.get_span_context()
        self._open[id(context)] = (context, owner)
        for processor in owner.span_processors:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        entry = self._open.get(id(context))
        if entry is None or entry[0] is not context:
            return
        del self._open[id(context)]
        for processor in entry[1].span_processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        self._open.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _OwnerLogProcessor(LogRecordProcessor):
    """Each log record to the current owner's processor."""

    def __init__(self) -> None:
        self.owner: Any = None

    def on_emit(self, log_record: Any) -> None:
        owner = self.owner
        if owner is not None:
            owner.log_processor.on_emit(log_record)

    def shutdown(self) -> None:
        """Nothing to release: the captures own their exporters."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _PooledMeterProvider(MeterProvider):
    """A ``MeterProvider`` that notes whether anyone but sik_llms asked it for a meter."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(metric_readers=(), resource=resource, shutdown_on_exit=False)
        self.foreign_meters = False
        self._ours_given = False

    def get_meter(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == INSTRUMENTATION_NAME and not self._ours_given:
            self._ours_given = True  # sik_llms asks once per provider (state.instruments_for)
        else:
            self.foreign_meters = True
        return super().get_meter(name, *args, **kwargs)


class ProviderSet:
    """One tracer, meter and logger provider, lent to one capture at a time."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource
        self.ids = IncrementalIdGenerator()
        self._spans = _OwnerSpanProcessor()
        self.tracer_provider = TracerProvider(
            sampler=ALWAYS_ON, resource=resource, id_generator=self.ids, shutdown_on_exit=False
        )
        self.tracer_provider.add_span_processor(self._spans)
        self._logs = _OwnerLogProcessor()
        self.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(self._logs)
        self.meter_provider = self._new_meter_provider()
        self._reader: Any = None
        self._previous: weakref.ReferenceType[Any] | None = None

    def _new_meter_provider(self) -> _PooledMeterProvider:
        provider = _PooledMeterProvider(self._resource)
        instruments_for(provider)  # sik_llms's instruments, made once for the provider's life
        return provider

    def take(self, capture: Any) -> None:
        """Make ``capture`` the owner: fresh ids, its own reader, sik_llms totals at zero."""
        previous = self._previous() if self._previous is not None else None
        self._previous = None
        if self.meter_provider.foreign_meters:
            self.meter_provider = (
                self._new_meter_provider()
            )  # the old one stays the previous owner's
        else:
            if previous is not None:
                previous.keep_metrics()  # its reader is about to leave this provider
            if self._reader is not None:
                self.meter_provider.remove_metric_reader(self._reader)
            instruments_for(self.meter_provider).totals.clear()
        self.meter_provider.add_metric_reader(capture.metric_reader)
        self._reader = capture.metric_reader
        self.ids.reset()
        self._spans.owner = capture
        self._logs.owner = capture

    def give_back(self, capture: Any) -> None:
        """``capture`` is done: nothing more reaches it except the ends of spans it started."""
        self._spans.owner = None
        self._logs.owner = None
        self._previous = weakref.ref(capture)


def acquire(capture: Any, resource: Resource) -> ProviderSet:
    """An idle set (or a new one) owned by ``capture`` until ``release``."""
    with _LOCK:
        providers = _IDLE.pop() if _IDLE else None
    if providers is None:
        providers = ProviderSet(resource)
    providers.take(capture)
    return providers


def release(providers: ProviderSet, capture: Any) -> None:
    """Hand ``providers`` back for the next capture."""
    providers.give_back(capture)
    with _LOCK:
        if len(_IDLE) < MAX_IDLE:
            _IDLE.append(providers)
