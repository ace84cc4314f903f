"""What a span tree shows and masks by default: the one home of those lists.

The plain render (``harness.spans.render``), snapshots and pattern diagnostics all read these.
The rule, for any instrumentation (sik_llms, openai-v2, OpenLLMetry / traceloop, openinference,
the Anthropic SDK's own tracing) and for your own spans:

1. An attribute whose namespace (the part before the first dot) is one that instrumentations
   use (``INSTRUMENTATION_NAMESPACES``: ``gen_ai``, ``llm``, ``http``, ``server``, ...) is shown
   only when ``SHOWN`` lists it and ``HIDDEN`` does not: the facts a reader of a GenAI span
   looks at (model, provider, operation, tokens, cost, finish reason, streaming, request
   parameters, errors, tools, HTTP status), not message content, ids or transport plumbing.
   Any other attribute (``app.feature``, ``customer.tier``: yours, on your own spans) is shown.
2. The two GenAI families name the same facts. A span carrying ``llm.model`` (sik_llms's
   family, which mirrors itself into ``gen_ai.*``) shows its ``llm.*`` side only.
3. An attribute equal to its parent span's value is left out (it says nothing new).

``verbose=True`` shows every attribute; ``attributes=[globs]`` shows exactly those (rules 1 and
2 then do not apply). Attributes are sorted by key, so the order never depends on how an
instrumentation set them.

Volatile values are masked wherever they are shown (span attributes, event attributes, metric
labels), so a snapshot is the same whether the run recorded or replayed, on any machine:
``DEFAULT_MASKS`` (response / tool-call / request ids, trace and span ids, system
fingerprints, hosts, ports and base URLs, timestamps, wall-clock durations). Metrics in a
time unit (``TIME_UNITS``: foreign instrumentations time them by the wall clock) render as
``count=N sum=<duration>``. ``masks={glob: replacement or function or None}`` adds rules or
(with None) removes them, for attribute keys and metric names alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

#: A mask: a placeholder string, or a function of the value giving what to show instead.
Mask = str | Callable[[Any], Any]

#: Attributes shown by default in instrumentation namespaces (globs over attribute keys).
SHOWN: tuple[str, ...] = (
    # sik_llms (llm.*) and its agent spans
    "llm.model",
    "llm.provider",
    "llm.tokens.*",
    "llm.cost.*",
    "llm.streaming",
    "llm.cancelled",
    "llm.reasoning.*",
    "llm.response.finish_reason",
    "reasoning.*",
    "tool.name",
    # openinference (llm.*)
    "llm.model_name",
    "llm.system",
    "llm.token_count.*",
    "llm.finish_reason",
    "openinference.span.kind",
    # OpenLLMetry / traceloop before the GenAI conventions (llm.*)
    "llm.request.type",
    "llm.usage.*",
    "llm.is_streaming",
    # GenAI semantic conventions (openai-v2, OpenLLMetry, the Anthropic SDK, sik_llms opt-in)
    "gen_ai.*",
    # the SDKs' own names for the same facts
    "anthropic.message.stop_reason",
    "anthropic.*.service_tier",
    "openai.*.service_tier",
    "traceloop.span.kind",
    "traceloop.entity.name",
    # errors and HTTP outcome
    "error.type",
    "http.request.method",
    "http.response.status_code",
    "http.request.resend_count",
)

#: Left out of the default view even when ``SHOWN`` matches: content, ids, environment.
HIDDEN: tuple[str, ...] = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.prompt*",
    "gen_ai.completion*",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.response.id",
    "gen_ai.tool.call.id",
    "gen_ai.*system_fingerprint",
    "gen_ai.*api_base",
    "gen_ai.*time_to_*",
    "gen_ai.headers",  # OpenLLMetry: the request headers (plumbing: traceparent, maybe auth)
)

#: Namespaces instrumentations write into; attributes outside them are the user's own.
INSTRUMENTATION_NAMESPACES: frozenset[str] = frozenset(
    {
        "gen_ai",
        "llm",
        "openai",
        "anthropic",
        "traceloop",
        "openinference",
        "input",
        "output",
        "embedding",
        "retrieval",
        "reranker",
        "tool",
        "tool_call",
        "reasoning",
        "http",
        "url",
        "server",
        "client",
        "network",
        "user_agent",
        "error",
        "exception",
        "code",
        "thread",
        "telemetry",
        "otel",
        "rpc",
        "db",
        "messaging",
    }
)

#: Metric units of time: such metrics render ``count=N sum=<duration>``.
TIME_UNITS: frozenset[str] = frozenset({"s", "ms", "us", "ns", "min", "h"})

_ORIGIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]+")
_VOLATILE_JSON = re.compile(
    r'("(?:id|system_fingerprint|created|created_at)"\s*:\s*)("(?:[^"\\]|\\.)*"|\d+)'
)


def _origin(value: Any) -> Any:
    """``http://127.0.0.1:41234/v1/chat`` -> ``<origin>/v1/chat``: cassettes replay whatever
    the base URL (simulator, proxy, provider), so the origin is the environment's."""
    return _ORIGIN.sub("<origin>", str(value))


def _volatile_json(value: Any) -> Any:
    """A raw response body (openinference's ``output.value``) with its id, fingerprint and
    creation time masked."""
    return _VOLATILE_JSON.sub(r'\1"<volatile>"', str(value))


def _last_line(value: Any) -> Any:
    text = str(value).strip()
    return text.splitlines()[-1] if text else value


DEFAULT_MASKS: dict[str, Mask] = {
    # ids the provider or the SDK makes up on every call
    "gen_ai.response.id": "<id>",
    "gen_ai.tool.call.id": "<id>",
    "*.request_id": "<id>",
    "*.request.id": "<id>",
    "*.organization.id": "<id>",
    "*.workspace.id": "<id>",
    "*trace_id": "<id>",
    "*span_id": "<id>",
    "*system_fingerprint": "<fingerprint>",
    # the environment (simulator on a random port, proxy, provider), not the code
    "server.port": "<port>",
    "server.address": "<host>",
    "*api_base": "<url>",
    "url.full": _origin,
    # time: wall-clock durations and timestamps (span times themselves are virtual)
    "*.duration": "<duration>",
    "*time_to_*": "<duration>",
    "*time_per_*": "<duration>",
    "*.timestamp": "<time>",
    "*.created": "<time>",
    "*.created_at": "<time>",
    # a raw response body: deterministic except its id, fingerprint and creation time
    "output.value": _volatile_json,
    "exception.stacktrace": _last_line,
}


def shown_by_default(key: str) -> bool:
    """Whether the default view shows attribute ``key`` (rule 1 of the module docstring)."""
    if key.split(".", 1)[0] not in INSTRUMENTATION_NAMESPACES:
        return True
    return any(fnmatchcase(key, glob) for glob in SHOWN) and not any(
        fnmatchcase(key, glob) for glob in HIDDEN
    )


def default_selection(attributes: dict[str, Any]) -> list[str]:
    """The keys of ``attributes`` the default view shows (rules 1 and 2), sorted."""
    keys = sorted(k for k in attributes if shown_by_default(k))
    if "llm.model" in attributes:
        keys = [k for k in keys if not k.startswith("gen_ai.")]
    return keys


def is_time_metric(point: dict[str, Any]) -> bool:
    """A metric point measured in a unit of time (``s``, ``ms``, ...)."""
    return str(point.get("unit") or "") in TIME_UNITS


__all__ = [
    "DEFAULT_MASKS",
    "HIDDEN",
    "INSTRUMENTATION_NAMESPACES",
    "SHOWN",
    "TIME_UNITS",
    "Mask",
    "default_selection",
    "is_time_metric",
    "shown_by_default",
]
