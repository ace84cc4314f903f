"""Who records a call, decided per call, and the process-wide state that decision keeps.

Order of resolution:

1. a context-local override (``use_providers``), which the harness uses to capture one test;
2. ``OTEL_SDK_DISABLED=true``: nothing;
3. providers the application installed globally (manual setup), honoured per signal and never
   supplemented uninvited;
4. zero-config, only with ``OTEL_SDK_DISABLED=false``: sik_llms builds providers from the
   ``OTEL_*`` variables for the signals that have none (``telemetry/setup.py``);
5. otherwise nothing is recorded or exported, and a call costs one cheap check.

The state lives here, not in the package ``__init__``: the context variables, the zero-config
flag, and the tracer / instruments made once per provider. The OpenTelemetry SDK is imported
only in step 4 (and by the application itself in step 3); the API only once a call may record.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sik_llms._version import __version__
from sik_llms.telemetry import config
from sik_llms.telemetry.names import INSTRUMENTATION_NAME

if TYPE_CHECKING:  # pragma: no cover
    from sik_llms.telemetry.instruments import Instruments
    from sik_llms.telemetry.recorder import CallRecorder

__all__ = [
    "CURRENT_CALL",
    "PROFILES",
    "PROFILE_VAR",
    "call_settings",
    "env_value",
    "instruments_for",
    "logger_for",
    "resolve_logger_provider",
    "resolve_providers",
    "tracer_for",
    "use_providers",
]

_OVERRIDE: ContextVar[tuple[Any, Any] | None] = ContextVar("sik_llms_providers", default=None)
#: the logger provider of the ``use_providers`` override (read only while one is active)
_LOG_OVERRIDE: ContextVar[Any] = ContextVar("sik_llms_logger_provider", default=None)
#: The traced call whose provider code is running (set by ``CallRecorder.active``), so the
#: transport can open an ``http.request`` span under it. Here, not in recorder.py: with telemetry
#: off the transport's check is this one lookup, without importing the SDK-dependent recorder.
CURRENT_CALL: ContextVar[CallRecorder | None] = ContextVar("sik_llms_current_call", default=None)
_zero_config_lock = threading.Lock()
_zero_config_done = False
_tracers: dict[int, tuple[Any, Any]] = {}
_instruments: dict[int, tuple[Any, Any]] = {}
_loggers: dict[int, tuple[Any, Any]] = {}

_DISABLED_VAR = "OTEL_SDK_DISABLED"
_SEMCONV_VAR = "OTEL_SEMCONV_STABILITY_OPT_IN"
_CAPTURE_VAR = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
#: ``full`` (default): three spans, both attribute vocabularies, every metric the contract
#: names. ``lean``: one GenAI inference span per call and the two GenAI client metrics
#: (``sik_llms/telemetry/lean.py`` lists what it keeps and drops).
PROFILE_VAR = "SIK_LLMS_TELEMETRY_PROFILE"
PROFILES = ("full", "lean")


@contextmanager
def use_providers(
    tracer_provider: Any = None, meter_provider: Any = None, logger_provider: Any = None
) -> Iterator[None]:
    """Record sik_llms calls made in this context with these providers (None: that signal off).

    Context-local: other threads, tasks and tests keep their own providers, and nothing global
    is touched, so the harness can capture one test's spans in parallel with others. The
    logger provider receives the content events (``gen_ai.client.inference.operation.details``).
    """
    token = _OVERRIDE.set((tracer_provider, meter_provider))
    log_token = _LOG_OVERRIDE.set(logger_provider)
    try:
        yield
    finally:
        _LOG_OVERRIDE.reset(log_token)
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
    return (
        tp if _is_real_tracer_provider(tp) else None,
        mp if _is_real_meter_provider(mp) else None,
    )


def _global_logger_provider() -> Any:
    from opentelemetry import _logs

    lp = _logs.get_logger_provider()
    return None if type(lp).__name__ in ("ProxyLoggerProvider", "NoOpLoggerProvider") else lp


def _ensure_zero_config(tp: Any, mp: Any) -> tuple[Any, Any]:
    """Install providers for the signals that have none (once per process)."""
    global _zero_config_done
    if _zero_config_done:
        return tp, mp
    with _zero_config_lock:
        if _zero_config_done:
            return _global_providers()
        _zero_config_done = True
        from sik_llms.telemetry import setup

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
            new_tp, new_mp, _ = setup.install(
                config.read_zero_config(), traces=tp is None, metrics=mp is None
            )
        except Exception as exc:  # a bad environment must never break the user's call
            config.warn_once("zero-config-failed", f"sik_llms zero-config telemetry failed: {exc}")
            return tp, mp
        return tp or new_tp, mp or new_mp


def resolve_providers() -> tuple[Any, Any]:
    """(tracer provider, meter provider) recording calls in this context; None for an off signal."""
    override = _OVERRIDE.get()
    if override is not None:
        return override
    disabled = _sdk_disabled(env_value(_DISABLED_VAR))
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


def resolve_logger_provider() -> Any:
    """The logger provider for content events in this context, or None (events off).

    The same order as ``resolve_providers``: override, disabled, the application's global
    provider, zero-config's (which builds one unless ``OTEL_LOGS_EXPORTER=none``).
    """
    if _OVERRIDE.get() is not None:
        return _LOG_OVERRIDE.get()
    disabled = config.sdk_disabled()
    if disabled is True:
        return None
    try:
        lp = _global_logger_provider()
    except ImportError:
        return None
    if lp is None and disabled is False:
        lp = _ensure_zero_config_logs()
    return lp


_zero_config_logs_done = False


def _ensure_zero_config_logs() -> Any:
    """Zero-config's logger provider, built the first time a call emits content events.

    Not with the other signals: a batch log processor (a thread, and an exit flush) is paid
    only by processes that opted in to events (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    with ``EVENT_ONLY`` / ``SPAN_AND_EVENT``); ``OTEL_LOGS_EXPORTER=none`` leaves it off.
    """
    global _zero_config_logs_done
    with _zero_config_lock:
        if not _zero_config_logs_done:
            _zero_config_logs_done = True
            from sik_llms.telemetry import setup

            try:
                setup.install(config.read_zero_config(), traces=False, metrics=False, logs=True)
            except Exception as exc:  # a bad environment must never break the user's call
                config.warn_once(
                    "zero-config-logs-failed", f"sik_llms zero-config logs failed: {exc}"
                )
    return _global_logger_provider()


def logger_for(provider: Any) -> Any:
    """sik_llms's OpenTelemetry logger on ``provider``, made once per provider."""
    cached = _loggers.get(id(provider))
    if cached is None or cached[0] is not provider:
        cached = _loggers[id(provider)] = (
            provider,
            provider.get_logger(INSTRUMENTATION_NAME, __version__),
        )
    return cached[1]


def tracer_for(provider: Any) -> Any:
    """sik_llms's tracer on ``provider``, made once per provider (kept while it lives)."""
    cached = _tracers.get(id(provider))
    if cached is None or cached[0]() is not provider:
        tracer = provider.get_tracer(INSTRUMENTATION_NAME, __version__)
        cached = _tracers[id(provider)] = (_weak(provider, _tracers), tracer)
    return cached[1]


def instruments_for(provider: Any) -> Instruments:
    """sik_llms's instruments on ``provider``'s meter, made once per provider (kept while it
    lives: a test harness making a provider per test must not keep them all)."""
    cached = _instruments.get(id(provider))
    if cached is None or cached[0]() is not provider:
        from sik_llms.telemetry.instruments import Instruments

        meter = provider.get_meter(INSTRUMENTATION_NAME, __version__)
        cached = _instruments[id(provider)] = (_weak(provider, _instruments), Instruments(meter))
    return cached[1]


def _weak(provider: Any, table: dict[int, Any]) -> Callable[[], Any]:
    """A weak reference to ``provider`` that drops its entry from ``table`` when the provider
    is collected (a strong one for a provider that cannot be weakly referenced)."""
    key = id(provider)

    def forget(ref: Any) -> None:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]

    try:
        return weakref.ref(provider, forget)
    except TypeError:
        return lambda: provider


def env_value(name: str) -> str | None:
    """``os.environ.get(name)``, without its cost for an unset variable.

    ``os.environ.get`` of an unset variable raises and catches a ``KeyError`` inside
    ``Mapping.get`` (1 to 3 µs, the largest part of deciding the settings of a call); reading
    the environ's own dictionary does not. The environment is still read on every call, so
    changing a variable at run time still works. Falls back to ``get`` for an environ that is
    not CPython's (a test may swap in a plain mapping).
    """
    environ = os.environ
    data = getattr(environ, "_data", None)
    if type(data) is dict:
        try:
            key = _ENV_KEYS.get(name)
            if key is None:
                key = _ENV_KEYS[name] = environ.encodekey(name)  # type: ignore[attr-defined]
            raw = data.get(key)
            return None if raw is None else environ.decodevalue(raw)  # type: ignore[attr-defined]
        except Exception:  # pragma: no cover - an environ shaped unlike CPython's
            pass
    return environ.get(name)


#: variable name -> its key in CPython's ``os.environ._data`` (encoded once, not per call)
_ENV_KEYS: dict[str, Any] = {}


@lru_cache(maxsize=16)
def _sdk_disabled(raw: str | None) -> bool | None:
    return config.sdk_disabled({} if raw is None else {_DISABLED_VAR: raw})


@lru_cache(maxsize=16)
def _settings(
    semconv_raw: str | None, capture_raw: str | None, profile_raw: str | None
) -> tuple[bool, str, bool]:
    env = {
        k: v for k, v in ((_SEMCONV_VAR, semconv_raw), (_CAPTURE_VAR, capture_raw)) if v is not None
    }
    profile = (profile_raw or "").strip().lower() or "full"
    if profile not in PROFILES:
        config.warn_once(
            f"{PROFILE_VAR}={profile_raw}",
            f"{PROFILE_VAR}={profile_raw!r} is not one of {', '.join(PROFILES)}; using 'full'.",
        )
        profile = "full"
    return config.semconv_opt_in(env), config.capture_mode(env), profile == "lean"


def call_settings() -> tuple[bool, str, bool]:
    """(GenAI span names opted in, message-content capture mode, lean profile) as the
    environment says now.

    Read per call (changing the variables at run time still works); parsed once per distinct
    value, so a call pays three dictionary lookups, not three parses.
    """
    return _settings(env_value(_SEMCONV_VAR), env_value(_CAPTURE_VAR), env_value(PROFILE_VAR))
