"""Anthropic Messages wire format: request in, JSON and SSE out.

Stream order as recorded from the real API: message_start, then per content block
content_block_start / content_block_delta... / content_block_stop (a ``ping`` right after the
first block starts), message_delta (stop_reason and usage, repeating input_tokens and the cache
counts like newer API versions), message_stop. Thinking blocks stream thinking_delta pieces and
end with a signature_delta; tool_use blocks start with ``input: {}`` and stream input_json_delta.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, ToolSpec, Usage, WireError
from harness.simulator.tokens import count_tokens, split_fixed, split_pieces
from harness.simulator.wire_json import DUMPS, Sse

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


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": u.cache_creation_input_tokens
            - u.cache_creation_1h_input_tokens,
            "ephemeral_1h_input_tokens": u.cache_creation_1h_input_tokens,
        },
        "output_tokens": u.output_tokens,
        **({"server_tool_use": dict(u.server_tool_use)} if u.server_tool_use else {}),
        "service_tier": "standard",
    }


def _iterations(view: RequestView, answer: Answer, usage: Usage) -> list[dict[str, Any]]:
    """usage.iterations after a compaction: the summarising pass, then the answer over the summary."""
    summary = count_tokens(answer.compaction or "")
    empty = {
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
    }
    return [
        {
            "input_tokens": view.prompt_tokens,
            "output_tokens": summary,
            **empty,
            "type": "compaction",
        },
        {
            "input_tokens": summary + count_tokens(view.last_user_text) + 8,
            "output_tokens": max(usage.output_tokens - summary, 1),
            **empty,
            "type": "message",
        },
    ]


def _stop_reason(answer: Answer) -> str:
    mapping = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
    if answer.stop_reason:
        return mapping.get(answer.stop_reason, answer.stop_reason)
    if answer.truncated:
        return "max_tokens"
    if answer.refusal is not None:
        return "refusal"
    return "tool_use" if answer.tool_calls else "end_turn"


def _server_blocks(answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    """server_tool_use + its result block per server tool the model ran (web search / fetch)."""
    blocks: list[dict[str, Any]] = []
    for use in answer.server_tools:
        tid = "srvtoolu_01" + ids.toolu()[8:]
        if use.kind == "web_fetch":
            url = use.results[0].url if use.results else use.query
            blocks.append(
                {"type": "server_tool_use", "id": tid, "name": use.name, "input": {"url": url}}
            )
            blocks.append(
                {
                    "type": "web_fetch_tool_result",
                    "tool_use_id": tid,
                    "content": {
                        "type": "web_fetch_result",
                        "url": url,
                        "retrieved_at": "2025-01-01T00:00:00Z",
                        "content": {
                            "type": "document",
                            "source": {
                                "type": "text",
                                "media_type": "text/plain",
                                "data": f"The page at {url}.",
                            },
                            "title": use.results[0].title if use.results else url,
                            "citations": {"enabled": True},
                        },
                    },
                }
            )
            continue
        blocks.append(
            {"type": "server_tool_use", "id": tid, "name": use.name, "input": {"query": use.query}}
        )
        blocks.append(
            {
                "type": "web_search_tool_result",
                "tool_use_id": tid,
                "content": [
                    {
                        "type": "web_search_result",
                        "title": c.title,
                        "url": c.url,
                        "encrypted_content": ids.signature(),
                        "page_age": None,
                    }
                    for c in use.results
                ],
            }
        )
    return blocks


def _blocks(answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.compaction:
        blocks.append({"type": "compaction", "content": answer.compaction})
    if answer.thinking:
        blocks.append(
            {"type": "thinking", "thinking": answer.thinking, "signature": ids.signature()}
        )
    text = answer.refusal if answer.refusal is not None else answer.text
    if answer.server_tools:
        blocks.append({"type": "text", "text": "Let me look that up."})
        blocks += _server_blocks(answer, ids)
        if text and answer.citations:
            cite = answer.citations[0]
            cited = text[cite.start : cite.end] or text
            fetched = (
                answer.server_tools[0].kind == "web_fetch"
            )  # a fetched page is cited as a document
            blocks.append(
                {
                    "type": "text",
                    "text": cited,
                    "citations": [
                        {
                            "type": "char_location",
                            "cited_text": cited,
                            "document_index": 0,
                            "document_title": c.title,
                            "start_char_index": 0,
                            "end_char_index": len(cited),
                        }
                        if fetched
                        else {
                            "type": "web_search_result_location",
                            "cited_text": cited,
                            "url": c.url,
                            "title": c.title,
                            "encrypted_index": ids.signature()[:40],
                        }
                        for c in answer.citations
                    ],
                }
            )
            text = text[cite.end :] or None
    if text is not None and (text or not (answer.tool_calls or answer.server_tools)):
        blocks.append({"type": "text", "text": text})
    for call in answer.tool_calls:
        args = json.loads(call.arguments) if isinstance(call.arguments, str) else call.arguments
        blocks.append(
            {"type": "tool_use", "id": call.id or ids.toolu(), "name": call.name, "input": args}
        )
    return blocks


def render_messages(
    view: RequestView, answer: Answer, usage: Usage, ids: IdMaker
) -> dict[str, Any]:
    """A ``message`` object."""
    return {
        "model": answer.model or view.model,
        "id": ids.message(),
        "type": "message",
        "role": "assistant",
        "content": _blocks(answer, ids),
        "stop_reason": _stop_reason(answer),
        "stop_sequence": None,
        "usage": {
            **_usage(usage),
            **({"iterations": _iterations(view, answer, usage)} if answer.compaction else {}),
        },
    }


def stream_messages(view: RequestView, answer: Answer, usage: Usage, ids: IdMaker) -> Sse:
    """The Messages SSE sequence."""
    sse = Sse()
    start_usage = {**_usage(usage), "output_tokens": 1}
    sse.named(
        "message_start",
        {
            "type": "message_start",
            "message": {
                "model": answer.model or view.model,
                "id": ids.message(),
                "type": "message",
                "role": "assistant",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
    )
    for index, block in enumerate(_blocks(answer, ids)):
        kind = block["type"]
        if kind == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
        elif kind == "text":
            start = {
                "type": "text",
                "text": "",
                **({"citations": []} if "citations" in block else {}),
            }
        elif kind in ("tool_use", "server_tool_use"):
            start = {"type": kind, "id": block["id"], "name": block["name"], "input": {}}
        elif kind == "compaction":
            start = {"type": "compaction", "content": None}
        else:  # server tool results arrive whole
            start = block
        sse.named(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
            1 if kind in ("tool_use", "server_tool_use") else 0,
        )
        if index == 0:
            sse.named("ping", {"type": "ping"})
        if kind == "thinking":
            for piece in split_pieces(block["thinking"]):
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "thinking_delta", "thinking": piece},
                    },
                    count_tokens(piece),
                )
            sse.named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "signature_delta", "signature": block["signature"]},
                },
            )
        elif kind == "text":
            for citation in block.get("citations") or []:
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "citations_delta", "citation": citation},
                    },
                )
            for piece in split_pieces(block["text"]):
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                    count_tokens(piece),
                )
        elif kind == "compaction":
            sse.named(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "compaction_delta", "content": block["content"]},
                },
                count_tokens(block["content"]),
            )
        elif kind in ("tool_use", "server_tool_use"):
            arguments = DUMPS(block["input"])
            for piece in ["", *split_fixed(arguments)]:
                sse.named(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    },
                    count_tokens(piece),
                )
        sse.named("content_block_stop", {"type": "content_block_stop", "index": index})
    final = _usage(usage)
    final.pop("cache_creation")
    final.pop("service_tier")
    if answer.compaction:
        final["iterations"] = _iterations(view, answer, usage)
    sse.named(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": _stop_reason(answer), "stop_sequence": None},
            "usage": final,
        },
    )
    sse.named("message_stop", {"type": "message_stop"})
    return sse


DEFAULT_MODELS = (
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-1",
    "claude-3-7-sonnet-20250219",
    "claude-3-5-haiku-20241022",
)


def models_list(models: list[str]) -> dict[str, Any]:
    data = [model_object(m) for m in models]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def model_object(model: str) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model,
        "display_name": model.replace("-", " ").title(),
        "created_at": "2025-02-24T00:00:00Z",
    }
