"""The instrumentation floor: what one traced call's OpenTelemetry work costs by itself.

``FloorEmitter`` emits exactly what ``CallRecorder`` emits for one client call (the three
spans with the same names, kinds, parents and attributes; the same histogram points and
counter totals; one context attach while the HTTP attempt runs; ``traceparent`` put on the
provider request by the configured propagator) with the thinnest hand-written
code on the same SDK: attribute dicts that never change for a client are built once, the
per-call ones are one dict literal each, nothing is cleaned or copied twice. What it costs is
the price of the telemetry contract itself; whatever ``CallRecorder`` costs above it is ours.

``CallShape`` is one recorded call replayed into either emitter with no SDK client and no HTTP
(tests/harness/bench/test_bench_floor.py proves both emit the same telemetry).
``python -m harness.bench.floor_ratio [--in-situ]`` measures both, interleaved, with ratios.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sik_llms.telemetry import names as n
from sik_llms.telemetry.content import finish_reason

__all__ = [
    "CallShape",
    "FloorEmitter",
    "MemoryPipeline",
    "bench_floor_call",
    "bench_shapes",
    "floor_call",
    "memory_providers",
    "record_shape",
    "recorder_call",
]


@dataclass
class CallShape:
    """One client call, recorded once, replayable into an emitter without I/O."""

    client: Any
    messages: list[dict[str, Any]]
    request: Any  # httpx2.Request the SDK sent
    status: int
    events: list[Any]  # the events the call yielded before its response, in order
    response: Any  # the TokenSummary it ended with

    @property
    def label(self) -> str:
        return f"{self.client.provider}/{self.client.mode}/{len(self.events)} events"


class FloorEmitter:
    """The contract's spans, attributes and metric points for one client, emitted minimally."""

    def __init__(
        self, tracer_provider: Any, meter_provider: Any, client: Any, semconv: bool = False
    ) -> None:
        from opentelemetry.metrics import Observation
        from opentelemetry.propagate import inject
        from opentelemetry.trace import SpanKind

        from sik_llms._version import __version__

        self._client_kind = SpanKind.CLIENT
        self._inject = inject
        self.tracer = tracer_provider.get_tracer(n.INSTRUMENTATION_NAME, __version__)
        meter = meter_provider.get_meter(n.INSTRUMENTATION_NAME, __version__)
        model, provider, mode = client.model, client.provider, client.mode
        req = client.request_attributes()
        self.streaming = streaming = bool(req.get("stream", True))
        common = {n.LLM_MODEL: model, n.LLM_PROVIDER: provider}
        genai = {
            n.GEN_AI_OPERATION_NAME: n.OP_CHAT,
            n.GEN_AI_PROVIDER_NAME: provider,
            n.GEN_AI_REQUEST_MODEL: model,
        }
        self.request_name = n.SPAN_REQUEST
        self.request_attrs = {
            **common,
            n.LLM_OPERATION: mode,
        }  # no gen_ai.*: one chat operation per call
        inference = {**common, **genai, n.LLM_STREAMING: streaming, n.LLM_API_VENDOR: provider}
        inference.update({n.GEN_AI_REQUEST_STREAM: True} if streaming else {})
        if provider == "openai" and req.get("api"):
            inference[n.OPENAI_API_TYPE] = req["api"]
        pairs = {
            "temperature": (n.LLM_REQUEST_TEMPERATURE, n.GEN_AI_REQUEST_TEMPERATURE),
            "max_tokens": (n.LLM_REQUEST_MAX_TOKENS, n.GEN_AI_REQUEST_MAX_TOKENS),
            "top_p": (None, n.GEN_AI_REQUEST_TOP_P),
            "top_k": (None, n.GEN_AI_REQUEST_TOP_K),
            "reasoning_effort": (None, n.GEN_AI_REQUEST_REASONING_LEVEL),
            "output_type": (None, n.GEN_AI_OUTPUT_TYPE),
            "tools_count": (n.LLM_TOOLS_COUNT, None),
            "server_address": (None, n.SERVER_ADDRESS),
            "server_port": (None, n.SERVER_PORT),
        }
        for key, value in req.items():
            if value is None or key not in pairs:
                continue
            for attr in pairs[key]:
                if attr:
                    inference[attr] = value
        self.inference_attrs = inference
        self.inference_name = (
            n.semconv_span_inference(n.OP_CHAT, model)
            if semconv
            else n.span_inference(provider, mode)
        )
        self.http_attrs = {n.LLM_MODEL: model, n.LLM_PROVIDER: provider}
        self.semconv = semconv
        self.metric_attrs = {n.LABEL_MODEL: model, n.LABEL_PROVIDER: provider}
        self.genai_attrs = {
            **genai,
            **{
                k: v
                for k, v in (
                    (n.SERVER_ADDRESS, req.get("server_address")),
                    (n.SERVER_PORT, req.get("server_port")),
                )
                if v is not None
            },
        }
        # Running sums behind the observable counters, in the contract's order.
        self._lock = threading.Lock()
        self._sums: dict[str, float] = {}
        attrs = self.metric_attrs
        sums = self._sums

        def observer(name: str) -> Callable[[Any], Iterable[Any]]:
            def observe(_options: Any) -> Iterable[Any]:
                return [Observation(sums[name], attrs)] if name in sums else []

            return observe

        for name, unit in (
            (n.METRIC_TOKENS_INPUT, "{token}"),
            (n.METRIC_TOKENS_OUTPUT, "{token}"),
            (n.METRIC_CACHE_READ_TOKENS, "{token}"),
            (n.METRIC_CACHE_WRITE_TOKENS, "{token}"),
            (n.METRIC_COST, "usd"),
            (n.METRIC_REQUESTS, "{request}"),
            (n.METRIC_REQUESTS_FAILED, "{request}"),
        ):
            meter.create_observable_counter(name, [observer(name)], unit)
        buckets = list(n.DURATION_BUCKETS)
        self.duration = meter.create_histogram(
            n.METRIC_REQUEST_DURATION, "s", explicit_bucket_boundaries_advisory=buckets
        )
        self.genai_tokens = meter.create_histogram(
            n.METRIC_GEN_AI_TOKEN_USAGE,
            "{token}",
            explicit_bucket_boundaries_advisory=list(n.TOKEN_BUCKETS),
        )
        gen_ai_s = (
            n.METRIC_GEN_AI_OPERATION_DURATION,
            n.METRIC_GEN_AI_TIME_TO_FIRST_CHUNK,
            n.METRIC_GEN_AI_TIME_PER_OUTPUT_CHUNK,
        )
        self.genai_duration, self.first_chunk, self.per_chunk = (
            meter.create_histogram(m, "s", explicit_bucket_boundaries_advisory=buckets)
            for m in gen_ai_s
        )

    def emit(
        self,
        messages: list[Any],
        request: Any,
        status: int,
        first_chunk: float | None,
        r: Any,
        gaps: tuple[float, ...] = (),
    ) -> None:
        """One successful call: three spans, four histogram points, the counter totals."""
        from opentelemetry import context
        from opentelemetry.trace import set_span_in_context

        tracer, kind = self.tracer, self._client_kind
        req_span = tracer.start_span(
            self.request_name,
            attributes={**self.request_attrs, n.LLM_MESSAGES_COUNT: len(messages)},
        )
        inference = tracer.start_span(
            self.inference_name,
            set_span_in_context(req_span),
            kind,
            attributes=self.inference_attrs,
        )
        inference_ctx = set_span_in_context(inference)
        token = context.attach(inference_ctx)
        url = request.url
        http = tracer.start_span(
            request.method if self.semconv else n.SPAN_HTTP,
            inference_ctx,
            kind,
            attributes={
                n.HTTP_REQUEST_METHOD: request.method,
                n.URL_FULL: str(url),  # the floor's URLs carry no secrets to redact
                n.SERVER_ADDRESS: url.host,
                n.SERVER_PORT: url.port or 443,
                **self.http_attrs,
            },
        )
        # traceparent (the HTTP span) to the provider, by the configured propagator
        self._inject(request.headers, context=set_span_in_context(http, inference_ctx))
        http.set_attribute(n.HTTP_RESPONSE_STATUS_CODE, status)  # known only once it answered
        http.end()
        context.detach(token)
        duration = r.duration_seconds
        cost = r.total_cost
        input_total = r.input_tokens_total
        req_end = {
            n.LLM_TOKENS_INPUT: r.input_tokens,
            n.LLM_TOKENS_OUTPUT: r.output_tokens,
            n.LLM_TOKENS_TOTAL: r.total_tokens,
            n.LLM_TOKENS_CACHE_READ: r.cache_read_tokens,
            n.LLM_TOKENS_CACHE_WRITE: r.cache_write_tokens,
            n.LLM_DURATION_SECONDS: duration,
        }
        if cost is not None:
            req_end[n.LLM_COST_TOTAL] = cost
        inf_end = {
            n.LLM_DURATION_SECONDS: duration,
            n.GEN_AI_USAGE_INPUT_TOKENS: input_total,
            n.GEN_AI_USAGE_OUTPUT_TOKENS: r.output_tokens,
            n.GEN_AI_USAGE_CACHE_READ: r.cache_read_tokens,
            n.GEN_AI_USAGE_CACHE_WRITE: r.cache_write_tokens,
        }
        if r.model:
            inf_end[n.GEN_AI_RESPONSE_MODEL] = r.model
        if r.finish_reason:
            inf_end[n.LLM_RESPONSE_FINISH_REASON] = r.finish_reason
            if mapped := finish_reason(r.finish_reason):
                inf_end[n.GEN_AI_RESPONSE_FINISH_REASONS] = (mapped,)
        if r.response_id:
            inf_end[n.GEN_AI_RESPONSE_ID] = r.response_id
        if r.reasoning_tokens:
            inf_end[n.LLM_TOKENS_REASONING] = inf_end[n.GEN_AI_USAGE_REASONING] = r.reasoning_tokens
        if first_chunk is not None:  # the GenAI attribute on streams only
            inf_end.update(
                {n.LLM_TIME_TO_FIRST_CHUNK: first_chunk}
                | ({n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: first_chunk} if self.streaming else {})
            )
        predictions = getattr(r, "tool_predictions", None)
        if predictions is not None:
            inf_end[n.LLM_TOOL_CALLS] = len(predictions)
        # usage a provider did not report is None: left out, as the contract says
        req_span.set_attributes({k: v for k, v in req_end.items() if v is not None})
        inference.set_attributes({k: v for k, v in inf_end.items() if v is not None})
        inference.end()
        req_span.end()
        self.duration.record(duration, self.metric_attrs)
        genai = self.genai_attrs
        if r.model:
            genai = {**genai, n.GEN_AI_RESPONSE_MODEL: r.model}
        self.genai_duration.record(duration, genai)
        if input_total is not None:
            self.genai_tokens.record(input_total, {**genai, n.GEN_AI_TOKEN_TYPE: "input"})
        if r.output_tokens is not None:
            self.genai_tokens.record(r.output_tokens, {**genai, n.GEN_AI_TOKEN_TYPE: "output"})
        if self.streaming and first_chunk is not None:
            self.first_chunk.record(first_chunk, self.genai_attrs)
            for gap in gaps:
                self.per_chunk.record(gap, self.genai_attrs)
        sums = self._sums
        with self._lock:
            sums[n.METRIC_REQUESTS] = sums.get(n.METRIC_REQUESTS, 0) + 1
            if r.input_tokens is not None:
                sums[n.METRIC_TOKENS_INPUT] = sums.get(n.METRIC_TOKENS_INPUT, 0) + r.input_tokens
            if r.output_tokens is not None:
                sums[n.METRIC_TOKENS_OUTPUT] = sums.get(n.METRIC_TOKENS_OUTPUT, 0) + r.output_tokens
            if r.cache_read_tokens:
                sums[n.METRIC_CACHE_READ_TOKENS] = (
                    sums.get(n.METRIC_CACHE_READ_TOKENS, 0) + r.cache_read_tokens
                )
            if r.cache_write_tokens:
                sums[n.METRIC_CACHE_WRITE_TOKENS] = (
                    sums.get(n.METRIC_CACHE_WRITE_TOKENS, 0) + r.cache_write_tokens
                )
            if cost is not None:
                sums[n.METRIC_COST] = sums.get(n.METRIC_COST, 0) + cost


def _chunk_types() -> tuple[type, ...]:
    from sik_llms.types import TextChunkEvent, ThinkingChunkEvent

    return (TextChunkEvent, ThinkingChunkEvent)


def floor_call(
    shape: CallShape, tracer_provider: Any, meter_provider: Any, semconv: bool = False
) -> Callable[[], None]:
    """One call of ``shape`` through ``FloorEmitter`` (time to first chunk measured as ours is)."""
    import time

    emitter = FloorEmitter(tracer_provider, meter_provider, shape.client, semconv)
    chunk_types = _chunk_types()
    chunks = sum(type(e) in chunk_types for e in shape.events)
    messages, request, status, response = (
        shape.messages,
        shape.request,
        shape.status,
        shape.response,
    )
    perf = time.perf_counter

    def call() -> None:
        start = perf()
        first = perf() - start if chunks else None
        gaps = tuple(
            -(perf() - perf()) for _ in range(chunks - 1)
        )  # one point per later chunk, as ours
        emitter.emit(messages, request, status, first, response, gaps)

    return call


def recorder_call(shape: CallShape) -> Callable[[], None]:
    """One call of ``shape`` through ``sik_llms.telemetry`` exactly as ``Client`` and the
    transport drive it (start, HTTP attempt under the active call, events, success), with
    whatever providers the caller made current (``use_providers``)."""
    import httpx2

    from sik_llms import telemetry

    client, messages, request, response = (
        shape.client,
        shape.messages,
        shape.request,
        shape.response,
    )
    http_response = httpx2.Response(shape.status, content=b"", request=request)
    first, rest = (shape.events[0], shape.events[1:]) if shape.events else (None, [])

    def call() -> None:
        rec = telemetry.start_call(client, messages)
        if rec is None:
            raise RuntimeError("no provider is current: run recorder_call under use_providers")
        with rec.active():
            attempt = telemetry.http_attempt(request)
            if attempt is not None:  # None in the lean profile (no HTTP span), as in transport.py
                attempt.got_response(http_response)
                attempt.end()
        if first is not None:
            rec.observe(first)
        for event in rest:
            rec.observe(event)
        rec.succeed(response)
        rec.close()

    return call


def bench_floor_call(
    provider: str, workload: str, tracer_provider: Any, meter_provider: Any
) -> Callable[[], Any]:
    """``sik-llms bench``'s ``floor`` setup: the untraced client call (``ours_off``), then
    ``FloorEmitter`` emitting what ``ours_on`` records for it, in the same loop (so the floor
    pays what ours pays for sharing caches with the SDK and HTTP code). Floor minus ``ours_off``
    is the contract's own price; ``ours_on`` minus ``ours_off`` over it is the floor ratio."""
    from harness.bench.calls import our_client, ours_call, prompt_messages
    from harness.bench.wire import memory_transport

    shape = record_shape(
        our_client(provider, workload), prompt_messages(), memory_transport(provider, workload)
    )
    off = ours_call(provider, workload, None)
    emit = floor_call(shape, tracer_provider, meter_provider)

    def call() -> Any:
        result = off()
        emit()
        return result

    return call


# --------------------------------------------------------------------------- shapes and the micro-benchmark


def record_shape(client: Any, messages: list[dict[str, Any]], transport: Any) -> CallShape:
    """Make the call once, telemetry off, through ``transport``; keep what the emitters need."""
    import httpx2

    from sik_llms.transport import use_transport
    from sik_llms.types import RESPONSE_TYPES

    seen: list[Any] = []

    class Recording(httpx2.BaseTransport):
        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            response = transport.handle_request(request)
            seen.append((request, response.status_code))
            return response

    events: list[Any] = []
    response = None
    with use_transport(sync=Recording()):
        for item in client.stream_sync(messages):
            if isinstance(item, RESPONSE_TYPES):
                response = item
            else:
                events.append(item)
    if response is None or len(seen) != 1:
        raise RuntimeError(
            f"recording a call shape needs one request and one response, got {len(seen)} / {response!r:.60}"
        )
    request, status = seen[0]
    return CallShape(client, list(messages), request, status, events, response)


def bench_shapes(
    workloads: Iterable[str] = ("answer", "stream10", "tool"),
) -> dict[tuple[str, str], CallShape]:
    """The bench's clients and canned responses, recorded as shapes (provider, workload) -> shape."""
    from harness.bench import calls, model, wire

    return {
        (provider, workload): record_shape(
            calls.our_client(provider, workload),
            calls.prompt_messages(),
            wire.memory_transport(provider, workload),
        )
        for provider in model.PROVIDERS
        for workload in workloads
    }


@dataclass
class MemoryPipeline:
    """SDK providers with default settings exporting to memory."""

    tracer_provider: Any
    meter_provider: Any
    span_exporter: Any
    metric_reader: Any


def memory_providers() -> MemoryPipeline:
    """Fresh SDK providers with default settings, spans and metrics kept in memory."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    return MemoryPipeline(tp, MeterProvider(metric_readers=[reader]), exporter, reader)
