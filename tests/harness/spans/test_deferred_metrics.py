"""A capture aggregates sik_llms's measurements when read (harness.spans.deferred): what it
reads is what an SDK reader attached at the capture's start would have read."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.metrics import Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricsData,
)
from opentelemetry.sdk.trace import TracerProvider

from harness.bundled import cassette_dir
from harness.cassettes import use_cassette
from harness.clock import VirtualClock
from harness.spans.capture import capture
from harness.spans.deferred import DeferredMeter, MeasurementLog
from harness.spans.metrics import read_metrics
from sik_llms import create_client, telemetry, user_message
from sik_llms.clock import use_clock
from sik_llms.errors import ServerError

BASE_URL = "http://simulator.invalid/v1"


def _calls() -> None:
    """A non-streamed answer, a streamed one (per-chunk points) and a server error."""
    openai = cassette_dir() / "openai"
    with use_cassette(openai / "text.yaml"):
        client = create_client(
            "gpt-5.4-mini", api_key="sk-test-0000", base_url=BASE_URL, stream=False
        )
        client([user_message("What's the capital of France?")])
    with use_cassette(openai / "text_stream.yaml"):
        client = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url=BASE_URL)
        client([user_message("Write a haiku about observability")])
    with use_cassette(openai / "error_500.yaml", unused="ignore"):
        client = create_client(
            "gpt-5.4-mini", api_key="sk-test-0000", base_url=BASE_URL, max_retries=0
        )
        with pytest.raises(ServerError):
            client([user_message("Trigger a server error please.")])


def _shape(data: MetricsData | None) -> list[tuple[Any, ...]]:
    """Everything in ``data`` but timestamps and exemplar ids, sorted."""
    rows = []
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                kind = type(metric.data).__name__
                temporality = getattr(metric.data, "aggregation_temporality", None)
                for p in metric.data.data_points:
                    if isinstance(p, HistogramDataPoint):
                        value: Any = (p.count, p.sum, p.min, p.max, tuple(p.bucket_counts))
                        value += (tuple(p.explicit_bounds),)
                    else:
                        value = p.value
                    exemplars = tuple(
                        sorted(
                            (e.value, tuple(sorted(e.filtered_attributes.items())))
                            for e in p.exemplars
                        )
                    )
                    rows.append(
                        (
                            rm.resource.attributes.get("service.name"),
                            sm.scope.name,
                            metric.name,
                            metric.unit,
                            metric.description,
                            kind,
                            temporality,
                            tuple(sorted(p.attributes.items())),
                            value,
                            exemplars,
                        )
                    )
    return sorted(rows, key=repr)


def test_a_capture_reads_what_an_sdk_reader_attached_at_its_start_reads() -> None:
    with use_clock(VirtualClock()):
        with capture() as cap:
            _calls()
        reader = InMemoryMetricReader()
        meters = MeterProvider(
            metric_readers=[reader], resource=cap_resource(), shutdown_on_exit=False
        )
        with telemetry.use_providers(TracerProvider(), meters):
            _calls()
    captured = _shape(cap.metric_reader.get_metrics_data())
    assert captured == _shape(reader.get_metrics_data())
    names = {row[2] for row in captured}
    assert {"gen_ai.client.operation.time_per_output_chunk", "llm.requests.failed"} <= names
    assert all(
        row[6] in (None, AggregationTemporality.CUMULATIVE) for row in captured
    )  # cumulative since the capture started, as a reader attached then would say


def test_a_point_recorded_inside_a_span_keeps_that_span_as_its_exemplar() -> None:
    from sik_llms.telemetry.state import instruments_for

    with capture() as cap:
        with cap.tracer().start_as_current_span("work") as span:
            instruments_for(cap.meter_provider).duration.record(0.25, {"llm.model": "m"})
    (point,) = [
        p
        for rm in cap.metric_reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        for p in m.data.data_points
    ]
    (exemplar,) = point.exemplars  # the SDK's trace-based filter, with the recorded context
    assert (exemplar.span_id, exemplar.trace_id, exemplar.value) == (
        span.get_span_context().span_id,
        span.get_span_context().trace_id,
        0.25,
    )


def test_reading_twice_with_nothing_new_gives_the_same_data_and_a_new_call_shows() -> None:
    with capture() as cap:
        _calls()
        first = cap.metric_reader.get_metrics_data()
        assert cap.metric_reader.get_metrics_data() is first
        assert cap.metric_value("llm.requests") == 3
        _calls()
        assert cap.metric_value("llm.requests") == 6
        assert cap.metric_value("llm.request.duration")["count"] == 6


def test_attributes_are_copied_when_recorded() -> None:
    log = MeasurementLog()
    meter = DeferredMeter(cap_resource(), "sik_llms")
    histogram = meter.create_histogram("h", "s", "a histogram")
    meter.sink_owner(log)
    labels = {"k": "before"}
    histogram.record(1.5, labels)
    labels["k"] = "after"
    points = read_metrics(_Reader(meter, log))
    assert [(p["attributes"], p["count"], p["sum"]) for p in points] == [({"k": "before"}, 1, 1.5)]


def test_measurements_without_an_owner_are_dropped_without_error() -> None:
    meter = DeferredMeter(cap_resource(), "sik_llms")
    meter.create_counter("c").add(1, {"k": "v"})  # no capture owns the meter: nothing to do
    log = MeasurementLog()
    meter.sink_owner(log)
    assert meter.collect(log) is None


def test_a_failing_observable_callback_reports_nothing_and_the_rest_is_read(caplog) -> None:
    def broken(_options: Any) -> list[Observation]:
        raise RuntimeError("callback failed")

    meter = DeferredMeter(cap_resource(), "sik_llms")
    meter.create_observable_counter("broken", [broken])
    meter.create_observable_counter("fine", [lambda _options: [Observation(4, {"k": "v"})]])
    log = MeasurementLog()
    points = read_metrics(_Reader(meter, log))
    assert [(p["name"], p["value"]) for p in points] == [("fine", 4)]
    assert "callback of broken failed: callback failed" in caplog.text


def test_generator_callbacks_are_observed_as_the_api_allows() -> None:
    def observe():  # the API's generator form: primed, then sent CallbackOptions
        while True:
            yield [Observation(2)]

    meter = DeferredMeter(cap_resource(), "sik_llms")
    meter.create_observable_gauge("g", [observe()])
    assert [p["value"] for p in read_metrics(_Reader(meter, MeasurementLog()))] == [2]


def test_another_meter_on_the_capture_provider_is_read_beside_sik_llms() -> None:
    with capture() as cap:
        _calls()
        counter = cap.meter_provider.get_meter("my.app").create_counter("my.app.jobs")
        counter.add(2, {"queue": "a"})
        names = {p["name"] for p in cap.metrics()}
    assert {"my.app.jobs", "llm.requests"} <= names
    assert cap.metric_value("my.app.jobs", queue="a") == 2
    data = cap.metric_reader.get_metrics_data()
    assert len(data.resource_metrics) == 1  # one resource, both scopes
    assert {sm.scope.name for sm in data.resource_metrics[0].scope_metrics} == {
        "sik_llms",
        "my.app",
    }


def test_a_previous_capture_keeps_its_counters_once_the_next_clears_the_totals() -> None:
    with capture() as first:
        _calls()  # not read inside the block: frozen when the next capture takes the set
    with capture() as second:
        _calls()
        _calls()
    assert second.meter_provider is first.meter_provider
    assert first.metric_value("llm.requests") == 3
    assert first.metric_value("llm.requests.failed") == 1
    assert second.metric_value("llm.requests") == 6
    assert first.metric_value("llm.request.duration")["count"] == 3


def cap_resource() -> Any:
    from harness.spans.capture import CAPTURE_RESOURCE

    return CAPTURE_RESOURCE


class _Reader:
    def __init__(self, meter: DeferredMeter, log: MeasurementLog) -> None:
        self._meter, self._log = meter, log

    def get_metrics_data(self) -> MetricsData | None:
        return self._meter.collect(self._log)


def test_one_read_leaves_nothing_for_the_next_captures_read() -> None:
    meter = DeferredMeter(cap_resource(), "sik_llms")
    histogram = meter.create_histogram("h")
    gauge = meter.create_gauge("g")
    observed = {"series": "first"}
    meter.create_observable_counter(
        "calls", [lambda _options: [Observation(1, {"series": observed["series"]})]]
    )
    first, second = MeasurementLog(), MeasurementLog()
    meter.sink_owner(first)
    histogram.record(1.0, {"series": "first"})
    gauge.set(5, {"series": "first"})
    assert {p["attributes"]["series"] for p in read_metrics(_Reader(meter, first))} == {"first"}
    meter.sink_owner(second)
    observed["series"] = "second"
    histogram.record(2.0, {"series": "second"})
    points = read_metrics(_Reader(meter, second))
    assert [(p["name"], p["attributes"]["series"]) for p in points] == [
        ("calls", "second"),
        ("h", "second"),
    ]
    assert [p["sum"] for p in points if p["name"] == "h"] == [2.0]
    data = meter.collect(second)
    temporalities = {
        m.name: m.data.aggregation_temporality
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    assert set(temporalities.values()) == {AggregationTemporality.CUMULATIVE}
