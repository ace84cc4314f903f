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
- metrics: sik_llms's meter on the set's meter provider is a ``harness.spans.deferred``
  ``DeferredMeter``: its measurements go to the owner's ``MeasurementLog`` and the SDK
  aggregates them when the test reads metrics (the SDK cannot reset a reader, and a fresh
  reader per capture cost more than the rest of a capture). sik_llms's running call totals
  are cleared for each owner; a previous owner still referenced keeps what its observable
  instruments reported (``DeferredMeter.freeze``). Any other meter the provider gives out is
  a plain SDK meter, read by an ``InMemoryMetricReader`` attached for the owner at that
  moment; since such a meter may hold observable callbacks that would report into later
  captures, the set then gets a fresh meter provider before its next owner.
- tracers: a set whose tracer provider gave a tracer to anyone but sik_llms and the capture
  itself (an instrumentor, code handed ``Capture.tracer_provider``) is retired, not reused: an instrumentor whose
  ``uninstrument()`` leaves its wrappers (OpenLLMetry 0.62) would start spans in later tests.
- shut down: a set one of whose providers was shut down (by code handed it) is retired.
- open spans: a set given back with spans still open (a stream the test left unfinished, a
  call still running on another thread) is retired too: those calls end later and record
  their metrics, which must reach the capture they started in, not the set's next owner.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from harness.spans.deferred import DeferredMeter
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

    def open_spans(self) -> int:
        """How many spans started under an owner have not ended yet."""
        return len(self._open)

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
    """A ``MeterProvider`` whose sik_llms meter defers aggregation (``deferred``), and which
    notes whether anyone else asked it for a meter (``foreign_meters``; ``on_foreign`` is
    called before such a meter is handed out)."""

    def __init__(self, resource: Resource, on_foreign: Any) -> None:
        super().__init__(metric_readers=(), resource=resource, shutdown_on_exit=False)
        self.foreign_meters = False
        self.deferred: DeferredMeter | None = None
        self._resource_for_deferred = resource
        self._on_foreign = on_foreign

    def get_meter(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == INSTRUMENTATION_NAME:
            # sik_llms's own (state.instruments_for asks first; telemetry.get_meter again)
            if self.deferred is None:
                self.deferred = DeferredMeter(self._resource_for_deferred, name, *args, **kwargs)
            return self.deferred
        self.foreign_meters = True
        self._on_foreign(self)
        return super().get_meter(name, *args, **kwargs)

    def add_metric_reader(self, metric_reader: Any) -> None:
        """A reader of your own (SDK API): it reads this provider as any SDK provider's reader
        would, sik_llms's instruments included from now on, and the provider is never lent to
        another capture (the reader would read that test too)."""
        self.foreign_meters = True
        super().add_metric_reader(metric_reader)
        if self.deferred is not None:
            self.deferred.mirror_to(
                super().get_meter(INSTRUMENTATION_NAME, *self.deferred.scope_args())
            )

    def shutdown(self, *args: Any, **kwargs: Any) -> Any:
        """Shut down (code handed the provider may do so): never lent to a later capture."""
        self.foreign_meters = True
        return super().shutdown(*args, **kwargs)

    def attach_capture_reader(self, metric_reader: Any) -> None:
        """The owning capture's reader for the other meters (``ProviderSet``)."""
        super().add_metric_reader(metric_reader)


class _PooledLoggerProvider(LoggerProvider):
    """A ``LoggerProvider`` that notes whether it was shut down (``shut_down``): a shut-down
    provider drops every record, so it is never lent to a later capture."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shut_down = False

    def shutdown(self) -> None:
        """Shut down (code handed the provider may do so): never lent to a later capture."""
        self.shut_down = True
        super().shutdown()


class _PooledTracerProvider(TracerProvider):
    """A ``TracerProvider`` that notes whether anyone but sik_llms asked it for a tracer.

    A tracer handed to other code (an instrumentor's wrappers, which some ``uninstrument()``
    leaves in place, or a tracer your code kept) could start spans in a later test: such a
    provider is never lent to another capture."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.foreign_tracers = False

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> Any:
        if instrumenting_module_name != INSTRUMENTATION_NAME:
            self.foreign_tracers = True
        return super().get_tracer(instrumenting_module_name, *args, **kwargs)

    def shutdown(self) -> None:
        """Shut down (code handed the provider may do so): never lent to a later capture."""
        self.foreign_tracers = True
        super().shutdown()

    def tracer_for_one_span(self, *scope: Any) -> Any:
        """A tracer its caller uses for one span and drops (the global router asks again for
        every span), so handing it out keeps the provider reusable."""
        return super().get_tracer(*scope)


class ProviderSet:
    """One tracer, meter and logger provider, lent to one capture at a time."""

    def __init__(self, resource: Resource) -> None:
        self._resource = resource
        self.ids = IncrementalIdGenerator()
        self._spans = _OwnerSpanProcessor()
        self.tracer_provider = _PooledTracerProvider(
            sampler=ALWAYS_ON, resource=resource, id_generator=self.ids, shutdown_on_exit=False
        )
        self.tracer_provider.add_span_processor(self._spans)
        self._logs = _OwnerLogProcessor()
        self.logger_provider = _PooledLoggerProvider(resource=resource, shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(self._logs)
        # the capture whose log gets the meter provider's measurements: the owner, and after
        # it gave the set back, still that capture until the next owner (as a reader attached
        # for it would have stayed); weak, so an idle set keeps no capture alive
        self._metrics_owner: weakref.ReferenceType[Any] | None = None
        self.meter_provider = self._new_meter_provider()

    def _new_meter_provider(self) -> _PooledMeterProvider:
        provider = _PooledMeterProvider(self._resource, self._attach_reader)
        instruments_for(provider)  # sik_llms's instruments, made once for the provider's life
        return provider

    def _attach_reader(self, provider: _PooledMeterProvider) -> None:
        """``provider`` hands out a meter other than sik_llms's: give its metric owner a real
        reader there (such instruments aggregate at record time, in the SDK). A provider
        already replaced kept the reader its owner got when it gave out its first one."""
        owner = self._metrics_owner() if self._metrics_owner is not None else None
        if provider is self.meter_provider and owner is not None and owner.eager_reader is None:
            reader = InMemoryMetricReader()
            provider.attach_capture_reader(reader)
            owner.eager_reader = reader

    def take(self, capture: Any) -> None:
        """Make ``capture`` the owner: fresh ids, its own measurement log, sik_llms totals at
        zero."""
        previous = self._metrics_owner() if self._metrics_owner is not None else None
        if self.meter_provider.foreign_meters:
            # the old provider stays the previous owner's, with its reader
            self.meter_provider = self._new_meter_provider()
        else:
            if previous is not None:  # its call totals are about to be cleared
                self._deferred().freeze(previous.measurements)
            instruments_for(self.meter_provider).totals.clear()
        self._metrics_owner = weakref.ref(capture)
        self._deferred().sink_owner(capture.measurements)
        self.ids.reset()
        self._spans.owner = capture
        self._logs.owner = capture

    def _deferred(self) -> DeferredMeter:
        deferred = self.meter_provider.deferred
        assert deferred is not None  # made by instruments_for in _new_meter_provider
        return deferred

    def open_spans(self) -> int:
        """How many spans started by its owners are still open."""
        return self._spans.open_spans()

    def give_back(self, capture: Any) -> None:
        """``capture`` is done: nothing more reaches it except the ends of spans it started
        (and measurements, until the next owner takes the set)."""
        self._spans.owner = None
        self._logs.owner = None


def acquire(capture: Any, resource: Resource) -> ProviderSet:
    """An idle set (or a new one) owned by ``capture`` until ``release``."""
    with _LOCK:
        providers = _IDLE.pop() if _IDLE else None
    if providers is None:
        providers = ProviderSet(resource)
    providers.take(capture)
    return providers


def release(providers: ProviderSet, capture: Any, *, reuse: bool = True) -> None:
    """Hand ``providers`` back for the next capture; ``reuse=False`` retires them instead (they
    were lent to code that may keep using them, whose telemetry must reach no later capture)."""
    providers.give_back(capture)
    # a span still open (a stream left unfinished, a call on another thread) ends into this
    # capture later and then records its call's metrics: the set stays this capture's
    reuse = (
        reuse
        and not providers.tracer_provider.foreign_tracers
        and not providers.logger_provider.shut_down
        and not providers.open_spans()
    )
    with _LOCK:
        if reuse and len(_IDLE) < MAX_IDLE:
            _IDLE.append(providers)
