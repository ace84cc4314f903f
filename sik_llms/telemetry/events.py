"""The content event: ``gen_ai.client.inference.operation.details`` as an OpenTelemetry log record.

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
from opentelemetry._logs import LogRecord

from sik_llms import clock as _clock
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
        attributes.update(content)
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
