"""Message content in the GenAI conventions' shape, and the event that carries it.

Pure mapping (no OpenTelemetry import) from the messages sik_llms sends (OpenAI chat shape,
Anthropic content blocks, Responses API items, our own image parts) and the responses it
returns to the schema of ``model/gen-ai/gen-ai-{input,output}-messages.json``: messages
``{role, parts, finish_reason?}`` whose parts are ``text``, ``reasoning``, ``tool_call``
(``id``, ``name``, ``arguments``), ``tool_call_response`` (``id``, ``response``), ``uri`` and
``blob`` (``modality``, ``mime_type``). Nothing is dropped silently: an unknown part keeps its
type (the schema's ``GenericPart``).

On spans the values are JSON strings (Python cannot set structured span attributes); on the
``gen_ai.client.inference.operation.details`` log record they are structured.
"""

from __future__ import annotations

import json
from typing import Any

#: provider / API finish reasons -> the conventions' values (stop, length, content_filter,
#: tool_call, error); the raw value stays in ``llm.response.finish_reason``
FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "pause_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "model_context_window_exceeded": "length",
    "incomplete": "length",
    "content_filter": "content_filter",
    "refusal": "content_filter",
    "tool_calls": "tool_call",
    "tool_use": "tool_call",
    "function_call": "tool_call",
    "tool_call": "tool_call",
    "failed": "error",
    "error": "error",
}


def finish_reason(raw: str | None) -> str | None:
    """The conventions' finish reason for a provider's raw one (unknown raw values: ``stop``
    when the response completed normally is a guess we do not make: they map to ``error``
    only if they say so, else they are kept out: None)."""
    if not raw:
        return None
    return FINISH_REASONS.get(raw.lower())


def _arguments(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _image_part(part: dict[str, Any]) -> dict[str, Any]:
    """A ``uri`` or ``blob`` part for any of the image spellings we send."""
    kind = part.get("type")
    url = None
    mime = part.get("media_type") or part.get("mime_type")
    data = None
    if kind == "image_url":  # OpenAI chat
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
    elif kind == "input_image":  # OpenAI Responses
        url = part.get("image_url")
    elif isinstance(part.get("source"), dict):  # Anthropic
        source = part["source"]
        mime = source.get("media_type") or mime
        url = source.get("url")
        data = source.get("data")
    elif part.get("source_type") == "url":  # ImageContent.to_part()
        url = part.get("data")
    else:
        data = part.get("data")
    if isinstance(url, str) and url.startswith("data:") and ";base64," in url:
        head, data = url[5:].split(";base64,", 1)
        mime, url = head or mime, None
    if url:
        out = {"type": "uri", "modality": "image", "uri": url}
    else:
        out = {"type": "blob", "modality": "image", "content": data or ""}
    if mime:
        out["mime_type"] = mime
    return out


def _part(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "content": part}
    if not isinstance(part, dict):
        return {"type": "text", "content": str(part)}
    kind = part.get("type")
    if kind in ("text", "input_text", "output_text"):
        return {"type": "text", "content": str(part.get("text", part.get("content", "")))}
    if kind in ("image", "image_url", "input_image"):
        return _image_part(part)
    if kind in ("thinking", "reasoning"):
        return {"type": "reasoning", "content": str(part.get("thinking", part.get("content", "")))}
    if kind in ("tool_use", "function_call"):
        return {
            "type": "tool_call",
            "id": part.get("id") if kind == "tool_use" else part.get("call_id", part.get("id")),
            "name": str(part.get("name", "")),
            "arguments": _arguments(part.get("input", part.get("arguments"))),
        }
    if kind in ("tool_result", "function_call_output"):
        response = part.get("content", part.get("output"))
        if isinstance(response, list):
            response = "".join(
                p.get("text", "") if isinstance(p, dict) else str(p) for p in response
            )
        return {
            "type": "tool_call_response",
            "id": part.get("tool_use_id", part.get("call_id")),
            "response": response,
        }
    return {
        k: v
        for k, v in part.items()
        if isinstance(v, (str, int, float, bool, list, dict)) or v is None
    }


def input_message(message: dict[str, Any]) -> dict[str, Any]:
    """One sent message in the conventions' shape (see the module docstring)."""
    if "role" not in message and message.get("type") in ("function_call", "function_call_output"):
        role = "assistant" if message["type"] == "function_call" else "tool"
        return {"role": role, "parts": [_part(message)]}
    role = message.get("role", "user")
    content = message.get("content")
    parts: list[dict[str, Any]] = []
    if isinstance(content, list):
        parts.extend(_part(p) for p in content)
    elif content not in (None, ""):
        if role == "tool":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": message.get("tool_call_id"),
                    "response": content,
                }
            )
        else:
            parts.append({"type": "text", "content": str(content)})
    for call in message.get("tool_calls") or ():
        function = call.get("function", {}) if isinstance(call, dict) else {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": str(function.get("name", "")),
                "arguments": _arguments(function.get("arguments")),
            }
        )
    if role == "tool" and isinstance(content, list):  # a tool message with content parts
        text = "".join(p.get("content", "") for p in parts if p.get("type") == "text")
        parts = [
            {"type": "tool_call_response", "id": message.get("tool_call_id"), "response": text}
        ]
    if role not in ("system", "user", "assistant", "tool"):
        role = "user" if role in ("developer",) else role
    return {"role": "system" if role == "developer" else role, "parts": parts}


def split_input(
    messages: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(input messages, system instruction parts or None) in the conventions' shape."""
    system: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for m in messages:
        if m.get("role") in ("system", "developer"):
            system.extend(p for p in input_message(m)["parts"] if p.get("type") == "text")
        else:
            others.append(input_message(m))
    return others, (system or None)


def output_message(response: Any) -> dict[str, Any]:
    """The assistant's answer as one output message: text, tool calls, structured output."""
    parts: list[dict[str, Any]] = []
    text = getattr(response, "response", None)
    if isinstance(text, str) and text:
        parts.append({"type": "text", "content": text})
    message = getattr(response, "message", None)
    if isinstance(message, str) and message:
        parts.append({"type": "text", "content": message})
    for p in getattr(response, "tool_predictions", None) or ():
        parts.append(
            {"type": "tool_call", "id": p.call_id, "name": p.name, "arguments": p.arguments}
        )
    parsed = getattr(response, "parsed", None)
    if parsed is not None:
        dumped = parsed.model_dump(mode="json") if hasattr(parsed, "model_dump") else parsed
        parts.append({"type": "text", "content": json.dumps(dumped, default=str)})
    refusal = getattr(response, "refusal", None)
    if isinstance(refusal, str) and refusal:
        parts.append({"type": "text", "content": refusal})
    return {
        "role": "assistant",
        "parts": parts,
        "finish_reason": finish_reason(getattr(response, "finish_reason", None)) or "stop",
    }


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)
