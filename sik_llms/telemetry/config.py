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
SIGNAL_PATHS = {"traces": "/v1/traces", "metrics": "/v1/metrics"}
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


def signal_endpoint(signal: str, env: Mapping[str, str] | None = None) -> str:
    """The OTLP/HTTP URL for ``signal`` ("traces" or "metrics").

    A signal-specific variable is used as-is (the spec). The general variable is a base to
    which ``/v1/<signal>`` is appended exactly once; when it already names a signal path (the
    guide's Honeycomb ``.../v1/traces/dataset`` and New Relic ``.../v1/traces`` examples),
    that path is re-pointed to this signal instead of being doubled.
    """
    env = os.environ if env is None else env
    specific = _get(env, f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    if specific is not None:
        parts = urlsplit(specific)
        return urlunsplit(parts._replace(path=parts.path or "/"))
    general = _get(env, "OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_OTLP_HTTP
    parts = urlsplit(general)
    path = parts.path
    for other in SIGNAL_PATHS.values():
        if other in path:
            warn_once(
                f"endpoint-path={general}",
                f"OTEL_EXPORTER_OTLP_ENDPOINT={general!r} already contains a signal path; "
                f"using it for each signal as-is (set OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT "
                "to choose per-signal URLs explicitly).",
            )
            return urlunsplit(parts._replace(path=path.replace(other, SIGNAL_PATHS[signal], 1)))
    return urlunsplit(parts._replace(path=path.rstrip("/") + SIGNAL_PATHS[signal]))


def parse_key_values(raw: str | None, variable: str) -> dict[str, str] | None:
    """``k1=v1,k2=v2`` with percent-decoding; None (and a warning) if any pair is malformed."""
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
    env = os.environ if env is None else env
    merged = parse_key_values(_get(env, "OTEL_EXPORTER_OTLP_HEADERS"), "OTEL_EXPORTER_OTLP_HEADERS") or {}
    name = f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS"
    merged.update(parse_key_values(_get(env, name), name) or {})
    return merged


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
    """Everything zero-config needs, read once from the environment."""

    service_name: str
    resource_attributes: dict[str, str]
    traces_endpoint: str
    metrics_endpoint: str
    traces_headers: dict[str, str]
    metrics_headers: dict[str, str]
    protocol: str
    sampler: str
    sampler_arg: float | None
    bsp: dict[str, int] = field(default_factory=dict)
    metric_interval_ms: int = 60000
    export_timeout_s: float = 10.0


def read_zero_config(env: Mapping[str, str] | None = None) -> ZeroConfig:
    env = os.environ if env is None else env
    resource = parse_key_values(_get(env, "OTEL_RESOURCE_ATTRIBUTES"), "OTEL_RESOURCE_ATTRIBUTES") or {}
    service = _get(env, "OTEL_SERVICE_NAME") or resource.get("service.name") or "sik-llms"

    protocol = (_get(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or _get(env, "OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").lower()
    if protocol not in ("http/protobuf", "grpc"):
        warn_once(
            f"protocol={protocol}",
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported by sik_llms zero-config "
            "(use 'http/protobuf' or 'grpc'); using http/protobuf.",
        )
        protocol = "http/protobuf"

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
    # The spec says milliseconds; the Python SDK reads seconds. We take milliseconds and pass
    # seconds explicitly, so a spec-following value never means hours.
    timeout_ms = _int(env, "OTEL_EXPORTER_OTLP_TIMEOUT", 10000)
    return ZeroConfig(
        service_name=service,
        resource_attributes=resource,
        traces_endpoint=signal_endpoint("traces", env),
        metrics_endpoint=signal_endpoint("metrics", env),
        traces_headers=headers("traces", env),
        metrics_headers=headers("metrics", env),
        protocol=protocol,
        sampler=sampler,
        sampler_arg=sampler_arg,
        bsp=bsp,
        metric_interval_ms=_int(env, "OTEL_METRIC_EXPORT_INTERVAL", 60000),
        export_timeout_s=timeout_ms / 1000.0,
    )
