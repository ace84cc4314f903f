"""Content capture, the content event, and trace context on outgoing requests.

The content event: ``gen_ai.client.inference.operation.details`` as an OpenTelemetry log record.

The conventions (v1.37+) define it as an event, i.e. a log record with ``event_name``, sent
through a ``LoggerProvider`` (so ``OTEL_LOGS_EXPORTER`` and ``/v1/logs`` receive it), not a
span event. It repeats the inference span's GenAI attributes (``gen_ai.provider.name``
included) and carries the messages structured, not as JSON strings. It is correlated with the
inference span through the log record's context (trace id and span id).
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry._logs import LogRecord

from sik_llms import clock as _clock
from sik_llms.redact import redact_value
from sik_llms.telemetry import content as contents
from sik_llms.telemetry import names as n

logger = logging.getLogger("sik_llms")

_REPEATED = ("gen_ai.", "server.", "error.type", "openai.")


def emit_inference_details(
    events: Any, span: Any, context: otel_context.Context, content: dict[str, Any]
) -> None:
    """Emit the details event for one inference span; never raises (telemetry never breaks a call)."""
    try:
        attributes: dict[str, Any] = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in (getattr(span, "attributes", None) or {}).items()
            if k.startswith(_REPEATED) and k not in content
        }
        attributes.update({k: _redacted(v) for k, v in content.items()})  # no key in any event
        events.emit(
            LogRecord(
                timestamp=_clock.time_ns(),
                context=context,
                event_name=n.EVENT_INFERENCE_DETAILS,
                attributes=attributes,
            )
        )
    except Exception:
        logger.debug("emitting %s failed", n.EVENT_INFERENCE_DETAILS, exc_info=True)


def record_input(handle: Any, capture: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The sent messages in the conventions' shape; on the span (as JSON) when capture says so.
    Returns them structured, for the event the call emits when it ends."""
    inputs, system = contents.split_input(messages)
    content: dict[str, Any] = {n.GEN_AI_INPUT_MESSAGES: inputs}
    if system:
        content[n.GEN_AI_SYSTEM_INSTRUCTIONS] = system
    if capture in ("SPAN_ONLY", "SPAN_AND_EVENT"):
        handle.set_attributes({k: contents.to_json(v) for k, v in content.items()})
    return content


def record_output(
    handle: Any, capture: str, events: Any, content: dict[str, Any], response: Any
) -> None:
    """The answer on the span (as JSON) and/or, with the inputs, as the details event."""
    output = [contents.output_message(response)]
    if capture in ("SPAN_ONLY", "SPAN_AND_EVENT"):
        handle.set(n.GEN_AI_OUTPUT_MESSAGES, contents.to_json(output))
    if capture in ("EVENT_ONLY", "SPAN_AND_EVENT") and events is not None:
        emit_inference_details(
            events, handle.span, handle.context, {**content, n.GEN_AI_OUTPUT_MESSAGES: output}
        )


def inject_trace_context(request: Any, context: otel_context.Context) -> None:
    """Put ``traceparent`` (and whatever else the configured propagator carries) on the
    outgoing provider request, so a server that traces can join the caller's trace."""
    try:
        propagate.inject(request.headers, context=context)
    except Exception:  # a broken propagator must never break the call
        logger.debug("trace context injection failed", exc_info=True)


def _redacted(value: Any) -> Any:
    """``value`` (structured message content) with secrets redacted from every string in it."""
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(v) for v in value]
    return redact_value(value)
