"""OpenAI requests in: Chat Completions and Responses bodies -> ``RequestView``.

Cheap shape checks the API always makes live here (missing model / messages / input); the
checks that depend on the model family are in ``validation``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from harness.simulator.model import RequestView, ToolSpec, WireError
from harness.simulator.tokens import count_tokens
from harness.simulator.wire_json import DUMPS

__all__ = ["view_chat", "view_responses"]

_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
#: OpenAI's automatic prompt caching starts at this many prompt tokens
_CACHE_MIN = 1024
#: Responses built-in tool types the simulator answers (others are accepted and never called)
WEB_SEARCH_TYPES = (
    "web_search",
    "web_search_preview",
    "web_search_2025_08_26",
    "web_search_preview_2025_03_11",
)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not model:
        raise WireError(400, "you must provide a model parameter", type="invalid_request_error")
    if not isinstance(model, str):
        raise WireError(
            400,
            f"Invalid type for 'model': expected a string, but got {type(model).__name__} instead.",
            type="invalid_request_error",
            param="model",
            code="invalid_type",
        )
    return model


def _cache_key(model: str, prefix: Any) -> str:
    return hashlib.sha256(DUMPS([model, prefix]).encode()).hexdigest()


def _chat_tools(body: dict[str, Any]) -> list[ToolSpec]:
    tools = []
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        if isinstance(t.get("function"), dict) and t["function"].get("name"):
            fn = t["function"]
            tools.append(
                ToolSpec(
                    fn["name"],
                    fn.get("parameters") or _EMPTY_SCHEMA,
                    "function",
                    str(fn.get("description") or ""),
                )
            )
        elif (
            t.get("type") == "custom"
            and isinstance(t.get("custom"), dict)
            and t["custom"].get("name")
        ):
            tools.append(
                ToolSpec(
                    t["custom"]["name"], {}, "custom", str(t["custom"].get("description") or "")
                )
            )
    return tools


def _chat_forced(choice: Any) -> tuple[str | None, bool]:
    """(forced tool name or "*", tools disabled) from a chat ``tool_choice``."""
    if choice == "required":
        return "*", False
    if choice == "none":
        return None, True
    if isinstance(choice, dict):
        for key in ("function", "custom"):
            if isinstance(choice.get(key), dict):
                return choice[key].get("name"), False
        if choice.get("type") == "allowed_tools":
            return (
                "*" if (choice.get("allowed_tools") or {}).get("mode") == "required" else None
            ), False
    return None, False


def view_chat(body: dict[str, Any]) -> RequestView:
    """View a chat.completions request (after the API's cheap checks)."""
    model = _require_model(body)
    messages = body.get("messages")
    if messages is None:
        raise WireError(
            400,
            "Missing required parameter: 'messages'.",
            type="invalid_request_error",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(messages, list):
        raise WireError(
            400,
            f"Invalid type for 'messages': expected an array, but got {type(messages).__name__} "
            "instead.",
            type="invalid_request_error",
            param="messages",
            code="invalid_type",
        )
    if not messages:
        raise WireError(
            400,
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            type="invalid_request_error",
            param="messages",
            code="empty_array",
        )
    stream = bool(body.get("stream"))
    if body.get("stream_options") is not None and not stream:
        raise WireError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            type="invalid_request_error",
            param="stream_options",
            code=None,
        )
    n = body.get("n") or 1
    if not isinstance(n, int) or not 1 <= n <= 128:
        raise WireError(
            400,
            f"Invalid 'n': integer must be between 1 and 128, got {n!r}.",
            type="invalid_request_error",
            param="n",
            code="integer_out_of_range",
        )
    dicts = [m for m in messages if isinstance(m, dict)]
    texts = [f"{m.get('role')}: {_text_of(m.get('content'))}" for m in dicts]
    results = sum(1 for m in dicts if m.get("role") in ("tool", "function"))
    last_user = next(
        (_text_of(m.get("content")) for m in reversed(dicts) if m.get("role") == "user"), ""
    )
    system = "\n".join(
        _text_of(m.get("content")) for m in dicts if m.get("role") in ("system", "developer")
    )
    tools = _chat_tools(body)
    forced, disabled = _chat_forced(body.get("tool_choice"))
    rf = body.get("response_format") or {}
    schema = None
    if rf.get("type") == "json_schema":
        schema = (rf.get("json_schema") or {}).get("schema") or {"type": "object", "properties": {}}
    prompt_text = "\n".join(texts)
    tool_text = DUMPS(body.get("tools")) if body.get("tools") else ""
    prompt_tokens = count_tokens(prompt_text) + count_tokens(tool_text) + 3 * len(messages) + 3
    prefix_tokens = (
        count_tokens("\n".join(texts[:-1])) + count_tokens(tool_text) + 3 * (len(messages) - 1)
    )
    return RequestView(
        provider="openai",
        api="chat.completions",
        model=model,
        stream=stream,
        include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
        last_user_text=last_user,
        prompt_text=prompt_text,
        prompt_tokens=prompt_tokens,
        cache_prefix_tokens=prefix_tokens,
        # OpenAI caches prompts of 1024+ tokens only: shorter ones need no keys (and no hashing)
        cache_prefix_key=_cache_key(model, [messages[:-1], body.get("tools")])
        if len(messages) > 1 and prompt_tokens >= _CACHE_MIN
        else "",
        cache_full_key=_cache_key(model, [messages, body.get("tools"), "full"])
        if prompt_tokens >= _CACHE_MIN
        else "",
        has_tool_results=results > 0,
        tool_result_count=results,
        tools=tools,
        forced_tool=forced if tools else None,
        tools_disabled=disabled,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        last_is_user=bool(dicts) and dicts[-1].get("role") == "user",
        system_text=system,
        response_format=rf.get("type")
        if rf.get("type") in ("json_schema", "json_object")
        else None,
        response_schema=schema,
        effort=body.get("reasoning_effort"),
        thinking=bool(body.get("reasoning_effort")),
        n=n,
        max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
        body=body,
    )


def _responses_tools(body: dict[str, Any]) -> list[ToolSpec]:
    tools = []
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        kind = str(t.get("type") or "function")
        if kind == "function" and t.get("name"):
            tools.append(
                ToolSpec(
                    t["name"],
                    t.get("parameters") or _EMPTY_SCHEMA,
                    "function",
                    str(t.get("description") or ""),
                )
            )
        elif kind == "custom" and t.get("name"):
            tools.append(ToolSpec(t["name"], {}, "custom", str(t.get("description") or "")))
        elif kind in WEB_SEARCH_TYPES:
            tools.append(ToolSpec("web_search", {}, kind))
        else:  # file_search, code_interpreter, mcp...: offered, never called by the default behaviour
            tools.append(ToolSpec(str(t.get("name") or kind), {}, kind))
    return tools


def _responses_forced(choice: Any, tools: list[ToolSpec]) -> tuple[str | None, bool]:
    if choice == "required":
        return "*", False
    if choice == "none":
        return None, True
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind in ("function", "custom"):
            return choice.get("name"), False
        if kind in WEB_SEARCH_TYPES:
            return "web_search", False
        if kind == "allowed_tools":
            return ("*" if choice.get("mode") == "required" else None), False
    return None, False


def view_responses(body: dict[str, Any]) -> RequestView:
    """View a Responses API request (after the API's cheap checks)."""
    model = _require_model(body)
    raw_input = body.get("input")
    items: list[Any] = (
        [{"role": "user", "content": raw_input}]
        if isinstance(raw_input, str)
        else list(raw_input or [])
    )
    if not items and not body.get("previous_response_id"):
        raise WireError(
            400,
            "Missing required parameter: 'input'.",
            type="invalid_request_error",
            param="input",
            code="missing_required_parameter",
        )
    texts = [f"system: {body['instructions']}"] if body.get("instructions") else []
    system = [str(body["instructions"])] if body.get("instructions") else []
    last_user = ""
    results = 0
    last_is_user = False
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("function_call_output", "custom_tool_call_output"):
            results += 1
            last_is_user = False
            texts.append(f"tool: {item.get('output', '')}")
        elif item.get("role"):
            text = _text_of(item.get("content"))
            texts.append(f"{item['role']}: {text}")
            last_is_user = item["role"] == "user"
            if item["role"] == "user":
                last_user = text
            elif item["role"] in ("system", "developer"):
                system.append(text)
        else:
            last_is_user = False
    tools = _responses_tools(body)
    forced, disabled = _responses_forced(body.get("tool_choice"), tools)
    fmt = (body.get("text") or {}).get("format") or {}
    schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
    prompt_text = "\n".join(texts)
    tool_text = DUMPS(body.get("tools")) if body.get("tools") else ""
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    prompt_tokens = count_tokens(prompt_text) + count_tokens(tool_text) + 4 * len(texts) + 3
    cacheable = prompt_tokens >= _CACHE_MIN
    return RequestView(
        provider="openai",
        api="responses",
        model=model,
        stream=bool(body.get("stream")),
        include_usage=True,
        last_user_text=last_user,
        prompt_text=prompt_text,
        prompt_tokens=prompt_tokens,
        cache_prefix_tokens=count_tokens("\n".join(texts[:-1])) + count_tokens(tool_text),
        cache_prefix_key=_cache_key(
            model, [items[:-1], body.get("instructions"), body.get("tools")]
        )
        if cacheable and (len(items) > 1 or body.get("instructions"))
        else "",
        cache_full_key=_cache_key(
            model, [items, body.get("instructions"), body.get("tools"), "full"]
        )
        if cacheable
        else "",
        has_tool_results=results > 0,
        tool_result_count=results,
        tools=tools,
        forced_tool=forced if tools else None,
        tools_disabled=disabled,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        last_is_user=last_is_user,
        system_text="\n".join(system),
        response_format=fmt.get("type")
        if fmt.get("type") in ("json_schema", "json_object")
        else None,
        response_schema=schema,
        effort=reasoning.get("effort"),
        thinking=bool(reasoning.get("effort")),
        max_tokens=body.get("max_output_tokens"),
        body=body,
    )
