"""capture(): per-block providers, deterministic ids and times, metrics readout, global mode."""

from __future__ import annotations

import threading

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from harness.clock import VirtualClock
from harness.spans import routing
from harness.spans.capture import IncrementalIdGenerator, capture
from sik_llms import clock as _clock
from sik_llms import telemetry


def test_ids_are_incremental_per_capture() -> None:
    for _ in range(2):  # a second capture starts again at 1
        with capture() as cap:
            tracer = cap.tracer()
            with tracer.start_as_current_span("a"), tracer.start_as_current_span("b"):
                pass
            with tracer.start_as_current_span("c"):
                pass
        spans = {s.name: s.context for s in cap.spans()}
        assert (spans["a"].trace_id, spans["a"].span_id) == (1, 1)
        assert (spans["b"].trace_id, spans["b"].span_id) == (1, 2)
        assert (spans["c"].trace_id, spans["c"].span_id) == (2, 3)


def test_incremental_id_generator_counts_separately() -> None:
    ids = IncrementalIdGenerator()
    assert [ids.generate_span_id(), ids.generate_span_id(), ids.generate_trace_id()] == [1, 2, 1]


def test_sik_llms_sees_the_capture_providers_only_inside_the_block() -> None:
    before = trace.get_tracer_provider()
    with capture() as cap:
        assert telemetry.get_tracer() is not None
        tracer = telemetry.get_tracer()
        tracer.start_span("inside").end()
    assert [s.name for s in cap.spans()] == ["inside"]
    assert trace.get_tracer_provider() is before  # nothing global was touched


def test_auto_clock_is_virtual_and_restamps_foreign_spans() -> None:
    with capture() as cap:
        assert isinstance(cap.clock, VirtualClock)
        assert _clock.current_clock() is cap.clock
        tracer = cap.tracer()
        with tracer.start_as_current_span("outer"):
            cap.clock.advance(0.25)
            with tracer.start_as_current_span("inner"):
                cap.clock.advance(1.5)
    outer, inner = cap.spans()
    assert outer.start_time == cap.clock.time_ns() - 1_750_000_000
    assert outer.end_time - outer.start_time == 1_750_000_000
    assert inner.end_time - inner.start_time == 1_500_000_000
    assert _clock.current_clock() is _clock.SYSTEM_CLOCK


def test_an_active_virtual_clock_is_reused_not_replaced() -> None:
    outer = VirtualClock()
    with _clock.use_clock(outer), capture() as cap:
        assert cap.clock is outer
        assert _clock.current_clock() is outer


def test_clock_none_keeps_explicit_and_real_times() -> None:
    with capture(clock=None) as cap:
        assert cap.clock is None
        cap.tracer().start_span("explicit", start_time=10).end(end_time=30)
    (span,) = cap.spans()
    assert (span.start_time, span.end_time) == (10, 30)


def test_bad_clock_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="clock must be"), capture(clock="fast"):
        pass


def test_a_capture_that_fails_to_start_leaves_context_clock_and_telemetry_as_they_were() -> None:
    outer = TracerProvider().get_tracer("outer")
    with outer.start_as_current_span("outer") as span:
        before = (telemetry.is_telemetry_enabled(), _clock.current_clock())
        with pytest.raises(TypeError, match="clock must be"), capture(global_=True, clock="fast"):
            pass
        assert trace.get_current_span() is span  # the capture's empty context was detached
        assert (telemetry.is_telemetry_enabled(), _clock.current_clock()) == before
        assert routing.current() is None


def test_a_recorded_but_unsampled_span_is_not_exported_to_the_capture() -> None:
    # as SimpleSpanProcessor: an application provider whose sampler records without sampling
    # (RECORD_ONLY) hands its spans to the capture, which keeps only sampled ones
    record_only = TracerProvider(sampler=_RecordOnly())
    record_only.add_span_processor(routing.RoutingSpanProcessor())
    sampled = TracerProvider()
    sampled.add_span_processor(routing.RoutingSpanProcessor())
    with capture(global_=True) as cap:
        record_only.get_tracer("app").start_span("recorded only").end()
        sampled.get_tracer("app").start_span("sampled").end()
    assert [s.name for s in cap.spans()] == ["sampled"]
    assert cap.unfinished() == []


class _RecordOnly(Sampler):
    def should_sample(self, *args: object, **kwargs: object) -> SamplingResult:
        return SamplingResult(Decision.RECORD_ONLY)

    def get_description(self) -> str:
        return "RecordOnly"


def test_fresh_context_detaches_a_leaked_span() -> None:
    leaked_provider = TracerProvider()
    with leaked_provider.get_tracer("leak").start_as_current_span("leaked"):
        with capture() as cap:
            cap.tracer().start_span("mine").end()
        (span,) = cap.spans()
        assert span.parent is None  # not adopted by the leaked span
        with capture(fresh_context=False) as cap2:
            cap2.tracer().start_span("adopted").end()
        assert cap2.spans()[0].parent is not None


def test_unfinished_spans_are_reported() -> None:
    with capture() as cap:
        cap.tracer().start_span("dangling")
        cap.tracer().start_span("done").end()
    assert cap.unfinished() == ["dangling"]
    assert "unfinished spans (started, never ended): dangling" in cap.tree().render()


def test_metrics_readout_is_plain_and_sorted() -> None:
    with capture() as cap:
        meter = cap.meter_provider.get_meter("test")
        counter = meter.create_counter("llm.tokens.input", unit="{token}")
        counter.add(5, {"llm.model": "b", "llm.provider": "openai"})
        counter.add(7, {"llm.model": "a", "llm.provider": "openai"})
        counter.add(1, {"llm.model": "a", "llm.provider": "openai"})
        meter.create_histogram("llm.request.duration", unit="s").record(0.3, {"llm.model": "a"})
    points = cap.metrics()
    assert [(p["name"], p["attributes"].get("llm.model")) for p in points] == [
        ("llm.request.duration", "a"),
        ("llm.tokens.input", "a"),
        ("llm.tokens.input", "b"),
    ]
    assert points[1] == {
        "name": "llm.tokens.input",
        "unit": "{token}",
        "type": "counter",
        "attributes": {"llm.model": "a", "llm.provider": "openai"},
        "value": 8,
    }
    assert points[0]["buckets"] == {
        5.0: 1
    }  # SDK default bounds: (0, 5] and points[0]["count"] == 1
    assert cap.metric_value("llm.tokens.input") == 13
    assert cap.metric_value("llm.tokens.input", llm_model="a") == 8
    assert cap.metric_value("llm.tokens.input", **{"llm.model": "b"}) == 5
    assert cap.metric_value("llm.request.duration", llm_model="a")["sum"] == 0.3
    assert cap.metric_value("llm.requests.failed", default=0) == 0
    with pytest.raises(
        LookupError, match=r"recorded metrics: \['llm.request.duration', 'llm.tokens.input'\]"
    ):
        cap.metric_value("llm.requests.failed")
    with pytest.raises(LookupError, match="its series"):
        cap.metric_value("llm.tokens.input", llm_model="zzz")


def test_global_mode_routes_the_global_providers_to_the_innermost_capture() -> None:
    tracer = trace.get_tracer("bound.before.any.capture")  # a module-level tracer, bound once
    counter = metrics.get_meter("guide").create_counter("user.count")
    with capture(global_=True) as outer:
        tracer.start_span("outer.span").end()
        counter.add(2)
        with capture(global_=True) as inner:
            tracer.start_span("inner.span").end()
            counter.add(5)
    with capture(global_=True) as later:
        tracer.start_span("later.span").end()
    tracer.start_span("nobody.listens").end()
    assert [s.name for s in outer.spans()] == ["outer.span"]
    assert [s.name for s in inner.spans()] == ["inner.span"]
    assert [s.name for s in later.spans()] == ["later.span"]
    assert outer.metric_value("user.count") == 2
    assert inner.metric_value("user.count") == 5
    assert later.metric_value("user.count", default=0) == 0


def test_global_mode_captures_log_records_of_the_global_logger_provider() -> None:
    from opentelemetry._logs import LogRecord, get_logger

    with capture(global_=True) as cap:
        get_logger("app.events").emit(
            LogRecord(body="hello", attributes={"gen_ai.system": "openai"})
        )
    assert [r.log_record.body for r in cap.logs()] == ["hello"]


def test_captures_in_parallel_threads_do_not_mix() -> None:
    results: dict[str, list[str]] = {}

    def work(name: str) -> None:
        with capture() as cap:
            for i in range(20):
                telemetry.get_tracer().start_span(f"{name}.{i}").end()
        results[name] = sorted({s.name.split(".")[0] for s in cap.spans()})

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": ["a"], "b": ["b"], "c": ["c"]}
