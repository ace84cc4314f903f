"""SIK_LLMS_TELEMETRY_PROFILE=lean: one GenAI inference span and the one GenAI client metric the
conventions require; the default profile keeps every promise."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from harness.bench.calls import ours_call
from harness.bench.floor import bench_shapes, memory_providers, recorder_call
from harness.bench.model import MODELS
from harness.semconv import check
from sik_llms.telemetry import names as n
from sik_llms.telemetry import start_call, use_providers
from sik_llms.telemetry.state import PROFILE_VAR

SHAPES = bench_shapes(("answer", "stream10", "tool"))
LEAN_METRICS = {n.METRIC_GEN_AI_OPERATION_DURATION}


def _points(pipe: Any) -> dict[str, list[Any]]:
    return {
        m.name: list(m.data.data_points)
        for rm in pipe.metric_reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }


def _run(monkeypatch: pytest.MonkeyPatch, profile: str | None, key=("openai", "stream10")):
    if profile is None:
        monkeypatch.delenv(PROFILE_VAR, raising=False)
    else:
        monkeypatch.setenv(PROFILE_VAR, profile)
    pipe = memory_providers()
    shape = SHAPES[key]
    shape.request.headers.pop("traceparent", None)
    with use_providers(pipe.tracer_provider, pipe.meter_provider):
        recorder_call(shape)()
    return pipe, shape


@pytest.mark.parametrize("key", sorted(SHAPES), ids="-".join)
def test_the_lean_profile_emits_one_genai_inference_span_and_the_genai_duration_metric(
    monkeypatch, key
):
    pipe, shape = _run(monkeypatch, "lean", key)
    (span,) = pipe.span_exporter.get_finished_spans()
    assert span.name == f"chat {shape.client.model}" and span.kind is SpanKind.CLIENT
    assert span.parent is None  # no llm.request wrapper: parented to the caller's span, if any
    attrs = dict(span.attributes)
    assert not [k for k in attrs if not k.startswith(("gen_ai.", "server.", "openai."))]
    assert attrs[n.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[n.GEN_AI_PROVIDER_NAME] == shape.client.provider
    assert attrs[n.GEN_AI_REQUEST_MODEL] == shape.client.model
    assert attrs[n.GEN_AI_USAGE_OUTPUT_TOKENS] == shape.response.output_tokens
    assert attrs[n.GEN_AI_USAGE_INPUT_TOKENS] == shape.response.input_tokens_total
    assert attrs[n.GEN_AI_RESPONSE_FINISH_REASONS]
    streamed = key[1].startswith("stream")
    assert (n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs) is streamed
    assert (attrs.get(n.GEN_AI_REQUEST_STREAM) is True) is streamed
    points = _points(pipe)
    assert set(points) == LEAN_METRICS
    (duration,) = points[n.METRIC_GEN_AI_OPERATION_DURATION]
    assert duration.attributes[n.GEN_AI_RESPONSE_MODEL] == shape.response.model
    assert duration.attributes[n.GEN_AI_PROVIDER_NAME] == shape.client.provider
    # traceparent still goes to the provider: the inference span's, as there is no HTTP span
    _v, trace_id, span_id, _f = shape.request.headers["traceparent"].split("-")
    assert (int(trace_id, 16), int(span_id, 16)) == (span.context.trace_id, span.context.span_id)


def test_the_lean_profile_keeps_the_genai_conventions_with_no_violation(monkeypatch):
    for key in SHAPES:
        pipe, _shape = _run(monkeypatch, "lean", key)
        spans = pipe.span_exporter.get_finished_spans()
        report = check(spans, pipe.metric_reader.get_metrics_data())
        assert report.violations == [], (key, report.violations)
        assert report.spans_checked == 1 and report.metric_points_checked == 1


def test_a_lean_call_through_the_client_and_transport_records_one_span(monkeypatch):
    monkeypatch.setenv(PROFILE_VAR, "lean")
    pipe = memory_providers()
    response = ours_call("anthropic", "stream10", (pipe.tracer_provider, pipe.meter_provider))()
    (span,) = pipe.span_exporter.get_finished_spans()
    assert span.name.startswith("chat claude") and span.status.status_code is StatusCode.UNSET
    assert response.trace_id == f"{span.context.trace_id:032x}"
    assert set(_points(pipe)) == LEAN_METRICS


def test_a_failed_lean_call_marks_its_span_and_its_duration_with_the_error_type(monkeypatch):
    monkeypatch.setenv(PROFILE_VAR, "lean")
    pipe = memory_providers()
    shape = SHAPES[("openai", "answer")]
    with use_providers(pipe.tracer_provider, pipe.meter_provider):
        rec = start_call(shape.client, shape.messages)
        rec.fail(TimeoutError("the provider did not answer"))
        rec.close()  # a no-op once failed
    (span,) = pipe.span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[n.ERROR_TYPE] == "TimeoutError"
    assert [e.name for e in span.events] == ["exception"]
    points = _points(pipe)
    assert set(points) == {n.METRIC_GEN_AI_OPERATION_DURATION}
    (point,) = points[n.METRIC_GEN_AI_OPERATION_DURATION]
    assert point.attributes[n.ERROR_TYPE] == "TimeoutError" and point.count == 1


@pytest.mark.parametrize("profile", [None, "full", "FULL "])
def test_the_default_profile_keeps_three_spans_both_vocabularies_and_every_metric(
    monkeypatch, profile
):
    pipe, _shape = _run(monkeypatch, profile)
    spans = {s.name: dict(s.attributes) for s in pipe.span_exporter.get_finished_spans()}
    assert set(spans) == {n.SPAN_REQUEST, n.span_inference("openai", "stream"), n.SPAN_HTTP}
    inference = spans[n.span_inference("openai", "stream")]
    assert inference[n.LLM_DURATION_SECONDS] > 0 and inference[n.LLM_STREAMING] is True
    # one chat operation per call (#17): the GenAI model is on the inference span, not llm.request
    assert (
        n.GEN_AI_REQUEST_MODEL not in spans[n.SPAN_REQUEST]
        and inference[n.GEN_AI_REQUEST_MODEL] == MODELS["openai"]
    )
    assert LEAN_METRICS | {
        n.METRIC_GEN_AI_TOKEN_USAGE,
        n.METRIC_REQUEST_DURATION,
        n.METRIC_REQUESTS,
        n.METRIC_GEN_AI_TIME_PER_OUTPUT_CHUNK,
    } <= set(_points(pipe))


def test_an_unknown_profile_warns_once_and_keeps_the_full_profile(monkeypatch, caplog):
    with caplog.at_level("WARNING", logger="sik_llms"):
        pipe, _shape = _run(monkeypatch, "tiny")
    assert n.METRIC_REQUEST_DURATION in _points(pipe)
    assert len(pipe.span_exporter.get_finished_spans()) == 3
    assert f"{PROFILE_VAR}='tiny' is not one of full, lean" in caplog.text
