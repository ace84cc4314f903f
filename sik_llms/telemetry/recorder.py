"""Spans and metrics for one client call, one HTTP attempt, or any span the agent opens.

Everything here runs only when a tracer or meter provider resolved for the current context
(see ``sik_llms.telemetry``). Work per streamed chunk is a type check and a counter; context is
attached only while provider code runs, never across a ``yield``, so a stream abandoned by its
consumer cannot leak its span into the caller's context.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanKind, Status, StatusCode

from sik_llms import clock as _clock
from sik_llms.telemetry import content as contents
from sik_llms.telemetry import names as n
from sik_llms.telemetry.errors import error_type
from sik_llms.telemetry.instruments import Instruments
from sik_llms.telemetry.state import CURRENT_CALL
from sik_llms.types import (
    TextChunkEvent,
    ThinkingChunkEvent,
    TokenSummary,
    ToolPredictionResponse,
    TraceContext,
)

logger = logging.getLogger("sik_llms")

_SECRET_QUERY_KEYS = {"key", "api-key", "api_key", "apikey", "access_token", "token", "sig"}
_REQUEST_ATTRS = {
    # request_attributes() key -> (seed attribute or None, GenAI attribute or None)
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


def safe_url(url: Any) -> str:
    """The request URL without credentials in userinfo or the query string."""
    return _safe_url(str(url))


@lru_cache(maxsize=256)  # a client calls the same few URLs over and over
def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = urlencode(
        [(k, "REDACTED" if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class SpanHandle:
    """A started span plus the context in which its children should start."""

    __slots__ = ("context", "span")

    def __init__(self, span: trace_api.Span, parent: otel_context.Context | None) -> None:
        self.span = span
        self.context = trace_api.set_span_in_context(span, parent)

    def set(self, key: str, value: Any) -> None:
        if value is not None:
            self.span.set_attribute(key, value)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        self.span.set_attributes({k: v for k, v in attributes.items() if v is not None})

    @contextmanager
    def active(self) -> Iterator[SpanHandle]:
        """Make this span current for code run inside the block (not across yields)."""
        token = otel_context.attach(self.context)
        try:
            yield self
        finally:
            otel_context.detach(token)

    def fail(self, exc: BaseException, record: bool = True) -> None:
        """Status ERROR and ``error.type``; the exception event only with ``record`` (once per
        failure: the span where it happened records it, its wrappers only mark the error)."""
        kind = error_type(exc)
        self.span.set_attribute(n.ERROR_TYPE, kind)
        if record:
            self.span.record_exception(exc, timestamp=_clock.time_ns())
        self.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

    def end(self) -> None:
        self.span.end(end_time=_clock.time_ns())

    def trace_context(self) -> TraceContext | None:
        ctx = self.span.get_span_context()
        if not ctx.is_valid:
            return None
        return TraceContext(trace_id=format(ctx.trace_id, "032x"), span_id=format(ctx.span_id, "016x"))


def start_span(
    tracer: trace_api.Tracer,
    name: str,
    attributes: dict[str, Any],
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
) -> SpanHandle:
    """Start a span with its sampler-relevant attributes already set, timed by our clock."""
    attrs = {k: v for k, v in attributes.items() if v is not None}
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("Creating span: %s with attributes: %s", name, attrs)
    span = tracer.start_span(name, context=parent, kind=kind, attributes=attrs, start_time=_clock.time_ns())
    # A sampler's SamplingResult replaces the start attributes; the guide's CostBasedSampler
    # returns none, which would strip llm.model from every span. Put them back.
    kept = getattr(span, "attributes", None)
    if kept is not None and len(kept) < len(attrs):
        span.set_attributes(attrs)
    return SpanHandle(span, parent)


def inject_trace_context(request: Any, context: otel_context.Context) -> None:
    """Put ``traceparent`` (and whatever else the configured propagator carries) on the
    outgoing provider request, so a server that traces can join the caller's trace."""
    try:
        from opentelemetry import propagate

        propagate.inject(request.headers, context=context)
    except Exception:  # a broken propagator must never break the call
        logger.debug("trace context injection failed", exc_info=True)


class HttpAttempt:
    """One HTTP request (an SDK retry is another attempt): an ``http.request`` CLIENT span."""

    __slots__ = ("_done", "_handle")

    def __init__(self, call: CallRecorder, request: Any) -> None:
        url = request.url
        attrs = {
            n.HTTP_REQUEST_METHOD: request.method,
            n.URL_FULL: safe_url(url),
            n.SERVER_ADDRESS: url.host,
            n.SERVER_PORT: url.port or (443 if url.scheme == "https" else 80),
            n.LLM_MODEL: call.model,
            n.LLM_PROVIDER: call.provider,
        }
        if call.http_attempts:
            attrs[n.HTTP_RESEND_COUNT] = call.http_attempts
        call.http_attempts += 1
        name = request.method if call.semconv else n.SPAN_HTTP
        self._handle = start_span(call.tracer, name, attrs, SpanKind.CLIENT, call.inference.context)
        self._done = False
        inject_trace_context(request, self._handle.context)

    def got_response(self, response: Any) -> None:
        status = response.status_code
        self._handle.span.set_attribute(n.HTTP_RESPONSE_STATUS_CODE, status)
        if status >= 400:
            self._handle.span.set_attribute(n.ERROR_TYPE, str(status))
            self._handle.span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))

    def fail(self, exc: BaseException) -> None:
        self._handle.fail(exc)
        self.end()

    def end(self) -> None:
        if not self._done:
            self._done = True
            self._handle.end()


class CallRecorder:
    """Telemetry of one client call: ``llm.request`` > inference span > ``http.request``."""

    def __init__(
        self,
        tracer: trace_api.Tracer | None,
        instruments: Instruments | None,
        client: Any,
        messages: list[dict[str, Any]],
        semconv: bool,
        capture: str,
        events: Any = None,
    ) -> None:
        self.tracer = tracer
        self.events = events  # an OpenTelemetry Logger for content events, or None
        self.instruments = instruments
        self.semconv = semconv
        self.capture = capture
        self.model: str = client.model
        self.provider: str = client.provider
        self.mode: str = client.mode
        self.http_attempts = 0
        self.chunks = 0
        self._perf_start = _clock.perf_counter()
        self._first_chunk: float | None = None
        self._closed = False
        self._outcome_recorded = False
        self._req = req = client.request_attributes()
        self._metric_attrs = {n.LABEL_MODEL: self.model, n.LABEL_PROVIDER: self.provider}
        self.streaming = bool(req.get("stream", True))
        self._chunk_times: list[float] | None = [] if instruments is not None and self.streaming else None
        server = {n.SERVER_ADDRESS: req.get("server_address"), n.SERVER_PORT: req.get("server_port")}
        self._server = {k: v for k, v in server.items() if v is not None}
        if tracer is None:
            self.request = self.inference = None
            return
        common = {n.LLM_MODEL: self.model, n.LLM_PROVIDER: self.provider}
        # the llm.request wrapper carries no gen_ai.operation.name / model: one chat operation
        # per call, the inference span's, or GenAI backends count every call twice
        self.request = start_span(
            tracer,
            n.SPAN_REQUEST,
            {**common, n.LLM_OPERATION: self.mode, n.LLM_MESSAGES_COUNT: len(messages)},
        )
        streaming = self.streaming
        inference_attrs = {
            **common,
            n.GEN_AI_OPERATION_NAME: n.OP_CHAT,
            n.GEN_AI_PROVIDER_NAME: self.provider,
            n.GEN_AI_REQUEST_MODEL: self.model,
            n.LLM_STREAMING: streaming,
            n.LLM_API_VENDOR: self.provider,
            n.GEN_AI_REQUEST_STREAM: streaming or None,
        }
        if self.provider == "openai" and req.get("api"):
            inference_attrs[n.OPENAI_API_TYPE] = req["api"]
        for key, value in req.items():
            seed_key, genai_key = _REQUEST_ATTRS.get(key, (None, None))
            if seed_key:
                inference_attrs[seed_key] = value
            if genai_key:
                inference_attrs[genai_key] = value
        name = (
            n.semconv_span_inference(n.OP_CHAT, self.model)
            if semconv
            else n.span_inference(self.provider, self.mode)
        )
        self.inference = start_span(tracer, name, inference_attrs, SpanKind.CLIENT, self.request.context)
        if capture != "NO_CONTENT":
            self._capture_input(messages)

    # -------------------------------------------------------------- used by Client

    @contextmanager
    def active(self) -> Iterator[None]:
        """Run provider code with the inference span current and this call findable."""
        token = CURRENT_CALL.set(self)
        otel_token = otel_context.attach(self.inference.context) if self.inference else None
        try:
            yield
        finally:
            if otel_token is not None:
                otel_context.detach(otel_token)
            CURRENT_CALL.reset(token)

    def observe(self, item: Any) -> None:
        """Per event: count chunks and note the first one. Nothing else, by design."""
        if type(item) is TextChunkEvent or type(item) is ThinkingChunkEvent:
            self.chunks += 1
            if self._chunk_times is not None:  # streamed, with metrics: per-chunk timing metric
                self._chunk_times.append(_clock.perf_counter())
            if self._first_chunk is None:
                self._first_chunk = _clock.perf_counter() - self._perf_start

    def http_attempt(self, request: Any) -> HttpAttempt | None:
        return HttpAttempt(self, request) if self.inference is not None else None

    def succeed(self, response: TokenSummary) -> None:
        duration = response.duration_seconds
        if self.request is not None and self.inference is not None:
            response.trace_context = self.request.trace_context()
            self._set_response_attributes(response, duration)
            self.inference.end()
            self.request.end()
        self._record_metrics(duration, response=response)
        self._closed = True

    def fail(self, exc: BaseException) -> None:
        if self._closed:
            return
        duration = _clock.perf_counter() - self._perf_start
        if self.request is not None and self.inference is not None:
            self.inference.fail(exc)
            self.request.fail(exc, record=False)
            self.request.span.set_attribute(n.LLM_ERROR, str(exc)[:500])
            self.request.set(n.LLM_DURATION_SECONDS, duration)
            self.inference.end()
            self.request.end()
        self._record_metrics(duration, exc=exc)
        self._closed = True

    def cancel(self) -> None:
        """The consumer stopped reading: end the spans (not an error), count the request."""
        if self._closed:
            return
        duration = _clock.perf_counter() - self._perf_start
        if self.request is not None and self.inference is not None:
            for handle in (self.inference, self.request):
                handle.span.set_attribute(n.LLM_CANCELLED, True)
            self.request.set(n.LLM_DURATION_SECONDS, duration)
            self.inference.end()
            self.request.end()
        self._record_metrics(duration)
        self._closed = True

    def close(self) -> None:
        """Safety net for paths that neither succeeded nor failed (e.g. a stream without a response)."""
        if not self._closed:
            self.fail(RuntimeError("the stream ended without a response"))

    # -------------------------------------------------------------- internals

    def _set_response_attributes(self, r: TokenSummary, duration: float) -> None:
        assert self.request is not None and self.inference is not None
        total_cost = r.total_cost
        summary = {
            n.LLM_TOKENS_INPUT: r.input_tokens,
            n.LLM_TOKENS_OUTPUT: r.output_tokens,
            n.LLM_TOKENS_TOTAL: r.total_tokens,
            n.LLM_TOKENS_CACHE_READ: r.cache_read_tokens,
            n.LLM_TOKENS_CACHE_WRITE: r.cache_write_tokens,
            n.LLM_COST_TOTAL: total_cost,
            n.LLM_DURATION_SECONDS: duration,
        }
        self.request.set_attributes(summary)
        # the conventions' values (stop, length, tool_call...); the raw one stays in llm.*
        mapped = contents.finish_reason(r.finish_reason)
        finish = [mapped] if mapped else None
        # llm.tokens.* and llm.cost.total live on llm.request only, so the guide's
        # SUM(llm.cost.total) queries never count a call twice.
        inference = {
            n.GEN_AI_RESPONSE_MODEL: r.model,
            n.LLM_DURATION_SECONDS: duration,
            n.LLM_TOKENS_REASONING: r.reasoning_tokens or None,
            n.LLM_RESPONSE_FINISH_REASON: r.finish_reason,
            n.GEN_AI_RESPONSE_ID: r.response_id,
            n.GEN_AI_RESPONSE_FINISH_REASONS: finish,
            n.GEN_AI_USAGE_INPUT_TOKENS: r.input_tokens_total,
            n.GEN_AI_USAGE_OUTPUT_TOKENS: r.output_tokens,
            n.GEN_AI_USAGE_CACHE_READ: r.cache_read_tokens,
            n.GEN_AI_USAGE_CACHE_WRITE: r.cache_write_tokens,
            n.GEN_AI_USAGE_REASONING: r.reasoning_tokens or None,
        }
        if self._first_chunk is not None:
            inference[n.LLM_TIME_TO_FIRST_CHUNK] = self._first_chunk
            if self.streaming:  # the GenAI attribute is defined for streamed responses only
                inference[n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self._first_chunk
        if isinstance(r, ToolPredictionResponse):
            inference[n.LLM_TOOL_CALLS] = len(r.tool_predictions)
        self.inference.set_attributes(inference)
        if self.capture != "NO_CONTENT":
            self._capture_output(r)

    def _record_metrics(
        self, duration: float, response: TokenSummary | None = None, exc: BaseException | None = None
    ) -> None:
        if self.instruments is None or self._outcome_recorded:
            return
        self._outcome_recorded = True
        try:
            self.instruments.record_call(
                self._metric_attrs, self.provider, self.model, duration, response, exc, server=self._server
            )
            if self._chunk_times and exc is None and self._first_chunk is not None:
                times = self._chunk_times
                gaps = [b - a for a, b in pairwise(times)]
                self.instruments.record_chunks(
                    self.provider, self.model, self._server, self._first_chunk, gaps
                )
        except Exception:  # metrics must never break the call
            logger.debug("recording sik_llms metrics failed", exc_info=True)

    def _capture_input(self, messages: list[dict[str, Any]]) -> None:
        assert self.inference is not None
        inputs, system = contents.split_input(messages)
        self._content: dict[str, Any] = {n.GEN_AI_INPUT_MESSAGES: inputs}
        if system:
            self._content[n.GEN_AI_SYSTEM_INSTRUCTIONS] = system
        if self.capture in ("SPAN_ONLY", "SPAN_AND_EVENT"):
            self.inference.set_attributes({k: contents.to_json(v) for k, v in self._content.items()})

    def _capture_output(self, r: TokenSummary) -> None:
        assert self.inference is not None
        output = [contents.output_message(r)]
        if self.capture in ("SPAN_ONLY", "SPAN_AND_EVENT"):
            self.inference.set(n.GEN_AI_OUTPUT_MESSAGES, contents.to_json(output))
        if self.capture in ("EVENT_ONLY", "SPAN_AND_EVENT") and self.events is not None:
            from sik_llms.telemetry.events import emit_inference_details

            content = {**getattr(self, "_content", {}), n.GEN_AI_OUTPUT_MESSAGES: output}
            emit_inference_details(self.events, self.inference.span, self.inference.context, content)
