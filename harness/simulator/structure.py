"""Structural comparison of provider answers: field names per level and SSE event order.

Conformance means "looks like the real thing to a parser": the same field names at each level
of the JSON (values differ, of course) and the same SSE event types in the same order, where a
run of repeated deltas counts once. Fields that real APIs add or drop between versions (e.g.
``obfuscation``, ``service_tier``) can be tolerated explicitly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.cassettes.sse import decode_events

#: fields that come and go between API versions; their presence on one side only is not a defect
VERSION_FIELDS = frozenset(
    {
        "obfuscation",
        "service_tier",
        "system_fingerprint",
        "billing",
        "moderation",
        "caller",
        "inference_geo",
        "cache_creation",
        "annotations",
        "refusal",
        "prompt_tokens_details",
        "completion_tokens_details",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
        "prompt_cache_retention",
        "completed_at",
        "stop_details",
        "frequency_penalty",
        "presence_penalty",
        "prompt_cache_key",
        "safety_identifier",
        "verbosity",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "request_id",
        "phase",
        "context_management",
        # newer Anthropic streams repeat input_tokens in message_delta; older ones do not
        "message_delta.usage.input_tokens",
        "reasoning.context",
        "choices.logprobs",  # absent from 2023 chat chunks
        "tools.parameters.additionalProperties",  # the Responses API began echoing strict schemas closed in 2026
    }
)


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


def structure_diff(
    real: Any, ours: Any, path: str = "$", tolerate: frozenset[str] = VERSION_FIELDS
) -> list[str]:
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
            return (
                "chunk:tool_call_start" if delta["tool_calls"][0].get("id") else "chunk:tool_args"
            )
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


def event_sequence(
    events: list[tuple[str | None, Any]], drop: frozenset[str] = frozenset({"ping"})
) -> list[str]:
    """Event kinds in order, consecutive repeats collapsed (so 3 deltas == 30 deltas)."""
    out: list[str] = []
    for name, data in events:
        kind = event_kind(name, data)
        if kind in drop or (out and out[-1] == kind):
            continue
        out.append(kind)
    return out


# -- feature level: what the answer *does*, beyond its shape ---------------------------------------


@dataclass(frozen=True)
class Features:
    """What an answer does: the facts a telemetry test depends on, provider-neutral.

    ``tools`` are the names of the tools called, in order; ``reasoning`` means a reasoning item
    (Responses), a thinking block (Anthropic) or ``reasoning_content`` (OpenAI-compatible chat);
    ``error`` is the error ``type`` of an error answer.
    """

    status: int
    streamed: bool
    text: bool
    tools: tuple[str, ...]
    reasoning: bool
    refusal: bool
    error: str | None
    incomplete: bool


def features(api: str, status: int, content: bytes, is_sse: bool) -> Features:
    """The features of one recorded or simulated answer (body bytes as sent on the wire)."""
    if status >= 400:
        try:
            data = json.loads(content or b"{}")
        except ValueError:
            data = {}
        error = data.get("error") if isinstance(data, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        return Features(status, False, False, (), False, False, str(kind), False)
    if api == "chat.completions":
        return _chat_features(status, content, is_sse)
    if api == "responses":
        return _responses_features(status, content, is_sse)
    return _messages_features(status, content, is_sse)


def _chat_features(status: int, content: bytes, is_sse: bool) -> Features:
    text = reasoning = refusal = length = False
    calls: dict[int, str] = {}
    if is_sse:
        choices = [
            c for _, d in parse_sse(content) if isinstance(d, dict) for c in d.get("choices") or []
        ]
        deltas = [c.get("delta") or {} for c in choices if c.get("index", 0) == 0]
        finishes = [c.get("finish_reason") for c in choices]
    else:
        data = json.loads(content)
        message = data["choices"][0]["message"]
        deltas = [message]
        finishes = [c.get("finish_reason") for c in data["choices"]]
    for delta in deltas:
        text = text or bool(delta.get("content"))
        reasoning = reasoning or bool(delta.get("reasoning_content"))
        refusal = refusal or bool(delta.get("refusal"))
        for n, call in enumerate(delta.get("tool_calls") or []):
            fn = call.get("function") or call.get("custom") or {}
            if fn.get("name"):
                calls[call.get("index", n)] = fn["name"]
    length = "length" in finishes
    return Features(
        status,
        is_sse,
        text,
        tuple(calls[k] for k in sorted(calls)),
        reasoning,
        refusal,
        None,
        length,
    )


def _responses_features(status: int, content: bytes, is_sse: bool) -> Features:
    if is_sse:
        finals = [
            d["response"]
            for _, d in parse_sse(content)
            if isinstance(d, dict)
            and d.get("type") in ("response.completed", "response.incomplete")
        ]
        data = finals[-1] if finals else {}
    else:
        data = json.loads(content)
    output = data.get("output") or []
    parts = [
        p for item in output if item.get("type") == "message" for p in item.get("content") or []
    ]
    tools = tuple(
        str(item.get("name") or item["type"])
        for item in output
        if item.get("type") in ("function_call", "custom_tool_call", "web_search_call")
    )
    return Features(
        status,
        is_sse,
        any(p.get("type") == "output_text" and p.get("text") for p in parts),
        tools,
        any(item.get("type") == "reasoning" for item in output),
        any(p.get("type") == "refusal" for p in parts),
        None,
        data.get("status") == "incomplete",
    )


def _messages_features(status: int, content: bytes, is_sse: bool) -> Features:
    blocks: list[dict[str, Any]] = []
    stop = None
    if is_sse:
        for _, data in parse_sse(content):
            if not isinstance(data, dict):
                continue
            if data.get("type") == "content_block_start":
                blocks.append(dict(data["content_block"]))
            elif data.get("type") == "content_block_delta" and blocks:
                delta = data.get("delta") or {}
                if delta.get("type") == "text_delta":
                    blocks[-1]["text"] = blocks[-1].get("text", "") + delta.get("text", "")
            elif data.get("type") == "message_delta":
                stop = (data.get("delta") or {}).get("stop_reason")
    else:
        data = json.loads(content)
        blocks, stop = data.get("content") or [], data.get("stop_reason")
    tools = tuple(
        str(b.get("name")) for b in blocks if b.get("type") in ("tool_use", "server_tool_use")
    )
    return Features(
        status,
        is_sse,
        any(b.get("type") == "text" and b.get("text") for b in blocks),
        tools,
        any(b.get("type") in ("thinking", "redacted_thinking") for b in blocks),
        stop == "refusal",
        None,
        stop == "max_tokens",
    )


def feature_diff(real: Features, ours: Features) -> list[str]:
    """Feature differences that matter: status, streaming, error type, whether a tool was called
    (and with which tools), reasoning, text, refusal, truncation. Values (which words, how many
    calls of the same tool) are not compared."""
    out: list[str] = []
    for name in ("status", "streamed", "error", "reasoning", "refusal", "incomplete", "text"):
        if getattr(real, name) != getattr(ours, name):
            out.append(f"{name}: real {getattr(real, name)!r}, ours {getattr(ours, name)!r}")
    if bool(real.tools) != bool(ours.tools) or set(real.tools) != set(ours.tools):
        out.append(f"tools: real {list(real.tools)}, ours {list(ours.tools)}")
    return out
