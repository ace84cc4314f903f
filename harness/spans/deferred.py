"""sik_llms's metric measurements kept as recorded, aggregated by the SDK when a test reads them.

A capture's metrics must start at zero, and the OpenTelemetry SDK cannot reset a reader: each
capture used to attach a fresh ``InMemoryMetricReader`` to the pooled ``MeterProvider``, and
the SDK then built, on the test's first measurements, a reader storage, one view-instrument
match per instrument and one aggregation per attribute set (about 75 µs a test, measured in
``docs/bench.md``), plus about 10 µs per histogram point to aggregate, whether or not the test
ever looked at a metric.

So sik_llms's own meter on a pooled provider is a ``DeferredMeter``: its instruments append
each measurement (instrument, amount, a copy of the attributes, the current context) to the
owning capture's ``MeasurementLog``, which costs about a microsecond. When the test reads
metrics (``Capture.metrics()``, ``metric_value``, ``assert_metrics``, a tree with its metrics
section, ``metric_reader.get_metrics_data()``), ``DeferredMeter.collect`` replays the log, in
order, into the same-named SDK instruments (same unit, description and advisory bucket
boundaries, same meter scope) of an SDK ``MeterProvider`` kept for the purpose, with a fresh
``InMemoryMetricReader``, and returns the SDK's own ``MetricsData``: the SDK aggregates
exactly what it would have aggregated at record time. Exemplars are sampled from the recorded
context, as the SDK would have at record time. What still differs is only time: data points
carry the replay's start and collection timestamps.

Observable instruments (sik_llms's call counters over running totals) keep their callbacks and
are observed at read time, as an SDK reader observes them at collection time; a capture whose
provider is handed to the next capture has its observations frozen first (``freeze``), since
the totals are cleared for the new owner.

Meters anyone else asks the pooled provider for stay plain SDK meters, read by a real
``InMemoryMetricReader`` attached when the first such meter is given out (``harness.spans.pool``).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics as metrics_api
from opentelemetry.sdk import metrics as sdk_metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricsData,
    ResourceMetrics,
)
from opentelemetry.sdk.resources import Resource

from sik_llms.redact import exception_text

__all__ = ["DeferredMeter", "MeasurementLog", "merge_metrics_data", "without_scope"]

_LOG = logging.getLogger(__name__)

#: (instrument, amount, attributes copy or None, context at record time)
Measurement = tuple["_DeferredSync", float, "dict[str, Any] | None", Any]


class MeasurementLog:
    """One capture's recorded measurements, in order, and frozen observations.

    ``entries`` only grows (``list.append`` is atomic, so threads may record concurrently).
    ``frozen`` maps an observable instrument to what its callbacks returned when the capture
    gave its provider to the next capture, or is None while the callbacks are still its own.
    """

    __slots__ = ("_cache", "entries", "frozen", "started_ns")

    def __init__(self) -> None:
        #: when the capture started: the start time of every cumulative point it reads
        self.started_ns = time.time_ns()
        self.entries: list[Measurement] = []
        self.frozen: dict[_DeferredObservable, list[metrics_api.Observation]] | None = None
        #: (what was read: entry count and observations, the data, entries aggregated)
        self._cache: tuple[Any, MetricsData | None, int] | None = None


class _Sink:
    """Where a deferred instrument's measurements go: the log of the provider's metric owner."""

    __slots__ = ("log",)

    def __init__(self) -> None:
        self.log: MeasurementLog | None = None


class _DeferredSync:
    """A synchronous instrument that logs measurements instead of aggregating them."""

    __slots__ = ("_sink", "kind", "method", "mirror", "name", "options", "real")

    def __init__(self, sink: _Sink, kind: str, method: str, name: str, options: dict[str, Any]):
        self._sink = sink
        self.kind = kind  # the Meter method that makes it ("create_histogram", ...)
        self.method = method  # how a measurement is made ("record", "add", "set")
        self.name = name
        self.options = options
        self.real: Any = None  # the SDK instrument on the replay provider, made on first replay
        #: the same-named SDK instrument on the pooled provider, once a reader of your own
        #: was attached to it (``DeferredMeter.mirror_to``); it aggregates at record time
        self.mirror: Any = None

    def _log(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        if self.mirror is not None:
            getattr(self.mirror, self.method)(amount, attributes, context)
        log = self._sink.log
        if log is not None:
            log.entries.append(
                (
                    self,
                    amount,
                    dict(attributes) if attributes else None,  # as the SDK copies them
                    context if context is not None else otel_context.get_current(),
                )
            )


class _Histogram(_DeferredSync, metrics_api.Histogram):
    __slots__ = ()
    record = _DeferredSync._log


class _Counter(_DeferredSync, metrics_api.Counter):
    __slots__ = ()
    add = _DeferredSync._log


class _UpDownCounter(_DeferredSync, metrics_api.UpDownCounter):
    __slots__ = ()
    add = _DeferredSync._log


class _Gauge(_DeferredSync):  # the API's synchronous gauge class is not public yet
    __slots__ = ()
    set = _DeferredSync._log


class _DeferredObservable:
    """An observable instrument whose callbacks run when the capture's metrics are read."""

    def __init__(self, kind: str, name: str, callbacks: Sequence[Any], options: dict[str, Any]):
        self.kind = kind
        self.name = name
        self.options = options
        self._callbacks = [_primed(cb) for cb in callbacks or ()]
        self.real: Any = None
        self.mirror: Any = None

    def observe(self) -> list[metrics_api.Observation]:
        """What the callbacks report now (a failing callback reports nothing, as in the SDK)."""
        options = metrics_api.CallbackOptions()
        observed: list[metrics_api.Observation] = []
        for callback in self._callbacks:
            try:
                observed.extend(callback(options))
            except Exception as exc:  # as the SDK does: say so, skip it, read the rest
                _LOG.warning("callback of %s failed: %s", self.name, exception_text(exc))
        return observed


def _primed(callback: Any) -> Callable[[metrics_api.CallbackOptions], Iterable[Any]]:
    """A plain function for an API callback, which may also be a generator (API spec)."""
    if inspect.isgenerator(callback):
        next(callback)
        return callback.send
    return callback


_SYNC = {
    "create_histogram": (_Histogram, "record"),
    "create_counter": (_Counter, "add"),
    "create_up_down_counter": (_UpDownCounter, "add"),
    "create_gauge": (_Gauge, "set"),
}


class DeferredMeter(metrics_api.Meter):
    """The meter sik_llms gets from a pooled provider (see the module docstring).

    ``sink_owner(log)`` makes ``log`` receive the measurements; ``collect(log)`` returns the
    SDK's ``MetricsData`` for ``log`` (None when nothing was recorded or observed)."""

    def __init__(
        self,
        resource: Resource,
        name: str,
        version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> None:
        super().__init__(name, version, schema_url)
        self._resource = resource
        self._scope = (name, version, schema_url, attributes)
        self._sink = _Sink()
        self._observables: list[_DeferredObservable] = []
        self._lock = threading.Lock()
        self._replay: Any = None  # (reader, meter) of the replay provider, made on first read
        self._observed: dict[_DeferredObservable, list[metrics_api.Observation]] = {}
        self._sync_instruments: list[_DeferredSync] = []
        self._mirror: Any = None

    # ------------------------------------------------------------------ owner

    def sink_owner(self, log: MeasurementLog | None) -> None:
        """Send later measurements to ``log`` (None: drop them)."""
        self._sink.log = log

    def scope_args(self) -> tuple[Any, ...]:
        """The (version, schema_url, attributes) sik_llms asked for its meter with."""
        return self._scope[1:]

    def mirror_to(self, meter: Any) -> None:
        """Also record, from now on, into the same-named SDK instruments of ``meter`` (a plain
        SDK meter of the pooled provider: a reader your code attached there reads them as it
        would on any SDK provider)."""
        with self._lock:
            self._mirror = meter
            for instrument in [*self._sync_instruments, *self._observables]:
                self._mirror_one(instrument)

    def _mirror_one(self, instrument: Any) -> None:
        if self._mirror is None or instrument.mirror is not None:
            return
        if isinstance(instrument, _DeferredObservable):
            callbacks = [lambda options, obs=instrument: obs.observe()]
            instrument.mirror = getattr(self._mirror, instrument.kind)(
                instrument.name, callbacks, **instrument.options
            )
        else:
            instrument.mirror = getattr(self._mirror, instrument.kind)(
                instrument.name, **instrument.options
            )

    def freeze(self, log: MeasurementLog) -> None:
        """Keep what the observable instruments report now as ``log``'s final observations."""
        log.frozen = {obs: obs.observe() for obs in self._observables}

    # ------------------------------------------------------------------ API

    def _sync(self, kind: str, name: str, unit: str, description: str, **extra: Any) -> Any:
        cls, method = _SYNC[kind]
        return cls(
            self._sink, kind, method, name, {"unit": unit, "description": description, **extra}
        )

    def create_histogram(self, name: str, unit: str = "", description: str = "", **kw: Any) -> Any:
        return self._sync("create_histogram", name, unit, description, **kw)

    def create_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._sync("create_counter", name, unit, description)

    def create_up_down_counter(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._sync("create_up_down_counter", name, unit, description)

    def create_gauge(self, name: str, unit: str = "", description: str = "") -> Any:
        return self._sync("create_gauge", name, unit, description)

    def _observable(self, kind: str, name: str, callbacks: Any, unit: str, description: str) -> Any:
        observable = _DeferredObservable(
            kind, name, callbacks, {"unit": unit, "description": description}
        )
        with self._lock:
            self._observables.append(observable)
            self._mirror_one(observable)
        return observable

    def create_observable_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observable("create_observable_counter", name, callbacks, unit, description)

    def create_observable_up_down_counter(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observable(
            "create_observable_up_down_counter", name, callbacks, unit, description
        )

    def create_observable_gauge(
        self, name: str, callbacks: Any = None, unit: str = "", description: str = ""
    ) -> Any:
        return self._observable("create_observable_gauge", name, callbacks, unit, description)

    # ------------------------------------------------------------------ read

    def collect(self, log: MeasurementLog) -> MetricsData | None:
        """``log``'s measurements aggregated by the SDK, and the observable instruments'
        current (or frozen) observations: what an ``InMemoryMetricReader`` attached when the
        capture started would return now. Read again with nothing new, the same data."""
        observed = (
            log.frozen
            if log.frozen is not None
            else {obs: obs.observe() for obs in self._observables}
        )
        key = (
            len(log.entries),
            tuple(
                (o.value, tuple(sorted((o.attributes or {}).items())))
                for obs in observed.values()
                for o in obs
            ),
        )
        cache = log._cache
        if cache is not None and cache[0] == key:
            return cache[1]
        done = cache[2] if cache is not None else 0  # entries aggregated by earlier reads
        with self._lock:
            reader, meter = self._replay_reader()
            self._observed = observed
            try:
                for obs in observed:
                    if obs.real is None:
                        obs.real = getattr(meter, obs.kind)(
                            obs.name, [self._callback(obs)], **obs.options
                        )
                for instrument, amount, attributes, context in log.entries[done : key[0]]:
                    real = instrument.real
                    if real is None:
                        real = instrument.real = getattr(meter, instrument.kind)(
                            instrument.name, **instrument.options
                        )
                    getattr(real, instrument.method)(amount, attributes, context)
                delta = reader.get_metrics_data()
            except BaseException:
                reader.get_metrics_data()  # drop what a failed replay left aggregated
                raise
            finally:
                self._observed = {}
        data = _cumulative(delta, log.started_ns)
        if cache is not None:
            data = _add(cache[1], data, {obs.name for obs in observed})
        log._cache = (key, data, key[0])
        return data

    def _callback(self, obs: _DeferredObservable) -> Callable[[Any], list[Any]]:
        return lambda _options: self._observed.get(obs, [])

    def _replay_reader(self) -> tuple[InMemoryMetricReader, Any]:
        """The replay provider's reader and meter, made on the first read.

        The reader is kept from read to read: synchronous instruments are read with delta
        temporality, so each collection drops what it aggregated (the SDK keeps nothing of a
        delta attribute set after its collection) and the next read starts empty without a
        new reader storage; each read replays a whole log, so each delta is that capture's
        total since it started (``_cumulative`` labels it so). Observable instruments stay
        cumulative: they report what their callbacks returned, nothing of earlier reads."""
        if self._replay is None:
            reader = InMemoryMetricReader(preferred_temporality=_DELTA_FOR_SYNCHRONOUS)
            provider = MeterProvider(
                resource=self._resource, metric_readers=[reader], shutdown_on_exit=False
            )
            name, version, schema_url, attributes = self._scope
            self._replay = (reader, provider.get_meter(name, version, schema_url, attributes))
        return self._replay


_DELTA_FOR_SYNCHRONOUS = {
    cls: AggregationTemporality.DELTA
    for cls in (
        sdk_metrics.Counter,
        sdk_metrics.UpDownCounter,
        sdk_metrics.Histogram,
        sdk_metrics._Gauge,  # the SDK's synchronous gauge (in its __all__ under this name)
    )
}


def _cumulative(data: MetricsData | None, started_ns: int) -> MetricsData | None:
    """``data`` as a reader attached when the capture started would give it: its delta points
    labelled cumulative (they are: see ``_replay_reader``), and every sum's and histogram's
    points starting at ``started_ns`` (the replay's own start times are earlier reads')."""
    if data is None:
        return None

    def relabel(metric: Any) -> Any:
        if getattr(metric.data, "aggregation_temporality", None) is None:
            return metric  # a gauge: no temporality, no start of its own
        points = [replace(p, start_time_unix_nano=started_ns) for p in metric.data.data_points]
        return replace(
            metric,
            data=replace(
                metric.data,
                data_points=points,
                aggregation_temporality=AggregationTemporality.CUMULATIVE,
            ),
        )

    return MetricsData(
        resource_metrics=[
            replace(
                rm,
                scope_metrics=[
                    replace(sm, metrics=[relabel(m) for m in sm.metrics]) for sm in rm.scope_metrics
                ],
            )
            for rm in data.resource_metrics
        ]
    )


def _add(
    before: MetricsData | None, new: MetricsData | None, observable: set[str]
) -> MetricsData | None:
    """The cumulative data of a log read before (``before``) plus what its entries recorded
    since (``new``, from the same replay meter: one resource, one scope). Sums and histogram
    counts, sums and buckets add up, min and max widen; a gauge's or an observable
    instrument's point is replaced by its new one; exemplars are the new ones (as an SDK
    reader's reservoirs hold only what came since its last collection)."""
    if before is None or new is None:
        return new if before is None else before
    (rm_before,) = before.resource_metrics
    (sm_before,) = rm_before.scope_metrics
    (rm_new,) = new.resource_metrics
    (sm_new,) = rm_new.scope_metrics
    metrics = {m.name: m for m in sm_before.metrics}
    for metric in sm_new.metrics:
        old = metrics.get(metric.name)
        if old is None or metric.name in observable:
            metrics[metric.name] = metric
            continue
        points = {_labels(p.attributes): p for p in old.data.data_points}
        for point in metric.data.data_points:
            earlier = points.get(_labels(point.attributes))
            points[_labels(point.attributes)] = (
                point if earlier is None else _added(earlier, point, metric.data)
            )
        metrics[metric.name] = replace(
            metric, data=replace(metric.data, data_points=list(points.values()))
        )
    scope = replace(sm_new, metrics=list(metrics.values()))
    return MetricsData(resource_metrics=[replace(rm_new, scope_metrics=[scope])])


def _labels(attributes: Any) -> tuple[Any, ...]:
    return tuple(sorted((k, repr(v)) for k, v in (attributes or {}).items()))


def _added(earlier: Any, point: Any, data: Any) -> Any:
    if isinstance(point, HistogramDataPoint):
        return replace(
            point,
            start_time_unix_nano=earlier.start_time_unix_nano,
            count=earlier.count + point.count,
            sum=earlier.sum + point.sum,
            bucket_counts=[
                a + b for a, b in zip(earlier.bucket_counts, point.bucket_counts, strict=True)
            ],
            min=min(earlier.min, point.min),
            max=max(earlier.max, point.max),
        )
    if getattr(data, "aggregation_temporality", None) is None:
        return point  # a gauge: its last value
    return replace(
        point, start_time_unix_nano=earlier.start_time_unix_nano, value=earlier.value + point.value
    )


def merge_metrics_data(*parts: MetricsData | None) -> MetricsData | None:
    """One ``MetricsData`` from several (None parts skipped): scopes of the same resource go
    into one ``ResourceMetrics``, in the order given."""
    present = [p for p in parts if p is not None]
    if len(present) <= 1:
        return present[0] if present else None
    merged: dict[Any, ResourceMetrics] = {}
    for data in present:
        for rm in data.resource_metrics:
            key = (rm.resource, rm.schema_url)
            if key in merged:
                kept = merged[key]
                merged[key] = ResourceMetrics(
                    kept.resource, [*kept.scope_metrics, *rm.scope_metrics], kept.schema_url
                )
            else:
                merged[key] = rm
    return MetricsData(resource_metrics=list(merged.values()))


def without_scope(data: MetricsData | None, name: str) -> MetricsData | None:
    """``data`` without the scopes called ``name`` (None when nothing else is left)."""
    if data is None:
        return None
    kept = [
        replace(rm, scope_metrics=[sm for sm in rm.scope_metrics if sm.scope.name != name])
        for rm in data.resource_metrics
    ]
    kept = [rm for rm in kept if rm.scope_metrics]
    return MetricsData(resource_metrics=kept) if kept else None
