"""Anthropic Messages requests: a /v1/messages body checked like the API does and viewed.

The view (``RequestView``) carries what the scenario and the answer need: the last user text, the
prompt's token count, the prompt-cache prefix (up to the last ``cache_control`` breakpoint), the
tools (server tools such as web search told apart from client tools) and the tool choice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from harness.simulator.model import RequestView, ToolSpec, WireError
from harness.simulator.tokens import count_tokens
from harness.simulator.wire_json import DUMPS

#: server tools Anthropic runs itself (docs.claude.com "Server tools"): type prefix -> kind
SERVER_TOOLS = {"web_search_": "web_search", "web_fetch_": "web_fetch"}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "tool_result":
                parts.append(_text_of(block.get("content")))
        return " ".join(parts)
    return ""


def _has_user_text(content: Any) -> bool:
    if isinstance(content, str):
        return True
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "text" for b in content
    )


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, dict):
        return "cache_control" in value or any(_has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def _has_1h(value: Any) -> bool:
    if isinstance(value, dict):
        control = value.get("cache_control")
        if isinstance(control, dict) and control.get("ttl") == "1h":
            return True
        return any(_has_1h(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_1h(v) for v in value)
    return False


def _cache_prefix(body: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """The prompt prefix up to the last cache_control breakpoint (tools, system, messages order),
    and the part of it up to the last breakpoint with ``ttl: "1h"`` (1h entries come first)."""
    sequence: list[Any] = list(body.get("tools") or [])
    system = body.get("system")
    sequence += system if isinstance(system, list) else ([system] if system else [])
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        sequence += content if isinstance(content, list) else [message]
    last = max((i for i, part in enumerate(sequence) if _has_cache_control(part)), default=-1)
    last_1h = max((i for i, part in enumerate(sequence) if _has_1h(part)), default=-1)
    automatic = body.get("cache_control")
    if (
        isinstance(automatic, dict) and sequence
    ):  # top-level cache_control: a breakpoint after the last block
        last = len(sequence) - 1
        if automatic.get("ttl") == "1h":
            last_1h = last
    return sequence[: last + 1], sequence[: last_1h + 1]


def _tool_spec(t: dict[str, Any]) -> ToolSpec:
    kind = str(t.get("type") or "custom")
    for prefix, server in SERVER_TOOLS.items():
        if kind.startswith(prefix):
            return ToolSpec(str(t.get("name") or server), {}, server)
    if kind != "custom":  # bash_*, text_editor_*, computer_*: client tools Anthropic defines
        return ToolSpec(
            str(t["name"]),
            t.get("input_schema") or {"type": "object", "properties": {}},
            "function",
        )
    return ToolSpec(
        str(t["name"]),
        t.get("input_schema") or {"type": "object", "properties": {}},
        "function",
        str(t.get("description") or ""),
    )


def view_messages(body: dict[str, Any]) -> RequestView:
    """Validate a /v1/messages request like the API does (cheap checks) and view it."""
    for field in ("model", "max_tokens", "messages"):
        if field not in body:
            raise WireError(400, f"{field}: Field required", type="invalid_request_error")
    model, messages = body["model"], body["messages"]
    if not isinstance(messages, list) or not isinstance(model, str):
        raise WireError(400, "messages: Input should be a valid list", type="invalid_request_error")
    if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
        raise WireError(
            400,
            "max_tokens: Input should be greater than or equal to 1",
            type="invalid_request_error",
        )
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled" and thinking.get("budget_tokens", 0) >= body["max_tokens"]:
        raise WireError(
            400,
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
            "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
            "#max-tokens-and-context-window-size",
            type="invalid_request_error",
        )
    system = body.get("system")
    texts = [f"system: {_text_of(system)}"] if system else []
    texts += [
        f"{m.get('role')}: {_text_of(m.get('content'))}" for m in messages if isinstance(m, dict)
    ]
    last_user = next(
        (
            _text_of(m.get("content"))
            for m in reversed(messages)
            if isinstance(m, dict) and m.get("role") == "user" and _has_user_text(m.get("content"))
        ),
        "",
    )
    results = sum(
        1
        for m in messages
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    )
    tools = [_tool_spec(t) for t in body.get("tools") or [] if isinstance(t, dict) and "name" in t]
    choice = body.get("tool_choice") or {}
    forced = (
        "*"
        if choice.get("type") == "any"
        else choice.get("name")
        if choice.get("type") == "tool"
        else None
    )
    last = messages[-1] if messages and isinstance(messages[-1], dict) else {}
    output_format = (
        body.get("output_format") or (body.get("output_config") or {}).get("format") or {}
    )
    schema = output_format.get("schema") if output_format.get("type") == "json_schema" else None
    prompt_text = "\n".join(texts)
    tool_text = DUMPS(body.get("tools")) if body.get("tools") else ""
    prefix, prefix_1h = _cache_prefix(body)
    prefix_text = DUMPS(prefix) if prefix else ""
    whole = count_tokens(prompt_text) + count_tokens(tool_text)
    return RequestView(
        provider="anthropic",
        api="messages",
        model=model,
        stream=bool(body.get("stream")),
        include_usage=True,
        last_user_text=last_user,
        prompt_text=prompt_text,
        prompt_tokens=count_tokens(prompt_text) + count_tokens(tool_text) + 3 * len(texts) + 4,
        cache_prefix_tokens=min(count_tokens(prefix_text), whole),
        cache_prefix_1h_tokens=min(count_tokens(DUMPS(prefix_1h)) if prefix_1h else 0, whole),
        cache_prefix_key=hashlib.sha256(DUMPS([model, prefix]).encode()).hexdigest()
        if prefix
        else "",
        has_tool_results=results > 0,
        tool_result_count=results,
        tools=tools,
        forced_tool=forced if tools else None,
        tools_disabled=choice.get("type") == "none",
        parallel_tool_calls=not choice.get("disable_parallel_tool_use"),
        last_is_user=last.get("role") == "user" and _has_user_text(last.get("content")),
        system_text=_text_of(system),
        effort=(body.get("output_config") or {}).get("effort"),
        response_format="json_schema" if schema else None,
        response_schema=schema,
        thinking=thinking.get("type") in ("enabled", "adaptive"),
        max_tokens=body["max_tokens"],
        body=body,
    )
