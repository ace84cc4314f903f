"""Captures reuse their SDK providers (harness.spans.pool); what one records never shows in another."""

from __future__ import annotations

import httpx2
from opentelemetry.metrics import Observation

from harness.spans.capture import capture
from sik_llms import create_client, user_message
from sik_llms.transport import use_transport

_BODY = (
    b'{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"Paris."},"finish_reason":"stop"}],'
    b'"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}'
)


def _one_call() -> None:
    answer = httpx2.MockTransport(
        lambda request: httpx2.Response(
            200, headers={"content-type": "application/json"}, content=_BODY
        )
    )
    client = create_client(
        "gpt-4o-mini", api_key="sk-test-0000", base_url="http://llm.invalid/v1", stream=False
    )
    with use_transport(sync=answer):
        assert "Paris" in client([user_message("Capital of France?")]).response


def test_a_later_capture_reuses_the_providers_and_starts_empty() -> None:
    with capture() as first:
        with first.tracer().start_as_current_span("first"):
            pass
    with capture() as second:
        with second.tracer().start_as_current_span("second"):
            pass
    assert second.tracer_provider is first.tracer_provider
    assert [s.name for s in first.spans()] == ["first"]
    assert [s.name for s in second.spans()] == ["second"]
    assert (second.spans()[0].context.trace_id, second.spans()[0].context.span_id) == (1, 1)


def test_nested_captures_hold_different_providers() -> None:
    with capture() as outer, capture() as inner:
        assert inner.tracer_provider is not outer.tracer_provider
        with inner.tracer().start_as_current_span("inner"):
            pass
    assert outer.spans() == []
    assert [s.name for s in inner.spans()] == ["inner"]


def test_a_span_left_open_by_one_capture_never_reaches_the_next() -> None:
    with capture() as first:
        leaked = first.tracer().start_span("leaked")
    assert first.unfinished() == ["leaked"]
    with capture() as second:
        leaked.end()
        with second.tracer().start_as_current_span("own"):
            pass
    assert [s.name for s in second.spans()] == ["own"]
    assert [s.name for s in first.spans()] == ["leaked"]


def test_spans_and_logs_emitted_after_a_capture_closed_reach_no_capture() -> None:
    with capture() as first:
        pass
    late_tracer = first.tracer_provider.get_tracer("late")
    late_logger = first.logger_provider.get_logger("late")
    late_tracer.start_span("late").end()
    late_logger.emit(body="late")
    with capture() as second:
        pass
    assert first.spans() == [] and first.logs() == []
    assert second.spans() == [] and second.logs() == []


def test_an_observable_instrument_of_one_capture_never_reports_in_the_next() -> None:
    with capture() as first:
        first.meter_provider.get_meter("test").create_observable_gauge(
            "test.gauge", [lambda options: [Observation(7)]]
        )
        assert first.metric_value("test.gauge") == 7
    with capture() as second:
        assert second.metric_value("test.gauge", None) is None
    assert first.metric_value("test.gauge") == 7  # still readable after the next capture


def test_sik_llms_counters_and_histograms_start_at_zero_in_every_capture() -> None:
    kept = []
    for _ in range(3):
        with capture() as cap:
            _one_call()
            assert cap.metric_value("llm.requests") == 1
            assert cap.metric_value("llm.request.duration")["count"] == 1
        kept.append(cap)
    # captures still referenced keep their own readings after their providers were lent on
    assert [cap.metric_value("llm.requests") for cap in kept] == [1, 1, 1]
    assert [len(cap.spans()) for cap in kept] == [3, 3, 3]
