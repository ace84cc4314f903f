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
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanKind, Status, StatusCode

from sik_llms import clock as _clock
from sik_llms.redact import (
    exception_stacktrace,
    exception_text,
    redact,
    redact_url,
    redact_value,
)
from sik_llms.telemetry import content as contents
from sik_llms.telemetry import events as content_events
from sik_llms.telemetry import names as n
from sik_llms.telemetry.attributes import client_attributes
from sik_llms.telemetry.errors import error_type
from sik_llms.telemetry.instruments import Instruments
from sik_llms.telemetry.sampler import sampler_keeps_attributes
from sik_llms.telemetry.state import CURRENT_CALL
from sik_llms.types import (
    TextChunkEvent,
    ThinkingChunkEvent,
    TokenSummary,
    ToolCallChunkEvent,
    ToolPredictionResponse,
    TraceContext,
)

logger = logging.getLogger("sik_llms")


def safe_url(url: Any) -> str:
    """The request URL as ``url.full`` may show it: secrets redacted (``sik_llms.redact.redact_url``)."""
    return redact_url(url)


class SpanHandle:
    """A started span plus the context in which its children should start.

    The context is made on first use: most spans (``http.request``, ``llm.request`` once its
    child started) never need one, and making one copies the current context.
    """

    __slots__ = ("_context", "_parent", "span")

    def __init__(self, span: trace_api.Span, parent: otel_context.Context | None) -> None:
        self.span = span
        self._parent = otel_context.get_current() if parent is None else parent
        self._context: otel_context.Context | None = None

    @property
    def context(self) -> otel_context.Context:
        ctx = self._context
        if ctx is None:
            ctx = self._context = trace_api.set_span_in_context(self.span, self._parent)
        return ctx

    def set(self, key: str, value: Any) -> None:
        if value is not None:
            self.span.set_attribute(key, redact_value(value))

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        self.span.set_attributes(
            {k: redact_value(v) for k, v in attributes.items() if v is not None}
        )

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
            message = exception_text(
                exc
            )  # secrets redacted from the event, the status and the trace
            self.span.record_exception(
                exc,
                attributes={
                    n.EXCEPTION_MESSAGE: message,
                    n.EXCEPTION_STACKTRACE: exception_stacktrace(exc),
                },
                timestamp=_clock.time_ns(),
            )
        self.span.set_status(
            Status(StatusCode.ERROR, f"{type(exc).__name__}: {exception_text(exc)}")
        )

    def end(self, end_time: int | None = None) -> None:
        self.span.end(end_time=_clock.time_ns() if end_time is None else end_time)

    def trace_context(self) -> TraceContext | None:
        ctx = self.span.get_span_context()
        if not ctx.is_valid:
            return None
        return TraceContext(trace_id=f"{ctx.trace_id:032x}", span_id=f"{ctx.span_id:016x}")


def start_span(
    tracer: trace_api.Tracer,
    name: str,
    attributes: dict[str, Any],
    kind: SpanKind = SpanKind.INTERNAL,
    parent: otel_context.Context | None = None,
) -> SpanHandle:
    """Start a span with its sampler-relevant attributes already set, timed by our clock."""
    attrs = {
        k: redact_value(v) for k, v in attributes.items() if v is not None
    }  # no key in any span
    return start_prepared(tracer, name, attrs, kind, parent, _clock.time_ns())


def start_prepared(
    tracer: trace_api.Tracer,
    name: str,
    attrs: dict[str, Any],
    kind: SpanKind,
    parent: otel_context.Context | None,
    start_time: int,
    check_sampler: bool = True,
) -> SpanHandle:
    """``start_span`` for attributes already free of None and redacted (prepared once per
    client in ``attributes.py``, or cached per URL here). ``check_sampler=False`` when
    ``sampler_keeps_attributes(tracer)`` said the check cannot find anything."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("Creating span: %s with attributes: %s", name, attrs)
    span = tracer.start_span(
        name, context=parent, kind=kind, attributes=attrs, start_time=start_time
    )
    # A sampler's SamplingResult replaces the start attributes; the guide's CostBasedSampler
    # returns none, which would strip llm.model from every span. Put them back.
    if check_sampler:
        kept = getattr(span, "attributes", None)
        if kept is not None and len(kept) < len(attrs):
            span.set_attributes(attrs)
    return SpanHandle(span, parent)


@lru_cache(maxsize=256)  # a client calls the same few URLs over and over
def _http_attributes(method: str, url: str, model: str, provider: str) -> dict[str, Any]:
    """The start attributes of an ``http.request`` span (shared: never modify the result)."""
    parts = urlsplit(url)
    attrs = {
        n.HTTP_REQUEST_METHOD: method,
        n.URL_FULL: redact_url(url),
        n.SERVER_ADDRESS: parts.hostname,
        n.SERVER_PORT: parts.port or (443 if parts.scheme == "https" else 80),
        n.LLM_MODEL: model,
        n.LLM_PROVIDER: provider,
    }
    return {k: redact_value(v) for k, v in attrs.items() if v is not None}  # no key in any span


class HttpAttempt:
    """One HTTP request (an SDK retry is another attempt): an ``http.request`` CLIENT span."""

    __slots__ = ("_done", "_handle")

    def __init__(self, call: CallRecorder, request: Any) -> None:
        method = request.method
        attrs = _http_attributes(method, str(request.url), call.model, call.provider)
        if call.http_attempts:
            attrs = {**attrs, n.HTTP_RESEND_COUNT: call.http_attempts}
        call.http_attempts += 1
        name = method if call.semconv else n.SPAN_HTTP
        assert call.tracer is not None and call.inference is not None
        self._handle = start_prepared(
            call.tracer,
            name,
            attrs,
            SpanKind.CLIENT,
            call.inference.context,
            _clock.time_ns(),
            call.check_sampler,
        )
        self._done = False
        content_events.inject_trace_context(request, self._handle.context)

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


class ActiveCall:
    """``active()`` of a call recorder (``CallRecorder``, ``LeanCallRecorder``): the call in
    ``CURRENT_CALL``, its inference span (``.inference``, may be None) current."""

    __slots__ = ("_call", "_otel_token", "_token")

    def __init__(self, call: Any) -> None:
        self._call = call

    def __enter__(self) -> None:
        call = self._call
        self._token = CURRENT_CALL.set(call)
        self._otel_token = (
            otel_context.attach(call.inference.context) if call.inference is not None else None
        )

    def __exit__(self, *_exc: object) -> None:
        if self._otel_token is not None:
            otel_context.detach(self._otel_token)
        CURRENT_CALL.reset(self._token)


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
        self.attrs = attrs = client_attributes(client, semconv)
        self.model: str = attrs.model
        self.provider: str = attrs.provider
        self.mode: str = client.mode
        self.http_attempts = 0
        self.chunks = 0
        clock = _clock.current_clock()
        self._perf_start = clock.perf_counter()
        self._first_chunk: float | None = None
        self._closed = False
        self._outcome_recorded = False
        self._metric_attrs = attrs.metric
        self.streaming = attrs.streaming
        # streamed, with metrics: chunk times for gen_ai.client.operation.time_per_output_chunk
        self._chunk_times: list[float] | None = (
            [] if instruments is not None and attrs.streaming else None
        )
        if tracer is None:
            self.request = self.inference = None
            return
        now = clock.time_ns()
        self.check_sampler = check = not sampler_keeps_attributes(tracer)
        self.request = start_prepared(
            tracer,
            n.SPAN_REQUEST,
            {**attrs.request, n.LLM_MESSAGES_COUNT: len(messages)},
            SpanKind.INTERNAL,
            None,
            now,
            check,
        )
        self.inference = start_prepared(
            tracer,
            attrs.inference_name,
            attrs.inference,
            SpanKind.CLIENT,
            self.request.context,
            now,
            check,
        )
        if capture != "NO_CONTENT":
            self._content = content_events.record_input(self.inference, capture, messages)

    # -------------------------------------------------------------- used by Client

    def active(self) -> ActiveCall:
        """Run provider code with the inference span current and this call findable.

        A context manager; a plain class, not ``@contextmanager``'s generator (a third of the
        cost, and it runs on every call)."""
        return ActiveCall(self)

    def observe(self, item: Any) -> None:
        """Per event: count chunks and note the first one. Nothing else, by design."""
        if (
            type(item) is TextChunkEvent
            or type(item) is ThinkingChunkEvent
            or type(item) is ToolCallChunkEvent
        ):
            self.chunks += 1
            if self._chunk_times is not None:  # streamed, with metrics: per-chunk timing metric
                self._chunk_times.append(_clock.perf_counter())
            if self._first_chunk is None:
                self._first_chunk = _clock.perf_counter() - self._perf_start

    def http_attempt(self, request: Any) -> HttpAttempt | None:
        return HttpAttempt(self, request) if self.inference is not None else None

    def succeed(self, response: TokenSummary) -> None:
        duration = response.duration_seconds
        cost = response.total_cost
        if self.request is not None and self.inference is not None:
            response.trace_context = self.request.trace_context()
            self._set_response_attributes(response, duration, cost)
            now = _clock.time_ns()
            self.inference.end(now)
            self.request.end(now)
        self._record_metrics(duration, response=response, cost=cost)
        self._closed = True

    def fail(self, exc: BaseException) -> None:
        if self._closed:
            return
        duration = _clock.perf_counter() - self._perf_start
        if self.request is not None and self.inference is not None:
            self.inference.fail(exc)
            self.request.fail(exc, record=False)
            self.request.span.set_attribute(n.LLM_ERROR, exception_text(exc)[:500])
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

    def _set_response_attributes(
        self, r: TokenSummary, duration: float, total_cost: float | None
    ) -> None:
        assert self.request is not None and self.inference is not None
        # Unknown is not zero: a count the provider did not report (None) is left out.
        input_total = r.input_tokens_total
        output = r.output_tokens
        cache_read, cache_write = r.cache_read_tokens, r.cache_write_tokens
        total = (
            None
            if r.input_tokens is None and output is None
            else (input_total or 0) + (output or 0)
        )
        summary = {
            n.LLM_TOKENS_INPUT: r.input_tokens,
            n.LLM_TOKENS_OUTPUT: output,
            n.LLM_TOKENS_TOTAL: total,
            n.LLM_TOKENS_CACHE_READ: cache_read,
            n.LLM_TOKENS_CACHE_WRITE: cache_write,
            n.LLM_COST_TOTAL: total_cost,
            n.LLM_DURATION_SECONDS: duration,
        }
        # llm.tokens.* and llm.cost.total live on llm.request only, so the guide's
        # SUM(llm.cost.total) queries never count a call twice.
        inference = {
            n.LLM_DURATION_SECONDS: duration,
            n.GEN_AI_USAGE_INPUT_TOKENS: input_total,
            n.GEN_AI_USAGE_OUTPUT_TOKENS: output,
            n.GEN_AI_USAGE_CACHE_READ: cache_read,
            n.GEN_AI_USAGE_CACHE_WRITE: cache_write,
        }
        # no key in any span: the strings the provider sent back are redacted (``redact``,
        # cached per distinct value); numbers and our own vocabulary cannot hold one
        if r.model is not None:
            inference[n.GEN_AI_RESPONSE_MODEL] = redact(r.model)
        finish = r.finish_reason
        if finish is not None:
            inference[n.LLM_RESPONSE_FINISH_REASON] = redact(finish)  # the provider's own value
            mapped = contents.finish_reason(finish)  # the conventions' (stop, length, tool_call...)
            if mapped:
                inference[n.GEN_AI_RESPONSE_FINISH_REASONS] = (mapped,)
        if r.response_id is not None:
            inference[n.GEN_AI_RESPONSE_ID] = redact(r.response_id)
        if r.reasoning_tokens:
            inference[n.LLM_TOKENS_REASONING] = inference[n.GEN_AI_USAGE_REASONING] = (
                r.reasoning_tokens
            )
        if self._first_chunk is not None:
            inference[n.LLM_TIME_TO_FIRST_CHUNK] = self._first_chunk
            if self.streaming:  # the GenAI attribute is defined for streamed responses only
                inference[n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self._first_chunk
        if isinstance(r, ToolPredictionResponse):
            inference[n.LLM_TOOL_CALLS] = len(r.tool_predictions)
        if r.server_tool_calls:  # tools the provider ran itself (web search, ...)
            inference[n.LLM_SERVER_TOOL_CALLS] = len(r.server_tool_calls)
            inference[n.LLM_SERVER_TOOL_NAMES] = [
                redact(c.name or c.type) for c in r.server_tool_calls
            ]
        self.request.span.set_attributes({k: v for k, v in summary.items() if v is not None})
        self.inference.span.set_attributes({k: v for k, v in inference.items() if v is not None})
        if self.capture != "NO_CONTENT":
            content_events.record_output(
                self.inference, self.capture, self.events, getattr(self, "_content", {}), r
            )

    def _record_metrics(
        self,
        duration: float,
        response: TokenSummary | None = None,
        exc: BaseException | None = None,
        cost: float | None = None,
    ) -> None:
        if self.instruments is None or self._outcome_recorded:
            return
        self._outcome_recorded = True
        try:
            self.instruments.record_call(
                self._metric_attrs,
                self.attrs.genai_metric,
                duration,
                response,
                exc,
                cost,
            )
            if self._chunk_times and exc is None and self._first_chunk is not None:
                gaps = [b - a for a, b in pairwise(self._chunk_times)]
                self.instruments.record_chunks(self.attrs.genai_metric, self._first_chunk, gaps)
        except Exception:  # metrics must never break the call
            logger.debug("recording sik_llms metrics failed", exc_info=True)
