"""Reading the standard ``OTEL_*`` environment variables, leniently and loudly.

Pure functions over a mapping (``os.environ`` by default) so every rule is testable without
touching the process. A bad value never raises: it is reported once on the ``sik_llms``
logger, naming the variable and what would work, and the default is used instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

logger = logging.getLogger("sik_llms")

DEFAULT_OTLP_HTTP = "http://localhost:4318"
DEFAULT_OTLP_GRPC = "http://localhost:4317"
SIGNAL_PATHS = {"traces": "/v1/traces", "metrics": "/v1/metrics", "logs": "/v1/logs"}
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
CAPTURE_MODES = ("NO_CONTENT", "SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT")

_warned: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Log a configuration problem once per process (users see it, logs don't fill up)."""
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None  # the spec: an empty value is the same as unset


def sdk_disabled(env: Mapping[str, str] | None = None) -> bool | None:
    """``OTEL_SDK_DISABLED``: True (off), False (zero-config opt-in) or None (unset)."""
    env = os.environ if env is None else env
    raw = _get(env, "OTEL_SDK_DISABLED")
    if raw is None:
        return None
    low = raw.lower()
    if low == "true":
        return True
    if low in ("false", "0", "no"):
        return False
    warn_once(
        f"OTEL_SDK_DISABLED={raw}",
        f"OTEL_SDK_DISABLED={raw!r} is not 'true' or 'false'; ignoring it "
        "(set it to 'false' to let sik_llms configure OpenTelemetry, 'true' to turn it off).",
    )
    return None


def semconv_opt_in(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    raw = _get(env, "OTEL_SEMCONV_STABILITY_OPT_IN") or ""
    return "gen_ai_latest_experimental" in {p.strip().lower() for p in raw.split(",")}


def capture_mode(env: Mapping[str, str] | None = None) -> str:
    """``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` as one of ``CAPTURE_MODES``."""
    env = os.environ if env is None else env
    raw = _get(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
    if raw is None:
        return "NO_CONTENT"
    up = raw.upper()
    if up in CAPTURE_MODES:
        return up
    if up in ("TRUE", "1", "YES"):
        return "SPAN_ONLY"
    if up in ("FALSE", "0", "NO"):
        return "NO_CONTENT"
    warn_once(
        f"capture={raw}",
        f"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT={raw!r} is not one of "
        f"{', '.join(CAPTURE_MODES)} (or true/false); recording no message content.",
    )
    return "NO_CONTENT"


SIGNALS = ("traces", "metrics", "logs")
#: what OTEL_<SIGNAL>_EXPORTER may name, per signal (the spec's values the Python SDK ships)
EXPORTERS = {
    "traces": ("otlp", "console", "none"),
    "metrics": ("otlp", "console", "prometheus", "none"),
    "logs": ("otlp", "console", "none"),
}
PROTOCOLS = ("http/protobuf", "grpc")


def exporters(signal: str, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """``OTEL_<SIGNAL>_EXPORTER`` as a tuple of exporter names; ``()`` for ``none``.

    A comma-separated list is allowed (``otlp,console``). Unknown names warn and are ignored
    (the spec); if nothing known is left the default, ``otlp``, is used.
    """
    env = os.environ if env is None else env
    variable = f"OTEL_{signal.upper()}_EXPORTER"
    raw = _get(env, variable)
    if raw is None:
        return ("otlp",)
    chosen: list[str] = []
    for item in (p.strip().lower() for p in raw.split(",")):
        if not item:
            continue
        if item in EXPORTERS[signal]:
            chosen.append(item)
        else:
            warn_once(
                f"{variable}={item}",
                f"{variable} names {item!r}, which sik_llms zero-config does not support for "
                f"{signal} (choose from {', '.join(EXPORTERS[signal])}); ignoring it.",
            )
    if chosen == ["none"]:
        return ()
    kept = tuple(dict.fromkeys(c for c in chosen if c != "none"))
    return kept or ("otlp",)


def protocol(signal: str, env: Mapping[str, str] | None = None) -> str:
    """The OTLP protocol of ``signal``: its own variable, else the general one, else http/protobuf."""
    env = os.environ if env is None else env
    specific = f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL"
    raw = _get(env, specific)
    variable = specific if raw is not None else "OTEL_EXPORTER_OTLP_PROTOCOL"
    raw = raw if raw is not None else _get(env, "OTEL_EXPORTER_OTLP_PROTOCOL")
    if raw is None:
        return "http/protobuf"
    value = raw.lower()
    if value not in PROTOCOLS:
        warn_once(
            f"protocol={variable}={value}",
            f"{variable}={raw!r} is not supported by sik_llms zero-config "
            "(use 'http/protobuf' or 'grpc'); using http/protobuf.",
        )
        return "http/protobuf"
    return value


def _signal_path_swapped(path: str, signal: str) -> str | None:
    """``path`` with its ``v1/<signal>`` segment pair pointed at ``signal``; None if it has none.

    Whole path segments only: ``/v1/traces`` and ``/v1/traces/dataset`` match, ``/v1/tracesx``
    and ``/api/v1/metrics-proxy`` do not.
    """
    segments = path.split("/")
    for i in range(len(segments) - 1):
        if segments[i] == "v1" and segments[i + 1] in SIGNALS:
            segments[i + 1] = signal
            return "/".join(segments)
    return None


def signal_endpoint(
    signal: str, env: Mapping[str, str] | None = None, proto: str | None = None
) -> str:
    """The OTLP URL for ``signal`` ("traces", "metrics" or "logs") over ``proto``.

    A signal-specific variable is used as-is (the spec; over HTTP an empty path becomes ``/``).
    gRPC has no paths: the general variable (default ``http://localhost:4317``) is used as-is.
    Over HTTP the general variable (default ``http://localhost:4318``) is a base to which
    ``/v1/<signal>`` is appended exactly once; when it already names a signal path as whole
    segments (the guide's Honeycomb ``.../v1/traces/dataset`` and New Relic ``.../v1/traces``
    examples), that path is re-pointed to this signal instead of being doubled.
    """
    env = os.environ if env is None else env
    proto = protocol(signal, env) if proto is None else proto
    specific = _get(env, f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    if specific is not None:
        if proto == "grpc":
            return specific
        parts = urlsplit(specific)
        return urlunsplit(parts._replace(path=parts.path or "/"))
    if proto == "grpc":
        return _get(env, "OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_OTLP_GRPC
    general = _get(env, "OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_OTLP_HTTP
    parts = urlsplit(general)
    swapped = _signal_path_swapped(parts.path, signal)
    if swapped is not None:
        warn_once(
            f"endpoint-path={general}",
            f"OTEL_EXPORTER_OTLP_ENDPOINT={general!r} already contains a signal path; "
            "pointing it at each signal's path (set OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT "
            "to choose per-signal URLs explicitly).",
        )
        return urlunsplit(parts._replace(path=swapped))
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + SIGNAL_PATHS[signal]))


def parse_key_values(raw: str | None, variable: str) -> dict[str, str] | None:
    """``k1=v1,k2=v2`` with percent-decoding; None (and a warning) if any pair is malformed.

    For ``OTEL_RESOURCE_ATTRIBUTES``: the spec drops the whole value when decoding fails.
    """
    if raw is None:
        return {}
    out: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            warn_once(
                f"kv-{variable}",
                f"{variable} has a malformed entry (starting {item.strip()[:4]!r}; the rest is not shown, "
                "it may be a credential); expected 'key=value' pairs "
                "separated by commas (percent-encode ',' and '=' inside values). Ignoring it.",
            )
            return None
        out[unquote(key.strip())] = unquote(value.strip())
    return out


def headers(signal: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """OTLP headers of ``signal``: its own variable alone when set, else the general one.

    Not merged (the spec and the Python SDK use the per-signal value alone). A malformed entry
    (no ``=``, empty name) is dropped with one warning and the well-formed ones kept: exactly
    what the SDK's exporters parse from the same variable, so what we report is what is sent.
    """
    env = os.environ if env is None else env
    variable = f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS"
    raw = _get(env, variable)
    if raw is None:
        variable, raw = "OTEL_EXPORTER_OTLP_HEADERS", _get(env, "OTEL_EXPORTER_OTLP_HEADERS")
    out: dict[str, str] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            warn_once(
                f"headers-{variable}-{item.strip()}",
                f"{variable} has a malformed entry {item.strip()!r}; expected 'key=value' pairs "
                "separated by commas (percent-encode ',' and '=' inside values). Dropping that entry.",
            )
            continue
        out[unquote(key.strip()).lower()] = unquote(value.strip())
    return out


def timeout_seconds(signal: str, env: Mapping[str, str] | None = None) -> float:
    """``OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT`` alone when set, else the general one, in seconds.

    The spec says milliseconds (default 10000); the Python SDK reads seconds. We take
    milliseconds and pass seconds explicitly, so a spec-following value never means hours.
    """
    env = os.environ if env is None else env
    specific = f"OTEL_EXPORTER_OTLP_{signal.upper()}_TIMEOUT"
    name = specific if _get(env, specific) is not None else "OTEL_EXPORTER_OTLP_TIMEOUT"
    return _int(env, name, 10000) / 1000.0


@dataclass(frozen=True)
class SignalConfig:
    """How one signal is exported: exporter names, and the OTLP settings used when one is otlp."""

    exporters: tuple[str, ...]
    protocol: str
    endpoint: str
    headers: dict[str, str]
    timeout_s: float


def signal_config(signal: str, env: Mapping[str, str] | None = None) -> SignalConfig:
    env = os.environ if env is None else env
    proto = protocol(signal, env)
    chosen = exporters(signal, env)
    otlp = "otlp" in chosen
    return SignalConfig(
        exporters=chosen,
        protocol=proto,
        endpoint=signal_endpoint(signal, env, proto) if otlp else "",
        headers=headers(signal, env) if otlp else {},
        timeout_s=timeout_seconds(signal, env) if otlp else 10.0,
    )


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(float(raw))
    except ValueError:
        value = minimum - 1
    if value < minimum:
        warn_once(name, f"{name}={raw!r} is not a whole number >= {minimum}; using {default}.")
        return default
    return value


@dataclass(frozen=True)
class ZeroConfig:
    """Everything zero-config needs, read once from the environment.

    ``service_name`` is None when neither ``OTEL_SERVICE_NAME`` nor ``service.name`` in
    ``OTEL_RESOURCE_ATTRIBUTES`` sets it: the SDK then applies the spec's default,
    ``unknown_service:<process>`` (never our library's name: every app would merge into one).
    """

    service_name: str | None
    resource_attributes: dict[str, str]
    signals: dict[str, SignalConfig]
    sampler: str
    sampler_arg: float | None
    bsp: dict[str, int] = field(default_factory=dict)
    metric_interval_ms: int = 60000

    # the traces signal's settings, by the names earlier versions used
    @property
    def traces_endpoint(self) -> str:
        return self.signals["traces"].endpoint

    @property
    def metrics_endpoint(self) -> str:
        return self.signals["metrics"].endpoint

    @property
    def protocol(self) -> str:
        return self.signals["traces"].protocol

    @property
    def export_timeout_s(self) -> float:
        return self.signals["traces"].timeout_s


def read_zero_config(env: Mapping[str, str] | None = None) -> ZeroConfig:
    env = os.environ if env is None else env
    resource = (
        parse_key_values(_get(env, "OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES") or {}
    )
    service = _get(env, "OTEL_SERVICE_NAME") or resource.get("service.name")

    sampler = (_get(env, "OTEL_TRACES_SAMPLER") or "parentbased_always_on").lower()
    if sampler not in SAMPLERS:
        warn_once(
            f"sampler={sampler}",
            f"OTEL_TRACES_SAMPLER={sampler!r} is not supported (choose from {', '.join(SAMPLERS)}); "
            "using parentbased_always_on.",
        )
        sampler = "parentbased_always_on"
    sampler_arg: float | None = None
    raw_arg = _get(env, "OTEL_TRACES_SAMPLER_ARG")
    if raw_arg is not None and "traceidratio" in sampler:
        try:
            sampler_arg = float(raw_arg)
        except ValueError:
            sampler_arg = -1.0
        if not 0.0 <= sampler_arg <= 1.0:
            warn_once(
                f"sampler_arg={raw_arg}",
                f"OTEL_TRACES_SAMPLER_ARG={raw_arg!r} is not a probability between 0 and 1; using 1.0.",
            )
            sampler_arg = 1.0

    queue = _int(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2048)
    batch = _int(env, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512)
    if batch > queue:
        warn_once(
            "bsp-batch",
            f"OTEL_BSP_MAX_EXPORT_BATCH_SIZE={batch} exceeds OTEL_BSP_MAX_QUEUE_SIZE={queue}; using {queue}.",
        )
        batch = queue
    bsp = {
        "max_queue_size": queue,
        "max_export_batch_size": batch,
        "schedule_delay_millis": _int(env, "OTEL_BSP_SCHEDULE_DELAY", 5000, minimum=0),
        "export_timeout_millis": _int(env, "OTEL_BSP_EXPORT_TIMEOUT", 30000),
    }
    return ZeroConfig(
        service_name=service,
        resource_attributes=resource,
        signals={signal: signal_config(signal, env) for signal in SIGNALS},
        sampler=sampler,
        sampler_arg=sampler_arg,
        bsp=bsp,
        metric_interval_ms=_int(env, "OTEL_METRIC_EXPORT_INTERVAL", 60000),
    )
