"""OpenTelemetry for sik_llms: who records, and the helpers the guide names.

Which providers record a call is decided per call (``state.resolve_providers``): a
context-local override (``use_providers``), then ``OTEL_SDK_DISABLED``, then the application's
own providers, then zero-config. With no provider and no opt-in nothing is recorded and a call
costs one cheap check. This module is the public face; the state lives in ``state.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sik_llms.telemetry import config
from sik_llms.telemetry import names as names
from sik_llms.telemetry.links import create_span_link
from sik_llms.telemetry.state import (
    CURRENT_CALL,
    call_settings,
    instruments_for,
    logger_for,
    resolve_logger_provider,
    resolve_providers,
    tracer_for,
    use_providers,
)
from sik_llms.types import TraceContext

if TYPE_CHECKING:  # pragma: no cover
    from opentelemetry.trace import Tracer

    from sik_llms.telemetry.recorder import CallRecorder, HttpAttempt, SpanHandle

__all__ = [
    "TraceContext",
    "add_agent_metrics",
    "create_span_link",
    "get_meter",
    "get_tracer",
    "is_telemetry_enabled",
    "names",
    "resolve_providers",
    "start_call",
    "start_span",
    "use_providers",
]


# --------------------------------------------------------------------------- used by the client


def start_call(client: Any, messages: list[dict[str, Any]]) -> CallRecorder | None:
    """A recorder for one client call, or None when nothing would record it.

    Never raises: a telemetry failure (a broken sampler, say) is logged and the call proceeds
    untraced.
    """
    tp, mp = resolve_providers()
    if tp is None and mp is None:
        return None
    try:
        semconv, capture, lean = call_settings()
        events = None
        if capture in ("EVENT_ONLY", "SPAN_AND_EVENT"):
            lp = resolve_logger_provider()
            events = logger_for(lp) if lp is not None else None
        tracer = tracer_for(tp) if tp is not None else None
        instruments = instruments_for(mp) if mp is not None else None
        if lean:
            return _lean_class()(
                tracer, instruments, client, messages, capture=capture, events=events
            )
        return _recorder_class()(
            tracer, instruments, client, messages, semconv=semconv, capture=capture, events=events
        )
    except Exception as exc:
        config.warn_once(
            f"start-call-{type(exc).__name__}", f"sik_llms telemetry disabled for a call: {exc!r}"
        )
        return None


def _recorder_class() -> type[CallRecorder]:
    """``CallRecorder``, imported on the first traced call (it needs the OpenTelemetry API)."""
    global _CallRecorder
    if _CallRecorder is None:
        from sik_llms.telemetry.recorder import CallRecorder

        _CallRecorder = CallRecorder
    return _CallRecorder


_CallRecorder: type[CallRecorder] | None = None


def _lean_class() -> Any:
    """``LeanCallRecorder`` (the same methods as ``CallRecorder``), imported on first use."""
    global _LeanCallRecorder
    if _LeanCallRecorder is None:
        from sik_llms.telemetry.lean import LeanCallRecorder

        _LeanCallRecorder = LeanCallRecorder
    return _LeanCallRecorder


_LeanCallRecorder: Any = None


def http_attempt(request: Any) -> HttpAttempt | None:
    """A recorder for one HTTP attempt inside a traced call, or None."""
    call = CURRENT_CALL.get()
    if call is None:
        return None
    try:
        return call.http_attempt(request)
    except Exception:
        return None


def start_span(name: str, attributes: dict[str, Any], kind: str = "internal") -> SpanHandle | None:
    """Start one of our own spans (agent steps) under the current context, or None when off."""
    tp, _ = resolve_providers()
    if tp is None:
        return None
    from opentelemetry import context as otel_context
    from opentelemetry.trace import SpanKind

    from sik_llms.telemetry.recorder import start_span as _start

    span_kind = SpanKind.CLIENT if kind == "client" else SpanKind.INTERNAL
    return _start(tracer_for(tp), name, attributes, span_kind, otel_context.get_current())


def add_agent_metrics(
    attrs: dict[str, Any], iterations: int, tool_calls: int, success: bool
) -> None:
    """Record one agent run's own metrics (never its inner calls': they recorded themselves)."""
    _, mp = resolve_providers()
    if mp is not None:
        instruments_for(mp).record_agent(attrs, iterations, tool_calls, success)


def semconv_names() -> bool:
    """True when span names follow the GenAI conventions (OTEL_SEMCONV_STABILITY_OPT_IN)."""
    return call_settings()[0]


# --------------------------------------------------------------------------- the guide's helpers


def is_telemetry_enabled() -> bool:
    """Whether a call made here and now would be traced or measured."""
    tp, mp = resolve_providers()
    return tp is not None or mp is not None


def get_tracer() -> Tracer | None:
    """sik_llms's tracer for the current context, or None when tracing is off."""
    tp, _ = resolve_providers()
    return tracer_for(tp) if tp is not None else None


def get_meter() -> Any:
    """sik_llms's meter for the current context, or None when metrics are off."""
    _, mp = resolve_providers()
    if mp is None:
        return None
    from sik_llms._version import __version__

    return mp.get_meter(names.INSTRUMENTATION_NAME, __version__)
