"""The span trees and metrics of the telemetry contract, on every entry point."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import SpanKind, StatusCode

from sik_llms import create_client, telemetry, user_message
from sik_llms.telemetry import names as n
from tests.conftest import Script, anthropic_sse, error_body, ok, openai_sse, scripted
from tests.sik_llms.conftest import Captured

KEY = "sk-test-SECRET0123456789abcdef"


@pytest.fixture
def cap():
    c = Captured()
    with telemetry.use_providers(c.tp, c.mp):
        yield c


MESSAGES = [{"role": "user", "content": "What's 2+2?"}]


def _drain_async_stream(client):
    async def run():
        return [item async for item in client.stream(MESSAGES)]

    return asyncio.run(run())[-1]


ENTRY_POINTS = {
    "call": lambda c: c(MESSAGES),
    "run_async": lambda c: asyncio.run(c.run_async(MESSAGES)),
    "stream": _drain_async_stream,
    "stream_sync": lambda c: list(c.stream_sync(MESSAGES))[-1],
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_openai_tree_and_metrics_are_the_same_on_every_entry_point(cap, entry):
    client = create_client("gpt-4o-mini", temperature=0.7, api_key=KEY)
    with scripted(Script(ok(openai_sse("2 + 2 = 4", prompt_tokens=12, completion_tokens=5)))):
        response = ENTRY_POINTS[entry](client)

    assert response.response == "2 + 2 = 4"
    (request,) = cap.by_name(n.SPAN_REQUEST)
    (inference,) = cap.by_name("llm.openai.stream")
    (http,) = cap.by_name(n.SPAN_HTTP)
    assert inference.parent.span_id == request.context.span_id
    assert http.parent.span_id == inference.context.span_id
    assert (request.kind, inference.kind, http.kind) == (
        SpanKind.INTERNAL,
        SpanKind.CLIENT,
        SpanKind.CLIENT,
    )

    ra = request.attributes
    assert (ra[n.LLM_MODEL], ra[n.LLM_PROVIDER]) == ("gpt-4o-mini", "openai")
    assert (ra[n.LLM_TOKENS_INPUT], ra[n.LLM_TOKENS_OUTPUT], ra[n.LLM_TOKENS_TOTAL]) == (12, 5, 17)
    assert ra[n.LLM_COST_TOTAL] == pytest.approx(response.total_cost) and ra[n.LLM_COST_TOTAL] > 0
    assert ra[n.LLM_DURATION_SECONDS] >= 0
    ia = inference.attributes
    assert ia[n.LLM_STREAMING] is True
    assert ia[n.LLM_REQUEST_TEMPERATURE] == 0.7
    assert ia[n.GEN_AI_OPERATION_NAME] == "chat" and ia[n.GEN_AI_PROVIDER_NAME] == "openai"
    assert ia[n.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"
    assert ia[n.GEN_AI_RESPONSE_MODEL] == "gpt-4o-mini-2024-07-18"
    assert ia[n.GEN_AI_RESPONSE_ID] == "chatcmpl-test123"
    assert tuple(ia[n.GEN_AI_RESPONSE_FINISH_REASONS]) == ("stop",)
    assert (ia[n.GEN_AI_USAGE_INPUT_TOKENS], ia[n.GEN_AI_USAGE_OUTPUT_TOKENS]) == (12, 5)
    assert n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in ia
    ha = http.attributes
    assert ha[n.HTTP_REQUEST_METHOD] == "POST" and ha[n.HTTP_RESPONSE_STATUS_CODE] == 200
    assert ha[n.URL_FULL] == "https://api.openai.com/v1/chat/completions"

    # the response links back to its llm.request span
    assert response.trace_id == format(request.context.trace_id, "032x")
    assert response.span_id == format(request.context.span_id, "016x")
    link = response.trace_context.create_link({"link.type": "evaluation"})
    assert link.context.span_id == request.context.span_id

    # metrics: exactly once per call, whatever the entry point
    labels = {n.LABEL_MODEL: "gpt-4o-mini", n.LABEL_PROVIDER: "openai"}
    assert cap.metric(n.METRIC_REQUESTS, **labels) == 1
    assert cap.metric(n.METRIC_TOKENS_INPUT, **labels) == 12
    assert cap.metric(n.METRIC_TOKENS_OUTPUT, **labels) == 5
    assert cap.metric(n.METRIC_REQUEST_DURATION, **labels) == 1
    assert cap.metric(n.METRIC_COST, **labels) == pytest.approx(response.total_cost)
    assert cap.metric(n.METRIC_GEN_AI_TOKEN_USAGE, **{n.GEN_AI_TOKEN_TYPE: "input"}) == 1
    assert cap.metric(n.METRIC_GEN_AI_OPERATION_DURATION) == 1
    assert cap.metric(n.METRIC_REQUESTS_FAILED) == 0


def test_anthropic_tree_and_cache_accounting(cap):
    client = create_client("claude-sonnet-4-6", api_key=KEY)
    body = anthropic_sse("Paris.", input_tokens=10, output_tokens=6, cache_read=100, cache_write=20)
    with scripted(Script(ok(body))):
        response = client([user_message("Capital of France?")])
    names = sorted(s.name for s in cap.spans())
    # our inference span is the GenAI one: the Anthropic SDK's own call span is not duplicated
    assert names == sorted([n.SPAN_REQUEST, "llm.anthropic.stream", n.SPAN_HTTP])
    (inference,) = cap.by_name("llm.anthropic.stream")
    ia = inference.attributes
    assert ia[n.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert (
        ia[n.GEN_AI_USAGE_INPUT_TOKENS] == 130
    )  # conventions: input includes cache reads and writes
    assert ia[n.GEN_AI_USAGE_CACHE_READ] == 100 and ia[n.GEN_AI_USAGE_CACHE_WRITE] == 20
    assert response.input_tokens == 10  # as Anthropic reported it
    labels = {n.LABEL_MODEL: "claude-sonnet-4-6", n.LABEL_PROVIDER: "anthropic"}
    assert cap.metric(n.METRIC_CACHE_READ_TOKENS, **labels) == 100
    assert cap.metric(n.METRIC_CACHE_WRITE_TOKENS, **labels) == 20


def test_retry_after_429_shows_two_http_attempts(cap):
    client = create_client("gpt-4o-mini", api_key=KEY)
    script = Script(
        (429, error_body("openai", 429, "Rate limit reached"), {"retry-after": "0"}),
        ok(openai_sse("ok")),
    )
    with scripted(script):
        response = client(MESSAGES)
    assert response.response == "ok"
    attempts = sorted(cap.by_name(n.SPAN_HTTP), key=lambda s: s.start_time)
    assert [a.attributes[n.HTTP_RESPONSE_STATUS_CODE] for a in attempts] == [429, 200]
    assert attempts[0].status.status_code == StatusCode.ERROR
    assert n.HTTP_RESEND_COUNT not in attempts[0].attributes
    assert attempts[1].attributes[n.HTTP_RESEND_COUNT] == 1
    (request,) = cap.by_name(n.SPAN_REQUEST)
    assert request.status.status_code != StatusCode.ERROR  # a retried error is not the call's error
    assert cap.metric(n.METRIC_REQUESTS_FAILED) == 0


def test_failure_marks_spans_and_counts_a_failed_request(cap):
    client = create_client("gpt-4o-mini", api_key=KEY, max_retries=0)
    with scripted(Script((401, error_body("openai", 401, "Incorrect API key provided"), {}))):
        with pytest.raises(Exception) as info:
            client(MESSAGES)
    assert getattr(info.value, "status", None) == 401
    (request,) = cap.by_name(n.SPAN_REQUEST)
    (inference,) = cap.by_name("llm.openai.stream")
    for span in (request, inference):
        assert span.status.status_code == StatusCode.ERROR
        assert span.attributes[n.ERROR_TYPE]
    # the exception is recorded once, where it happened; the wrapper only marks the error
    assert [e.name for e in inference.events] == ["exception"]
    assert not any(e.name == "exception" for e in request.events)
    labels = {n.LABEL_MODEL: "gpt-4o-mini", n.LABEL_PROVIDER: "openai"}
    assert cap.metric(n.METRIC_REQUESTS, **labels) == 1
    assert cap.metric(n.METRIC_REQUESTS_FAILED, **labels) == 1
    assert (
        cap.metric(
            n.METRIC_GEN_AI_OPERATION_DURATION, **{n.ERROR_TYPE: request.attributes[n.ERROR_TYPE]}
        )
        == 1
    )


def test_early_closed_stream_ends_spans_and_leaks_no_context(cap):
    client = create_client("gpt-4o-mini", api_key=KEY)
    before = trace.get_current_span()
    with scripted(Script(ok(openai_sse("one two three four", pieces=4)))):
        stream = client.stream_sync(MESSAGES)
        first = next(stream)
        assert first.content is not None
        # while the consumer holds the stream, its own context is untouched
        assert trace.get_current_span() is before
        stream.close()
    assert trace.get_current_span() is before
    (request,) = cap.by_name(n.SPAN_REQUEST)
    assert request.attributes[n.LLM_CANCELLED] is True
    assert request.end_time is not None
    assert cap.metric(n.METRIC_REQUESTS) == 1


def test_cancelled_async_stream_ends_spans(cap):
    client = create_client("gpt-4o-mini", api_key=KEY)

    async def run():
        agen = client.stream(MESSAGES)
        await agen.__anext__()
        await agen.aclose()
        return otel_context.get_current()

    with scripted(Script(ok(openai_sse("one two three", pieces=3)))):
        ctx = asyncio.run(run())
    assert (
        trace.get_current_span(ctx) is trace.INVALID_SPAN
        or not trace.get_current_span(ctx).is_recording()
    )
    assert cap.by_name(n.SPAN_REQUEST)[0].attributes[n.LLM_CANCELLED] is True


def test_semconv_opt_in_switches_span_names(cap, monkeypatch):
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    client = create_client("gpt-4o-mini", api_key=KEY)
    with scripted(Script(ok(openai_sse("hi")))):
        client(MESSAGES)
    assert sorted(s.name for s in cap.spans()) == sorted(
        ["llm.request", "chat gpt-4o-mini", "POST"]
    )
    # both vocabularies still travel together
    (inference,) = cap.by_name("chat gpt-4o-mini")
    assert (
        inference.attributes[n.LLM_STREAMING] is True
        and inference.attributes[n.GEN_AI_OPERATION_NAME] == "chat"
    )


@pytest.mark.parametrize(
    ("mode", "on_span", "on_event"),
    [
        ("NO_CONTENT", False, False),
        ("SPAN_ONLY", True, False),
        ("EVENT_ONLY", False, True),
        ("SPAN_AND_EVENT", True, True),
    ],
)
def test_content_capture_only_on_opt_in_and_never_the_key(monkeypatch, mode, on_span, on_event):
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

    cap = Captured()
    logs = InMemoryLogRecordExporter()
    lp = LoggerProvider(shutdown_on_exit=False)
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs))
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", mode)
    client = create_client("gpt-4o-mini", api_key=KEY)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What's 2+2?"},
    ]
    with telemetry.use_providers(cap.tp, cap.mp, lp), scripted(Script(ok(openai_sse("4")))):
        client(messages)
    (inference,) = cap.by_name("llm.openai.stream")
    assert (n.GEN_AI_INPUT_MESSAGES in inference.attributes) is on_span
    assert not inference.events  # content events are log records, never span events
    events = [
        r.log_record
        for r in logs.get_finished_logs()
        if r.log_record.event_name == n.EVENT_INFERENCE_DETAILS
    ]
    assert bool(events) is on_event
    if on_span:
        inputs = json.loads(inference.attributes[n.GEN_AI_INPUT_MESSAGES])
        assert inputs == [{"role": "user", "parts": [{"type": "text", "content": "What's 2+2?"}]}]
        assert json.loads(inference.attributes[n.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
            {"type": "text", "content": "Be brief."}
        ]
        outputs = json.loads(inference.attributes[n.GEN_AI_OUTPUT_MESSAGES])
        assert outputs[0]["parts"] == [{"type": "text", "content": "4"}]
    everything = json.dumps(
        [
            {"a": dict(s.attributes), "e": [dict(e.attributes) for e in s.events]}
            for s in cap.spans()
        ]
        + [dict(e.attributes) for e in events],
        default=str,
    )
    assert KEY not in everything and "Bearer" not in everything


def test_providers_are_resolved_per_call():
    client = create_client("gpt-4o-mini", api_key=KEY)  # created before any telemetry exists
    c = Captured()
    with scripted(Script(ok(openai_sse("hi")))):
        client(MESSAGES)
        assert not c.spans()
        with telemetry.use_providers(c.tp, c.mp):
            client(MESSAGES)
    assert len(c.by_name(n.SPAN_REQUEST)) == 1


def test_guide_cost_based_sampler_sees_the_model_at_span_start():
    seen = []

    class CostBasedSampler(Sampler):  # the guide's sampler, recording what it saw
        def should_sample(
            self,
            parent_context,
            trace_id,
            name,
            kind=None,
            attributes=None,
            links=None,
            trace_state=None,
        ):
            seen.append((name, dict(attributes)))
            model = attributes.get("llm.model", "")
            if "gpt-4" in model and "mini" not in model:
                return SamplingResult(Decision.RECORD_AND_SAMPLE)
            return SamplingResult(Decision.DROP)

        def get_description(self):
            return "CostBasedSampler"

    c = Captured(sampler=CostBasedSampler())
    with (
        telemetry.use_providers(c.tp, c.mp),
        scripted(Script(ok(openai_sse("hi", model="gpt-4o-2024-11-20")))),
    ):
        create_client("gpt-4o", api_key=KEY)(MESSAGES)
        cheap = create_client("gpt-4o-mini", api_key=KEY)(MESSAGES)
    assert seen[0] == (n.SPAN_REQUEST, seen[0][1]) and seen[0][1][n.LLM_MODEL] == "gpt-4o"
    assert {s.attributes[n.LLM_MODEL] for s in c.spans()} == {"gpt-4o"}
    assert len(c.spans()) == 3  # the expensive call kept whole, the cheap one dropped whole
    assert cheap.trace_id is not None  # sampled out, yet still linkable


def test_debug_logging_names_each_span(cap, caplog):
    client = create_client("gpt-4o-mini", api_key=KEY)
    with caplog.at_level(logging.DEBUG, logger="sik_llms"), scripted(Script(ok(openai_sse("hi")))):
        client(MESSAGES)
    assert "Creating span: llm.request with attributes:" in caplog.text


def test_guide_helpers():
    c = Captured()
    assert telemetry.get_tracer() is None or telemetry.is_telemetry_enabled()
    with telemetry.use_providers(c.tp, c.mp):
        assert telemetry.is_telemetry_enabled()
        assert telemetry.get_tracer() is not None
        assert telemetry.get_meter() is not None
    with telemetry.use_providers(None, None):
        assert not telemetry.is_telemetry_enabled()
        assert telemetry.get_tracer() is None
    assert telemetry.create_span_link(None, "00f067aa0ba902b7") is None
    assert telemetry.create_span_link("zz", "00f067aa0ba902b7") is None
    link = telemetry.create_span_link(
        "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", {"k": "v"}
    )
    assert (
        link.context.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736 and link.attributes["k"] == "v"
    )


def test_call_counters_are_exact_cumulative_sums_under_threads(cap):
    """The per-call counters are observable sums over our own totals: they must still be
    monotonic cumulative sums, exact when calls race, and absent until first added to."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from opentelemetry.sdk.metrics.export import AggregationTemporality, Sum

    client = create_client("gpt-4o-mini", api_key=KEY)
    with scripted(
        Script(*[ok(openai_sse("4", prompt_tokens=3, completion_tokens=2)) for _ in range(40)])
    ):
        contexts = [
            contextvars.copy_context() for _ in range(40)
        ]  # the scripted transport is context-local
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda ctx: ctx.run(client, MESSAGES), contexts))
    labels = {n.LABEL_MODEL: "gpt-4o-mini", n.LABEL_PROVIDER: "openai"}
    assert cap.metric(n.METRIC_REQUESTS, **labels) == 40
    assert cap.metric(n.METRIC_TOKENS_INPUT, **labels) == 120
    assert cap.metric(n.METRIC_TOKENS_OUTPUT, **labels) == 80
    data = cap.reader.get_metrics_data()
    metrics = {
        m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    requests = metrics[n.METRIC_REQUESTS].data
    assert isinstance(requests, Sum) and requests.is_monotonic
    assert requests.aggregation_temporality == AggregationTemporality.CUMULATIVE
    # nothing failed and no cache was used: those sums have no data point yet
    assert n.METRIC_REQUESTS_FAILED not in metrics and n.METRIC_CACHE_READ_TOKENS not in metrics


@pytest.mark.parametrize(
    ("model", "env", "body"),
    [
        ("gpt-4o-mini", "OPENAI_BASE_URL", lambda: openai_sse("ok")),
        ("claude-sonnet-4-6", "ANTHROPIC_BASE_URL", lambda: anthropic_sse("ok")),
    ],
)
def test_server_address_follows_the_sdk_base_url_variable(cap, monkeypatch, model, env, body):
    """The SDKs send to *_BASE_URL when no base_url is given; our spans must say so too."""
    monkeypatch.setenv(
        env, "http://127.0.0.1:8765/v1" if env.startswith("OPENAI") else "http://127.0.0.1:8765"
    )
    script = Script(ok(body()))
    with scripted(script):
        create_client(model, api_key=KEY)(MESSAGES)
    assert script.requests[0].url.host == "127.0.0.1"
    inference = next(
        s for s in cap.spans() if s.name.startswith("llm.") and s.name != n.SPAN_REQUEST
    )
    assert (inference.attributes[n.SERVER_ADDRESS], inference.attributes[n.SERVER_PORT]) == (
        "127.0.0.1",
        8765,
    )
