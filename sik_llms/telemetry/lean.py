"""The lean profile (``SIK_LLMS_TELEMETRY_PROFILE=lean``): one span per call, GenAI only.

What one lean call records, and nothing else:

- **one span**, the inference span, named as the GenAI conventions say (``chat {model}``,
  whatever ``OTEL_SEMCONV_STABILITY_OPT_IN`` says), kind CLIENT, parented to whatever span is
  current; its attributes are the GenAI conventions' only: ``gen_ai.operation.name``,
  ``gen_ai.provider.name``, ``gen_ai.request.*`` the client sets, ``server.address`` /
  ``server.port``, ``openai.api.type`` (OpenAI), and at the end ``gen_ai.response.model`` /
  ``id`` / ``finish_reasons``, ``gen_ai.usage.*`` and, on streams,
  ``gen_ai.response.time_to_first_chunk``; on failure ``error.type``, status ERROR and the
  exception event; message content when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
  asks for it, as in the default profile;
- **one metric**, ``gen_ai.client.operation.duration``, the one the GenAI conventions require
  (``error.type`` on failures; the token counts are on the span as ``gen_ai.usage.*``);
- ``traceparent`` on the provider request (the inference span's, as there is no HTTP span).

Left out, compared with the default profile: the ``llm.request`` wrapper and the
``http.request`` spans (so no per-attempt retry or status-code spans), every ``llm.*``
attribute (``llm.model`` and ``llm.provider`` included: samplers read ``gen_ai.request.model``
and ``gen_ai.provider.name`` instead), the ``llm.*`` metrics (``llm.request.duration``, the
token, cost and request counters), ``gen_ai.client.token.usage`` ("recommended when readily
available") and the streaming chunk histograms (``gen_ai.client.operation.time_to_first_chunk``
/ ``time_per_output_chunk``, "SHOULD be reported for streaming calls"). The default profile
is unchanged by any of this (``recorder.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanKind

from sik_llms import clock as _clock
from sik_llms.redact import redact
from sik_llms.telemetry import content as contents
from sik_llms.telemetry import events as content_events
from sik_llms.telemetry import names as n
from sik_llms.telemetry.attributes import client_attributes
from sik_llms.telemetry.instruments import Instruments
from sik_llms.telemetry.recorder import ActiveCall, SpanHandle, start_prepared
from sik_llms.telemetry.sampler import sampler_keeps_attributes
from sik_llms.types import TextChunkEvent, ThinkingChunkEvent, TokenSummary, ToolCallChunkEvent

__all__ = ["LeanCallRecorder"]

logger = logging.getLogger("sik_llms")
_CHUNKS = (TextChunkEvent, ThinkingChunkEvent, ToolCallChunkEvent)


class LeanCallRecorder:
    """Telemetry of one client call in the lean profile: one GenAI inference span, one metric.

    The same methods as ``CallRecorder`` (``active``, ``observe``, ``http_attempt``,
    ``succeed``, ``fail``, ``cancel``, ``close``), so the client and transport drive either.
    """

    __slots__ = (
        "_closed",
        "_content",
        "_first_chunk",
        "_perf_start",
        "attrs",
        "capture",
        "events",
        "inference",
        "instruments",
        "streaming",
    )

    def __init__(
        self,
        tracer: trace_api.Tracer | None,
        instruments: Instruments | None,
        client: Any,
        messages: list[dict[str, Any]],
        capture: str,
        events: Any = None,
    ) -> None:
        self.attrs = attrs = client_attributes(client, semconv=True, lean=True)
        self.instruments = instruments
        self.capture = capture
        self.events = events
        self.streaming = attrs.streaming
        self._perf_start = _clock.perf_counter()
        self._first_chunk: float | None = None
        self._closed = False
        self._content: dict[str, Any] = {}
        self.inference: SpanHandle | None = None
        if tracer is not None:
            self.inference = start_prepared(
                tracer, attrs.inference_name, attrs.inference, SpanKind.CLIENT, None,
                _clock.time_ns(), not sampler_keeps_attributes(tracer),
            )  # fmt: skip
            if capture != "NO_CONTENT":
                self._content = content_events.record_input(self.inference, capture, messages)

    def active(self) -> ActiveCall:
        """Run provider code with the inference span current and this call findable."""
        return ActiveCall(self)  # type: ignore[arg-type]  # reads .inference only

    def observe(self, item: Any) -> None:
        """Per event: note when the first chunk came (one comparison per later chunk)."""
        if self._first_chunk is None and isinstance(item, _CHUNKS):
            self._first_chunk = _clock.perf_counter() - self._perf_start

    def http_attempt(self, request: Any) -> None:
        """No HTTP span in this profile: only ``traceparent`` (the inference span's) is sent."""
        if self.inference is not None:
            content_events.inject_trace_context(request, self.inference.context)

    def succeed(self, response: TokenSummary) -> None:
        inference = self.inference
        if inference is not None:
            response.trace_context = inference.trace_context()
            inference.span.set_attributes(self._response_attributes(response))
            if self.capture != "NO_CONTENT":
                content_events.record_output(
                    inference, self.capture, self.events, self._content, response
                )
            inference.end()
        self._record(response.duration_seconds, response, None)

    def fail(self, exc: BaseException) -> None:
        if self._closed:
            return
        if self.inference is not None:
            self.inference.fail(exc)
            self.inference.end()
        self._record(_clock.perf_counter() - self._perf_start, None, exc)

    def cancel(self) -> None:
        """The consumer stopped reading: end the span (not an error), record the duration."""
        if self._closed:
            return
        if self.inference is not None:
            self.inference.end()
        self._record(_clock.perf_counter() - self._perf_start, None, None)

    def close(self) -> None:
        """Safety net for paths that neither succeeded nor failed."""
        if not self._closed:
            self.fail(RuntimeError("the stream ended without a response"))

    def _response_attributes(self, r: TokenSummary) -> dict[str, Any]:
        # Unknown is not zero: counts the provider did not report (None) are left out. No key
        # in any span: the strings the provider sent back are redacted.
        out: dict[str, Any] = {}
        if r.input_tokens is not None:
            out[n.GEN_AI_USAGE_INPUT_TOKENS] = r.input_tokens_total
        if r.output_tokens is not None:
            out[n.GEN_AI_USAGE_OUTPUT_TOKENS] = r.output_tokens
        if r.cache_read_tokens is not None:
            out[n.GEN_AI_USAGE_CACHE_READ] = r.cache_read_tokens
        if r.cache_write_tokens is not None:
            out[n.GEN_AI_USAGE_CACHE_WRITE] = r.cache_write_tokens
        if r.reasoning_tokens:
            out[n.GEN_AI_USAGE_REASONING] = r.reasoning_tokens
        if r.model is not None:
            out[n.GEN_AI_RESPONSE_MODEL] = redact(r.model)
        mapped = contents.finish_reason(r.finish_reason)
        if mapped:
            out[n.GEN_AI_RESPONSE_FINISH_REASONS] = (mapped,)
        if r.response_id is not None:
            out[n.GEN_AI_RESPONSE_ID] = redact(r.response_id)
        if self.streaming and self._first_chunk is not None:
            out[n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = self._first_chunk
        return out

    def _record(
        self, duration: float, response: TokenSummary | None, exc: BaseException | None
    ) -> None:
        self._closed = True
        if self.instruments is None:
            return
        try:
            self.instruments.record_genai(
                self.attrs.genai_metric, duration, response, exc, tokens=False
            )
        except Exception:  # metrics must never break the call
            logger.debug("recording sik_llms metrics failed", exc_info=True)
