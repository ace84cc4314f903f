"""OpenAI requests, the wire's spelling: neutral messages -> Chat Completions messages or
Responses input items (images, tool calls and results, leading system text as ``instructions``),
tools and tool choices per API (function and free-form custom tools), and which models are
reasoning models (they reject sampling parameters). Pure code; the client in
``sik_llms.providers.openai`` assembles the request body from these pieces.
"""

from __future__ import annotations

from typing import Any

from sik_llms.messages import text_of
from sik_llms.models import ModelInfo
from sik_llms.tools import Tool, ToolChoice

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
REASONING_REJECTS = (
    "temperature",
    "top_p",
    "logprobs",
    "top_logprobs",
    "presence_penalty",
    "frequency_penalty",
)


def is_reasoning_model(model: str, info: ModelInfo | None) -> bool:
    """o-series and gpt-5 reject sampling parameters; the registry knows, the prefix guesses."""
    if info is not None and info.supports_reasoning:
        return True
    return model.startswith(_REASONING_PREFIXES)


# ---------------------------------------------------------------------------- request building


def _chat_part(part: Any) -> Any:
    if isinstance(part, dict) and part.get("type") == "image" and "source_type" in part:
        url = (
            part["data"]
            if part["source_type"] == "url"
            else f"data:{part.get('media_type') or 'image/png'};base64,{part['data']}"
        )
        return {"type": "image_url", "image_url": {"url": url}}
    return part


def to_chat_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neutral messages -> Chat Completions messages (images become image_url parts)."""
    out = []
    for m in messages:
        m = dict(m)
        if isinstance(m.get("content"), list):
            m["content"] = [_chat_part(p) for p in m["content"]]
        out.append(m)
    return out


def _responses_part(part: Any, role: str) -> Any:
    if not isinstance(part, dict):
        return part
    ptype = part.get("type")
    if ptype == "text":
        return {
            "type": "output_text" if role == "assistant" else "input_text",
            "text": part.get("text", ""),
        }
    if ptype == "image" and "source_type" in part:
        return {
            "type": "input_image",
            "image_url": _chat_part(part)["image_url"]["url"],
            "detail": "auto",
        }
    if ptype == "image_url":
        url = (
            part["image_url"]["url"]
            if isinstance(part.get("image_url"), dict)
            else part.get("image_url")
        )
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    return part


def to_responses_input(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neutral (chat-shaped) messages -> Responses API input items."""
    items: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        if role is None:
            items.append(dict(m))
            continue
        if role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m.get("tool_call_id"),
                    "output": text_of(m.get("content")),
                }
            )
            continue
        content = m.get("content")
        if content:
            if isinstance(content, list):
                content = [_responses_part(p, role) for p in content]
            item = {k: v for k, v in m.items() if k not in ("tool_calls", "content")}
            item["content"] = content
            items.append(item)
        for call in m.get("tool_calls") or []:
            if call.get("type") == "custom":  # a free-form custom tool call (Chat spelling)
                custom = call.get("custom", {})
                items.append(
                    {
                        "type": "custom_tool_call",
                        "call_id": call.get("id"),
                        "name": custom.get("name"),
                        "input": custom.get("input", ""),
                    }
                )
                continue
            fn = call.get("function", {})
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments", "{}"),
                }
            )
    return items


def responses_input_and_instructions(
    messages: list[dict[str, Any]],
) -> tuple[str | list[dict[str, Any]], str | None]:
    """Leading system text becomes ``instructions``; a lone plain user turn is sent as a string."""
    leading: list[str] = []
    rest = list(messages)
    while (
        rest
        and rest[0].get("role") in ("system", "developer")
        and isinstance(rest[0].get("content"), str)
        and set(rest[0]) == {"role", "content"}
    ):
        leading.append(rest.pop(0)["content"])
    instructions = "\n\n".join(leading) if leading else None
    if (
        len(rest) == 1
        and set(rest[0]) == {"role", "content"}
        and rest[0]["role"] == "user"
        and isinstance(rest[0]["content"], str)
    ):
        return rest[0]["content"], instructions
    return to_responses_input(rest), instructions


def tool_choice_for(choice: Any, api: str, custom_names: frozenset[str] = frozenset()) -> Any:
    """A tool choice in the API's spelling; a bare tool name forces that tool (a custom tool's
    name forces it as ``{"type": "custom", ...}``)."""
    if choice is None:
        return None
    if isinstance(choice, ToolChoice):
        return choice.value
    if isinstance(choice, str) and choice not in ("auto", "required", "none"):
        kind = "custom" if choice in custom_names else "function"
        return (
            {"type": kind, kind: {"name": choice}}
            if api == "chat_completions"
            else {"type": kind, "name": choice}
        )
    return choice


def tool_name(tool: Any) -> str:
    """A tool's name: ``Tool``, Chat (``function.name`` / ``custom.name``) or Responses (``name``) dicts."""
    if isinstance(tool, Tool):
        return tool.name
    if isinstance(tool, dict):
        nested = tool.get("function") or tool.get("custom") or {}
        return tool.get("name") or (nested.get("name", "") if isinstance(nested, dict) else "")
    raise TypeError(f"tools must be Tool objects or provider tool dicts, got {type(tool).__name__}")


def is_custom_tool(tool: Any) -> bool:
    return isinstance(tool, dict) and tool.get("type") == "custom"


def tool_for(tool: Any, api: str) -> dict[str, Any]:
    """A tool in the API's spelling. Custom tools: Chat nests ``custom: {name, description,
    format}``, Responses keeps them flat; either spelling is accepted and converted."""
    if isinstance(tool, Tool):
        return tool.to_openai() if api == "chat_completions" else tool.to_openai_responses()
    if is_custom_tool(tool):
        if api == "chat_completions" and "custom" not in tool:
            return {"type": "custom", "custom": {k: v for k, v in tool.items() if k != "type"}}
        if api == "responses" and isinstance(tool.get("custom"), dict):
            return {"type": "custom", **tool["custom"]}
    return tool
