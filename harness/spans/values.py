"""How span values read as text: durations, costs, attribute values, masks, and back.

One home for the formatting the tree renderer, the partial-tree patterns and reports share:
a value rendered here parses back with ``parse_scalar``, so a rendered line can be pasted into
an ``assert_tree`` pattern. Masks replace volatile values (ids, ports, stack traces) with a
placeholder (``<id>``) so snapshots do not churn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any

#: A mask: a placeholder string, or a function of the value giving what to show instead.
Mask = str | Callable[[Any], Any]

DEFAULT_MASKS: dict[str, Mask] = {
    "gen_ai.response.id": "<id>",
    "gen_ai.tool.call.id": "<id>",
    "*.request_id": "<id>",
    "server.port": "<port>",
    # cassettes replay whatever the base URL (simulator, proxy, provider): the origin is the
    # environment's, not the code's
    "server.address": "<host>",
    "*system_fingerprint": "<fingerprint>",
    # histograms named so hold wall-clock seconds in instrumentations that ignore the virtual clock
    "*.duration": "<duration>",
    # the same for stream timings (semconv's gen_ai.server.*, OpenLLMetry's streaming_time_*)
    "*time_to_first_token": "<duration>",
    "*time_per_output_token": "<duration>",
    "*streaming_time_to_generate": "<duration>",
    "url.full": lambda v: re.sub(r"(//[^/:]+):\d+", r"\1:<port>", str(v)),
    "exception.stacktrace": lambda v: str(v).strip().splitlines()[-1] if str(v).strip() else v,
}

_BARE = re.compile(r"[^\s\"'=\[\]]+")
#: Longest attribute text shown outside verbose mode (longer text ends in an ellipsis).
TEXT_LIMIT = 80


def show_value(
    value: Any, key: str, masks: Mapping[str, Mask] = DEFAULT_MASKS, limit: int | None = None
) -> str:
    """Attribute ``key``'s ``value`` as a pattern token, after the first mask whose glob matches
    ``key`` (a ``<placeholder>`` result is shown as is), truncated to ``limit`` characters."""
    for glob, mask in masks.items():
        if fnmatchcase(key, glob):
            value = mask(value) if callable(mask) else mask
            if isinstance(value, str) and value.startswith("<") and value.endswith(">"):
                return value
            break
    return format_value(value, limit=limit)


def render_value(key: str, value: Any) -> str:
    """How the verbose plain view shows attribute ``key`` (default masks applied, no truncation)."""
    return show_value(value, key, DEFAULT_MASKS, None)


def format_duration(ns: int) -> str:
    """``1.25s``, ``350ms``, ``4.2ms``, ``12us``: fixed rules, so equal durations render equally."""
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.2f}s"
    if ns >= 10_000_000:
        return f"{ns / 1e6:.0f}ms"
    if ns >= 1_000_000:
        return f"{ns / 1e6:.1f}ms"
    return f"{ns // 1000}us"


def format_cost(cost: float, places: int | None = None) -> str:
    """US dollars without the sign: ``0.000123`` (up to 6 places, trailing zeros dropped), or
    exactly ``places`` decimals when given (``format_cost(0.0001234, 5) == "0.00012"``)."""
    if places is not None:
        return f"{cost:.{places}f}"
    return f"{cost:.6f}".rstrip("0").rstrip(".") or "0"


def format_value(value: Any, limit: int | None = None) -> str:
    """Attribute values as pattern tokens: bare words, numbers, true/false, else JSON quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):  # a JSON list, so it parses back
        return (
            "["
            + ",".join(
                json.dumps(v, ensure_ascii=False) if isinstance(v, str) else format_value(v)
                for v in value
            )
            + "]"
        )
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    if _BARE.fullmatch(text) and parse_scalar(text) == text and text != "...":
        return text
    return json.dumps(text, ensure_ascii=False)


def parse_scalar(token: str) -> Any:
    """Inverse of ``format_value`` for one token: JSON strings/lists, booleans, numbers, words."""
    if token.startswith(('"', "[")):
        try:
            parsed = json.loads(token)
        except json.JSONDecodeError:
            return token
        return parsed
    if token in ("true", "True"):
        return True
    if token in ("false", "False"):
        return False
    for kind in (int, float):
        try:
            return kind(token)
        except ValueError:
            pass
    return token


__all__ = [
    "DEFAULT_MASKS",
    "TEXT_LIMIT",
    "Mask",
    "format_cost",
    "format_duration",
    "format_value",
    "parse_scalar",
    "render_value",
    "show_value",
]
