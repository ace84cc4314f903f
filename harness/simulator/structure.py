"""Structural comparison of provider answers: field names per level and SSE event order.

Conformance means "looks like the real thing to a parser": the same field names at each level
of the JSON (values differ, of course) and the same SSE event types in the same order, where a
run of repeated deltas counts once. Fields that real APIs add or drop between versions (e.g.
``obfuscation``, ``service_tier``) can be tolerated explicitly.
"""

from __future__ import annotations

import json
from typing import Any

from harness.cassettes.sse import decode_events

#: fields that come and go between API versions; their presence on one side only is not a defect
VERSION_FIELDS = frozenset({
    "obfuscation", "service_tier", "system_fingerprint", "billing", "moderation", "caller", "inference_geo",
    "cache_creation", "annotations", "refusal", "prompt_tokens_details", "completion_tokens_details",
    "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens", "prompt_cache_retention",
    "completed_at", "frequency_penalty", "presence_penalty", "prompt_cache_key", "safety_identifier", "verbosity",
    "cache_creation_input_tokens", "cache_read_input_tokens", "request_id", "phase", "context_management",
    # newer Anthropic streams repeat input_tokens in message_delta; older ones do not
    "message_delta.usage.input_tokens",
    "reasoning.context",
    "choices.logprobs",  # absent from 2023 chat chunks
    "tools.parameters.additionalProperties",  # the Responses API began echoing strict schemas closed in 2026
})


def _merge_items(items: list[Any]) -> Any:
    """Merge list items into one representative (union of dict keys), for shape comparison."""
    dicts = [i for i in items if isinstance(i, dict)]
    if not dicts:
        return items[0] if items else None
    merged: dict[str, Any] = {}
    for d in dicts:
        for k, v in d.items():
            if k not in merged or merged[k] is None:
                merged[k] = v
    return merged


def structure_diff(real: Any, ours: Any, path: str = "$", tolerate: frozenset[str] = VERSION_FIELDS) -> list[str]:
    """Differences in shape (not values) between a real answer and ours; [] means same structure."""
    if real is None or ours is None:
        return []  # null-vs-value is a value difference (refusal: null vs "..."), not a shape one
    if isinstance(real, dict) and isinstance(ours, dict):
        out: list[str] = []
        for key in sorted(set(real) | set(ours)):
            dotted = f"{path}.{key}".replace("[]", "")
            tolerated = key in tolerate or any(dotted.endswith(t) for t in tolerate if "." in t)
            if key not in ours:
                if not tolerated:
                    out.append(f"{path}.{key}: missing in ours")
            elif key not in real:
                if not tolerated:
                    out.append(f"{path}.{key}: extra in ours")
            else:
                out += structure_diff(real[key], ours[key], f"{path}.{key}", tolerate)
        return out
    if isinstance(real, list) and isinstance(ours, list):
        if not real or not ours:
            return []
        return structure_diff(_merge_items(real), _merge_items(ours), f"{path}[]", tolerate)
    kind_r, kind_o = _kind(real), _kind(ours)
    if kind_r != kind_o:
        return [f"{path}: {kind_r} in real, {kind_o} in ours"]
    return []


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def parse_sse(body: bytes | str) -> list[tuple[str | None, Any]]:
    """(event name, parsed data) per SSE event with data; ``[DONE]`` and non-JSON data stay strings."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    out: list[tuple[str | None, Any]] = []
    for event in decode_events(raw):
        if not event.data:
            continue
        try:
            out.append((event.event, json.loads(event.data)))
        except ValueError:
            out.append((event.event, event.data.decode("utf-8", "replace")))
    return out


def event_kind(name: str | None, data: Any) -> str:
    """A label for an SSE event: its type plus the delta's type (chat chunks: what the delta holds)."""
    if not isinstance(data, dict):
        return str(data)
    if "choices" in data:  # chat completion chunk
        if not data["choices"]:
            return "chunk:usage"
        choice = data["choices"][0]
        if choice.get("finish_reason"):
            return "chunk:finish"
        delta = choice.get("delta") or {}
        if "role" in delta:
            return "chunk:role"
        if delta.get("tool_calls"):
            return "chunk:tool_call_start" if delta["tool_calls"][0].get("id") else "chunk:tool_args"
        return "chunk:" + ",".join(sorted(k for k, v in delta.items() if v is not None))
    kind = str(data.get("type") or name)
    delta = data.get("delta")
    if isinstance(delta, dict) and "type" in delta:
        kind += ":" + str(delta["type"])
    block = data.get("content_block")
    if isinstance(block, dict):
        kind += ":" + str(block.get("type"))
    item = data.get("item")
    if isinstance(item, dict):
        kind += ":" + str(item.get("type"))
    return kind


def event_sequence(events: list[tuple[str | None, Any]], drop: frozenset[str] = frozenset({"ping"})) -> list[str]:
    """Event kinds in order, consecutive repeats collapsed (so 3 deltas == 30 deltas)."""
    out: list[str] = []
    for name, data in events:
        kind = event_kind(name, data)
        if kind in drop or (out and out[-1] == kind):
            continue
        out.append(kind)
    return out
