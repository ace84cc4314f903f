"""OpenTelemetry for sik_llms: who records, and the helpers the guide names.

Which providers record a call is decided per call, in this order:

1. a context-local override (``use_providers``), which the harness uses to capture one test;
2. ``OTEL_SDK_DISABLED=true``: nothing;
3. providers the application installed globally (manual setup), honoured per signal and never
   supplemented uninvited;
4. zero-config, only with ``OTEL_SDK_DISABLED=false``: sik_llms builds providers from the
   ``OTEL_*`` variables for the signals that have none (``telemetry/setup.py``);
5. otherwise nothing is recorded or exported, and a call costs one cheap check.

The OpenTelemetry SDK is imported only in step 4 (and by the application itself in step 3).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sik_llms.telemetry import config
from sik_llms.telemetry import names as names

if TYPE_CHECKING:  # pragma: no cover
    from opentelemetry.trace import Link, Tracer

    from sik_llms.telemetry.recorder import CallRecorder, HttpAttempt, SpanHandle
    from sik_llms.types import TraceContext

__all__ = [
    "TraceContext",
    "add_agent_metrics",
    "create_span_link",
    "get_meter",
    "get_tracer",
    "is_telemetry_enabled",
    "names",
    "start_call",
    "start_span",
    "use_providers",
]

_OVERRIDE: ContextVar[tuple[Any, Any] | None] = ContextVar("sik_llms_providers", default=None)
# The traced call whose provider code is running (set by CallRecorder.active), so the transport
# can open an http.request span under it. Here, not in recorder.py: with telemetry off the
# transport's check is this one lookup, without importing the SDK-dependent recorder.
CURRENT_CALL: ContextVar[CallRecorder | None] = ContextVar("sik_llms_current_call", default=None)
_zero_config_lock = threading.Lock()
_zero_config_done = False
_tracers: dict[int, tuple[Any, Any]] = {}
_instruments: dict[int, tuple[Any, Any]] = {}


def __getattr__(name: str) -> Any:
    if name == "TraceContext":  # the guide imports it from here
        from sik_llms.types import TraceContext

        return TraceContext
    raise AttributeError(name)


# --------------------------------------------------------------------------- resolution


@contextmanager
def use_providers(tracer_provider: Any = None, meter_provider: Any = None) -> Iterator[None]:
    """Record sik_llms calls made in this context with these providers (None: that signal off).

    Context-local: other threads, tasks and tests keep their own providers, and nothing global
    is touched, so the harness can capture one test's spans in parallel with others.
    """
    token = _OVERRIDE.set((tracer_provider, meter_provider))
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def _is_real_tracer_provider(provider: Any) -> bool:
    name = type(provider).__name__
    return name not in ("ProxyTracerProvider", "NoOpTracerProvider")


def _is_real_meter_provider(provider: Any) -> bool:
    name = type(provider).__name__
    return name not in ("_ProxyMeterProvider", "NoOpMeterProvider")


def _global_providers() -> tuple[Any, Any]:
    from opentelemetry import metrics, trace

    tp = trace.get_tracer_provider()
    mp = metrics.get_meter_provider()
    return (tp if _is_real_tracer_provider(tp) else None, mp if _is_real_meter_provider(mp) else None)


def _ensure_zero_config(tp: Any, mp: Any) -> tuple[Any, Any]:
    """Install providers for the signals that have none (once per process)."""
    global _zero_config_done
    if _zero_config_done or (tp is not None and mp is not None):
        return tp, mp
    with _zero_config_lock:
        if _zero_config_done:
            return _global_providers()
        _zero_config_done = True
        try:
            from sik_llms.telemetry import setup
        except ImportError:  # pragma: no cover - setup itself has no third-party imports
            raise
        try:
            import opentelemetry.sdk  # noqa: F401
        except ImportError:
            config.warn_once(
                "sdk-missing",
                "OTEL_SDK_DISABLED=false asks sik_llms to set up OpenTelemetry, but the SDK is "
                "not installed: pip install 'sik-llms[telemetry]'. Calls work, untraced.",
            )
            return tp, mp
        try:
            new_tp, new_mp = setup.install(config.read_zero_config(), traces=tp is None, metrics=mp is None)
        except Exception as exc:  # a bad environment must never break the user's call
            config.warn_once("zero-config-failed", f"sik_llms zero-config telemetry failed: {exc}")
            return tp, mp
        return tp or new_tp, mp or new_mp


def resolve_providers() -> tuple[Any, Any]:
    """(tracer provider, meter provider) recording calls in this context; None for an off signal."""
    override = _OVERRIDE.get()
    if override is not None:
        return override
    disabled = config.sdk_disabled()
    if disabled is True:
        return None, None
    try:
        tp, mp = _global_providers()
    except ImportError:
        if disabled is False:
            config.warn_once(
                "api-missing",
                "OTEL_SDK_DISABLED=false but OpenTelemetry is not installed: "
                "pip install 'sik-llms[telemetry]'. Calls work, untraced.",
            )
        return None, None
    if disabled is False:
        tp, mp = _ensure_zero_config(tp, mp)
    return tp, mp


def _tracer_for(provider: Any) -> Any:
    cached = _tracers.get(id(provider))
    if cached is None or cached[0] is not provider:
        import sik_llms

        tracer = provider.get_tracer(names.INSTRUMENTATION_NAME, getattr(sik_llms, "__version__", None))
        cached = _tracers[id(provider)] = (provider, tracer)
    return cached[1]


def _instruments_for(provider: Any) -> Any:
    cached = _instruments.get(id(provider))
    if cached is None or cached[0] is not provider:
        import sik_llms
        from sik_llms.telemetry.instruments import Instruments

        meter = provider.get_meter(names.INSTRUMENTATION_NAME, getattr(sik_llms, "__version__", None))
        cached = _instruments[id(provider)] = (provider, Instruments(meter))
    return cached[1]


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
        from sik_llms.telemetry.recorder import CallRecorder

        return CallRecorder(
            _tracer_for(tp) if tp is not None else None,
            _instruments_for(mp) if mp is not None else None,
            client,
            messages,
            semconv=config.semconv_opt_in(),
            capture=config.capture_mode(),
        )
    except Exception as exc:
        config.warn_once(f"start-call-{type(exc).__name__}", f"sik_llms telemetry disabled for a call: {exc!r}")
        return None


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
    return _start(_tracer_for(tp), name, attributes, span_kind, otel_context.get_current())


def add_agent_metrics(attrs: dict[str, Any], iterations: int, tool_calls: int, success: bool) -> None:
    """Record one agent run's own metrics (never its inner calls': they recorded themselves)."""
    _, mp = resolve_providers()
    if mp is not None:
        _instruments_for(mp).record_agent(attrs, iterations, tool_calls, success)


def semconv_names() -> bool:
    """True when span names follow the GenAI conventions (OTEL_SEMCONV_STABILITY_OPT_IN)."""
    return config.semconv_opt_in()


# --------------------------------------------------------------------------- the guide's helpers


def is_telemetry_enabled() -> bool:
    """Whether a call made here and now would be traced or measured."""
    tp, mp = resolve_providers()
    return tp is not None or mp is not None


def get_tracer() -> Tracer | None:
    """sik_llms's tracer for the current context, or None when tracing is off."""
    tp, _ = resolve_providers()
    return _tracer_for(tp) if tp is not None else None


def get_meter() -> Any:
    """sik_llms's meter for the current context, or None when metrics are off."""
    _, mp = resolve_providers()
    if mp is None:
        return None
    import sik_llms

    return mp.get_meter(names.INSTRUMENTATION_NAME, getattr(sik_llms, "__version__", None))


def create_span_link(
    trace_id: str | None, span_id: str | None, attributes: dict[str, Any] | None = None
) -> Link | None:
    """A ``Link`` to a span known by hex ids (e.g. ``response.trace_id`` / ``response.span_id``).

    Pass it to ``tracer.start_as_current_span(..., links=[link])``. None when the ids are
    missing or malformed, or the OpenTelemetry API is not installed.
    """
    if not trace_id or not span_id:
        return None
    try:
        from opentelemetry.trace import Link, SpanContext, TraceFlags
    except ImportError:
        return None
    try:
        ctx = SpanContext(
            trace_id=int(trace_id, 16),
            span_id=int(span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except ValueError:
        return None
    if not ctx.is_valid:
        return None
    return Link(ctx, attributes or {})
