"""Where a capture's deferred metrics (harness.spans.deferred, harness.spans.pool) once differed
from what a plain SDK ``MeterProvider`` with an ``InMemoryMetricReader`` gives (helper break5's
review): each test states what the SDK does."""

from __future__ import annotations

import gc
import weakref

from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from harness.clock import VirtualClock
from harness.spans.capture import capture
from sik_llms import telemetry
from sik_llms.clock import use_clock
from tests.harness.spans.test_deferred_metrics import _calls


def _metric_names(data) -> set[str]:
    return {
        m.name
        for rm in (data.resource_metrics if data else ())
        for sm in rm.scope_metrics
        for m in sm.metrics
    }


def test_a_reader_attached_to_the_capture_provider_at_its_start_reads_sik_llms_metrics() -> None:
    # the docs: meter_provider is "the test's SDK provider: hand it ... to your code"; code
    # given an SDK MeterProvider may attach its own reader (add_metric_reader is SDK API)
    with capture() as cap:
        reader = InMemoryMetricReader()
        cap.meter_provider.add_metric_reader(reader)
        _calls()
    assert "llm.requests" in _metric_names(reader.get_metrics_data())


def test_a_reader_attached_in_one_capture_reads_nothing_of_the_next_capture() -> None:
    with capture() as first:
        reader = InMemoryMetricReader()
        first.meter_provider.add_metric_reader(reader)
    reader.get_metrics_data()  # whatever the first capture left
    with capture() as second:
        second.meter_provider.get_meter("app").create_counter("app.jobs").add(1)
    assert "app.jobs" not in _metric_names(reader.get_metrics_data())


def test_sik_llms_meter_asked_for_again_in_a_capture_reports_under_one_scope() -> None:
    # an SDK MeterProvider returns the same meter for the same scope: one ScopeMetrics
    with capture() as cap:
        _calls()
        telemetry.get_meter().create_counter("app.answers").add(1)
    scopes = [
        sm.scope.name for rm in cap.metrics_data().resource_metrics for sm in rm.scope_metrics
    ]
    assert scopes.count("sik_llms") == 1


def _start_times(data) -> dict[str, set[int]]:
    return {
        m.name: {p.start_time_unix_nano for p in m.data.data_points}
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }


def test_a_cumulative_point_keeps_its_start_time_from_read_to_read() -> None:
    # an SDK reader's cumulative points keep start_time_unix_nano; a later start time on a
    # cumulative series means "reset" to any consumer (OTel metrics data model)
    with capture() as cap:
        _calls()
        first = _start_times(cap.metrics_data())
        _calls()
        second = _start_times(cap.metrics_data())
    assert {name: second[name] for name in first} == first


def test_a_capture_points_do_not_start_before_the_capture_did() -> None:
    import time

    with capture() as earlier:
        _calls()
        earlier.metrics()  # the previous test read its metrics
    time.sleep(0.05)
    started = time.time_ns()
    with capture() as cap:
        _calls()
    too_early = {
        name: min(starts) - started
        for name, starts in _start_times(cap.metrics_data()).items()
        if min(starts) < started
    }
    assert too_early == {}


def test_a_reader_of_your_own_and_another_meter_leave_sik_llms_under_one_scope() -> None:
    with capture() as cap:
        reader = InMemoryMetricReader()
        cap.meter_provider.add_metric_reader(reader)
        cap.meter_provider.get_meter("app").create_counter("app.jobs").add(1)
        _calls()
    scopes = [
        sm.scope.name for rm in cap.metrics_data().resource_metrics for sm in rm.scope_metrics
    ]
    assert sorted(scopes) == ["app", "sik_llms"]
    assert cap.metric_value("llm.requests") == 3
    assert {"llm.requests", "app.jobs"} <= _metric_names(reader.get_metrics_data())


def test_a_meter_provider_replaced_after_a_foreign_meter_is_freed_with_its_capture() -> None:
    # cap.meter_provider.get_meter(...) (or a routed module-level meter) makes the pool
    # replace the meter provider at the next capture; the old one must not stay alive for
    # the rest of the process with its readers and the last capture's measurement log
    with capture() as cap:
        cap.meter_provider.get_meter("app").create_counter("app.jobs").add(1)
        old = weakref.ref(cap.meter_provider)
    del cap
    with capture() as later:
        assert later.meter_provider is not old()
    gc.collect()
    assert old() is None


def test_providers_shut_down_by_one_test_are_not_lent_to_the_next() -> None:
    # code handed cap.meter_provider / tracer_provider may shut them down when done
    with capture() as first:
        first.meter_provider.shutdown()
        first.tracer_provider.shutdown()
    with capture() as second:
        second.meter_provider.get_meter("app").create_counter("app.jobs").add(1)
        with second.tracer().start_as_current_span("own"):
            pass
    assert second.meter_provider is not first.meter_provider
    assert second.tracer_provider is not first.tracer_provider
    assert second.metric_value("app.jobs", None) == 1
    assert [s.name for s in second.spans()] == ["own"]


def test_a_logger_provider_shut_down_by_one_test_is_not_lent_to_the_next() -> None:
    import logging

    from opentelemetry.sdk._logs import LoggingHandler

    with capture() as first:
        first.logger_provider.shutdown()
    with capture() as second:
        log = logging.getLogger("tests.pool.logs")
        handler = LoggingHandler(logger_provider=second.logger_provider)
        log.addHandler(handler)
        try:
            log.warning("kept")
        finally:
            log.removeHandler(handler)
    assert second.logger_provider is not first.logger_provider
    assert [r.log_record.body for r in second.logs()] == ["kept"]


def test_each_measurement_is_aggregated_once_however_often_the_test_reads(monkeypatch) -> None:
    # an SDK reader aggregates a measurement once, when it is recorded; replaying the whole
    # log at every read makes a test that reads after each of N streamed calls quadratic
    # (measured before reads became incremental: 800 streamed calls read after each, 102 s)
    from opentelemetry.sdk.metrics._internal import instrument as sdk_instrument

    from sik_llms.telemetry.state import instruments_for

    aggregated = []
    record = sdk_instrument._Histogram.record

    def counting(self, amount, attributes=None, context=None):
        aggregated.append(amount)
        return record(self, amount, attributes, context)

    monkeypatch.setattr(sdk_instrument._Histogram, "record", counting)
    with capture() as cap:
        per_chunk = instruments_for(cap.meter_provider).genai_per_chunk
        for _ in range(20):
            per_chunk.record(0.01, {"gen_ai.operation.name": "chat"})
            cap.metric_value("gen_ai.client.operation.time_per_output_chunk")
    assert cap.metric_value("gen_ai.client.operation.time_per_output_chunk")["count"] == 20
    assert len(aggregated) == 20


def test_reading_after_every_call_adds_up_to_what_one_read_at_the_end_gives() -> None:
    from tests.harness.spans.test_deferred_metrics import _shape

    def without_exemplars(rows):  # a later read's exemplars are only what came since
        return [row[:-1] for row in rows]

    with use_clock(VirtualClock()):
        with capture() as often:
            for _ in range(3):
                _calls()
                often.metrics()
        with capture() as once:
            for _ in range(3):
                _calls()
    assert without_exemplars(_shape(often.metrics_data())) == without_exemplars(
        _shape(once.metrics_data())
    )
    assert often.metric_value("llm.requests") == 9
    assert often.metric_value("gen_ai.client.operation.duration")["count"] == 9


def test_a_stream_left_open_by_one_capture_records_nothing_into_the_next() -> None:
    # its spans go to the capture it started in (the pool routes by owner at start); its
    # metrics must too: a set with spans still open is not lent again (helper break5)
    from harness.bundled import cassette_dir
    from harness.cassettes import use_cassette
    from sik_llms import create_client, user_message
    from tests.harness.spans.test_deferred_metrics import BASE_URL

    with use_cassette(cassette_dir() / "openai" / "text_stream.yaml"):
        with capture() as first:
            client = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url=BASE_URL)
            events = client.stream_sync([user_message("Write a haiku about observability")])
            next(events)
        with capture() as second:
            list(events)  # the first test's stream ends during the second test
    assert second.spans() == []
    assert second.metric_value("llm.requests", 0) == 0
    assert [p["name"] for p in second.metrics()] == []
    assert first.metric_value("llm.requests") == 1
    assert sorted(s.name for s in first.spans()) == [
        "http.request",
        "llm.openai.stream",
        "llm.request",
    ]
