"""One process-wide provider per signal, routed to the capture of the test running now.

Code that gets its tracer, meter or logger from OpenTelemetry's globals (a module-level
``tracer = trace.get_tracer(__name__)``, openai-v2, OpenLLMetry, openinference, an SDK's own
tracing) binds it once, at first use, for the rest of the process. So the harness installs
global providers exactly once per process (``install``) and switches where their output goes:
``activate(capture)`` makes ``capture`` receive every span, metric point and log record
emitted through the globals until the block ends. Whatever test ran before, and in any order
or xdist worker, the current test's capture sees its own telemetry and nothing else.

- traces: a ``TracerProvider`` whose tracers start each span on the current capture's own
  provider (its incremental ids, its clock), and no-op spans when no capture is active (so
  code outside any capture sees no trace context, as with no provider at all);
- metrics: a ``MeterProvider`` whose instruments forward each measurement to the same-named
  instrument on the current capture's own ``MeterProvider`` (observable instruments are
  registered on every capture that becomes current), so readings start from zero per test;
  (except sik_llms's own meter: it reaches captures through ``sik_llms.telemetry.use_providers``);
- logs: an SDK ``LoggerProvider`` whose processor hands each record to the current capture.

When an application has already installed an SDK ``TracerProvider`` / ``LoggerProvider``
globally, a routing processor (span to the capture current at its start) is added to it
instead (its own exporters keep working; its ids stay its own).
Resets go through ``opentelemetry.test.globals_test`` (opentelemetry-test-utils), never by
writing OpenTelemetry's private globals here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import _logs as logs_api
from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from sik_llms.telemetry.names import INSTRUMENTATION_NAME

#: Resource of globally routed telemetry (same as a capture's: nothing about the host leaks).
ROUTED_RESOURCE = Resource({"service.name": "sik-llms-test"})

_LOCK = threading.RLock()
_STACK: list[Any] = []  # captures, innermost last
_STATE: dict[str, Any] = {}


def current() -> Any:
    """The capture receiving globally emitted telemetry now, or None."""
    with _LOCK:
        return _STACK[-1] if _STACK else None


@contextmanager
def activate(capture: Any) -> Iterator[None]:
    """Route the process's global telemetry to ``capture`` for the block (installs once)."""
    enter(capture)
    try:
        yield
    finally:
        leave(capture)


def enter(capture: Any) -> None:
    """``activate``'s start, for a caller that unwinds itself (``capture()``): ``capture``
    receives the global telemetry until ``leave(capture)``."""
    install()
    meter_provider: RoutingMeterProvider = _STATE["meter_provider"]
    with _LOCK:
        _STACK.append(capture)
        meter_provider.attach(capture)


def leave(capture: Any) -> None:
    """``activate``'s end: ``capture`` no longer receives the global telemetry."""
    with _LOCK:
        _STACK.remove(capture)
        _STATE["meter_provider"].detach(capture)


# ---------------------------------------------------------------------- traces


class _RoutingTracer(trace_api.Tracer):
    """A global tracer: each span starts on the current capture's own provider (its ids, its
    clock stamps), or as a no-op span when no capture is active."""

    _noop = trace_api.NoOpTracer()

    def __init__(self, scope: tuple[Any, ...]) -> None:
        self._scope = scope

    def _target(self) -> trace_api.Tracer:
        cap = current()
        return cap.tracer_for_one_span(*self._scope) if cap is not None else self._noop

    def start_span(self, *args: Any, **kwargs: Any) -> trace_api.Span:
        return self._target().start_span(*args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().start_as_current_span(*args, **kwargs)


class RoutingTracerProvider(trace_api.TracerProvider):
    """Tracers that start spans on the current capture's provider."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace_api.Tracer:
        return _RoutingTracer(
            (instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        )


def _key(span: ReadableSpan) -> tuple[int, int]:
    # on_end gets a ReadableSpan copy, not the Span on_start saw: key by ids
    context = span.get_span_context()
    return (context.trace_id, context.span_id)


class RoutingSpanProcessor(SpanProcessor):
    """Gives each span to the capture current at its start (its end goes to the same one)."""

    def __init__(self) -> None:
        self._owner: dict[int, Any] = {}

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        cap = current()
        if cap is None:
            return
        self._owner[_key(span)] = cap
        for processor in cap.span_processors:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        cap = self._owner.pop(_key(span), None)
        if cap is None:
            return
        for processor in cap.span_processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        self._owner.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


# ---------------------------------------------------------------------- metrics


class _RoutedInstrument:
    """A global instrument: each measurement goes to the current capture's twin instrument."""

    def __init__(
        self,
        provider: RoutingMeterProvider,
        scope: tuple[Any, ...],
        kind: str,
        name: str,
        options: dict[str, Any],
    ) -> None:
        self._provider, self._scope, self._kind, self.name, self._options = (
            provider,
            scope,
            kind,
            name,
            options,
        )

    def _target(self) -> Any:
        cap = current()
        return None if cap is None else self._provider.twin(cap, self)

    def create_on(self, capture: Any) -> Any:
        meter = capture.meter_provider.get_meter(*self._scope)
        return getattr(meter, self._kind)(self.name, **self._options)

    def add(self, amount: Any, attributes: Any = None, context: Any = None) -> None:
        target = self._target()
        if target is not None:
            target.add(amount, attributes, context)

    def record(self, amount: Any, attributes: Any = None, context: Any = None) -> None:
        target = self._target()
        if target is not None:
            target.record(amount, attributes, context)

    def set(self, amount: Any, attributes: Any = None, context: Any = None) -> None:
        target = self._target()
        if target is not None:
            target.set(amount, attributes, context)


class _RoutedMeter(metrics_api.Meter):
    def __init__(self, provider: RoutingMeterProvider, scope: tuple[Any, ...]) -> None:
        super().__init__(scope[0], scope[1], scope[2])
        self._provider, self._scope = provider, scope

    def _make(self, kind: str, name: str, **options: Any) -> Any:
        return self._provider.register(
            _RoutedInstrument(self._provider, self._scope, kind, name, options)
        )

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_counter", name, unit=unit, description=description)

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_up_down_counter", name, unit=unit, description=description)

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Any = None,
    ) -> Any:
        return self._make(
            "create_histogram",
            name,
            unit=unit,
            description=description,
            explicit_bucket_boundaries_advisory=explicit_bucket_boundaries_advisory,
        )

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._make("create_gauge", name, unit=unit, description=description)

    def create_observable_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._make(
            "create_observable_counter",
            name,
            callbacks=callbacks,
            unit=unit,
            description=description,
        )

    def create_observable_up_down_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._make(
            "create_observable_up_down_counter",
            name,
            callbacks=callbacks,
            unit=unit,
            description=description,
        )

    def create_observable_gauge(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._make(
            "create_observable_gauge", name, callbacks=callbacks, unit=unit, description=description
        )


class RoutingMeterProvider(metrics_api.MeterProvider):
    """Meters whose instruments forward to the current capture's own instruments."""

    def __init__(self) -> None:
        self._meters: dict[tuple[Any, ...], _RoutedMeter] = {}
        self._observables: list[_RoutedInstrument] = []
        self._twins: dict[tuple[int, int], Any] = {}

    def get_meter(
        self,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> metrics_api.Meter:
        if name == INSTRUMENTATION_NAME:
            # sik_llms reaches a capture through its own context-local seam; its observable
            # counters hold process-wide totals, which routed would leak from test to test
            return metrics_api.NoOpMeter(name, version, schema_url)
        scope = (name, version, schema_url)
        with _LOCK:
            if scope not in self._meters:
                self._meters[scope] = _RoutedMeter(self, scope)
            return self._meters[scope]

    def register(self, instrument: _RoutedInstrument) -> _RoutedInstrument:
        if instrument._kind.startswith("create_observable"):
            with _LOCK:
                self._observables.append(instrument)
                for cap in _STACK:
                    self._twins[(id(cap), id(instrument))] = instrument.create_on(cap)
        return instrument

    def twin(self, capture: Any, instrument: _RoutedInstrument) -> Any:
        key = (id(capture), id(instrument))
        with _LOCK:
            if key not in self._twins:
                self._twins[key] = instrument.create_on(capture)
            return self._twins[key]

    def attach(self, capture: Any) -> None:
        for instrument in self._observables:
            self.twin(capture, instrument)

    def detach(self, capture: Any) -> None:
        for key in [k for k in self._twins if k[0] == id(capture)]:
            del self._twins[key]


# ---------------------------------------------------------------------- logs


class RoutingLogProcessor(LogRecordProcessor):
    """Gives each log record to the current capture."""

    def on_emit(self, log_record: Any) -> None:
        cap = current()
        if cap is not None:
            cap.log_processor.on_emit(log_record)

    def shutdown(self) -> None:
        """Nothing to release: the captures own their exporters."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


# ---------------------------------------------------------------------- install


def install() -> None:
    """Install (once per process) the routing providers as OpenTelemetry's globals.

    An SDK provider the application installed first keeps its place and gains the routing
    processor; any other (or none) is replaced, through opentelemetry-test-utils' resets.
    """
    if _STATE:  # every capture with global_=True calls this: no import, no lock once done
        return
    from opentelemetry.test.globals_test import (
        reset_logging_globals,
        reset_metrics_globals,
        reset_trace_globals,
    )

    with _LOCK:
        if _STATE:
            return
        span_router = RoutingSpanProcessor()
        existing = trace_api.get_tracer_provider()
        if isinstance(existing, TracerProvider):
            existing.add_span_processor(span_router)
        else:
            if not isinstance(existing, trace_api.ProxyTracerProvider):
                reset_trace_globals()
            trace_api.set_tracer_provider(RoutingTracerProvider())

        # unset, the proxy provider that handed out import-time meters must see the set (it
        # re-points them); set by someone else, only a reset lets ours in
        meter_provider = RoutingMeterProvider()
        if not isinstance(metrics_api.get_meter_provider(), _ProxyMeterProvider):
            reset_metrics_globals()
        metrics_api.set_meter_provider(meter_provider)

        log_router = RoutingLogProcessor()
        existing_logs = logs_api.get_logger_provider()
        if isinstance(existing_logs, LoggerProvider):
            existing_logs.add_log_record_processor(log_router)
        else:
            if not isinstance(existing_logs, ProxyLoggerProvider):
                reset_logging_globals()
            logger_provider = LoggerProvider(resource=ROUTED_RESOURCE, shutdown_on_exit=False)
            logger_provider.add_log_record_processor(log_router)
            logs_api.set_logger_provider(logger_provider)
        _STATE.update(meter_provider=meter_provider, span_router=span_router, log_router=log_router)


def installed() -> bool:
    return bool(_STATE)


__all__ = [
    "ROUTED_RESOURCE",
    "RoutingLogProcessor",
    "RoutingMeterProvider",
    "RoutingSpanProcessor",
    "RoutingTracerProvider",
    "activate",
    "current",
    "enter",
    "install",
    "installed",
    "leave",
]
