"""OpenAI Responses API out: the ``response`` object and its SSE event sequence.

Output items in the order the API produces them: ``reasoning`` (an empty ``summary`` unless a
summary was asked for; ``encrypted_content`` when ``include`` names it), built-in tool calls
(``web_search_call`` with its in_progress / searching / completed events), the ``message``
(``output_text`` with ``url_citation`` annotations after a web search), then ``function_call`` /
``custom_tool_call`` items. Every event carries a ``sequence_number``.
"""

from __future__ import annotations

from typing import Any

from harness.simulator.ids import IdMaker
from harness.simulator.model import Answer, RequestView, Usage
from harness.simulator.tokens import count_tokens, split_fixed, split_pieces
from harness.simulator.wire_json import DUMPS, Sse

__all__ = ["render_responses", "stream_responses"]


def _args(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else DUMPS(arguments)


def _usage_responses(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": u.cached_tokens},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        "total_tokens": u.input_tokens + u.output_tokens,
    }


_LOCATION = {"type": "approximate", "city": None, "country": "US", "region": None, "timezone": None}


def _echo_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """Tools as the API echoes them: functions strict by default (strict schemas closed), web
    search with its context size and approximate user location filled in."""
    if str(tool.get("type", "")).startswith("web_search"):
        return {
            **tool,
            "search_context_size": tool.get("search_context_size", "medium"),
            "user_location": tool.get("user_location") or dict(_LOCATION),
        }
    if tool.get("type") != "function":
        return tool
    out = {**tool, "strict": tool.get("strict", True)}
    params = out.get("parameters")
    if out["strict"] and isinstance(params, dict) and params.get("type") == "object":
        out["parameters"] = {
            **params,
            "additionalProperties": params.get("additionalProperties", False),
        }
    return out


def _response_shell(view: RequestView, answer: Answer, rid: str, created: int) -> dict[str, Any]:
    body = view.body
    fmt = (body.get("text") or {}).get("format") or {"type": "text"}
    if fmt.get("type") == "json_schema":
        fmt = {
            "type": "json_schema",
            "description": fmt.get("description"),
            "name": fmt.get("name"),
            "schema": fmt.get("schema"),
            "strict": fmt.get("strict", False),
        }
    tools = [_echo_tool(t) for t in body.get("tools") or [] if isinstance(t, dict)]
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "background": False,
        "completed_at": None,
        "error": None,
        "frequency_penalty": 0.0,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": answer.model or view.model,
        "output": [],
        "parallel_tool_calls": True,
        "presence_penalty": 0.0,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": None,
        "prompt_cache_retention": "in_memory",
        "reasoning": {
            "context": None,
            "effort": answer.effort,
            "summary": (body.get("reasoning") or {}).get("summary"),
        },
        "safety_identifier": None,
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": fmt, "verbosity": "medium"},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": tools,
        "top_logprobs": 0,
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def _annotations(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "type": "url_citation",
            "end_index": c.end,
            "start_index": c.start,
            "title": c.title,
            "url": c.url,
        }
        for c in answer.citations
    ]


def _output_items(view: RequestView, answer: Answer, ids: IdMaker) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if answer.thinking or answer.reasoning_tokens:
        summary = [{"type": "summary_text", "text": answer.thinking}] if answer.thinking else []
        item: dict[str, Any] = {"id": ids.item("rs"), "type": "reasoning", "summary": summary}
        if "reasoning.encrypted_content" in (view.body.get("include") or []):
            item["encrypted_content"] = "gAAAAA" + ids.signature()
        items.append(item)
    for use in answer.server_tools:
        action: dict[str, Any] = {"type": "search", "query": use.query}
        if "web_search_call.action.sources" in (view.body.get("include") or []):
            action["sources"] = [{"type": "url", "url": c.url} for c in use.results]
        items.append(
            {
                "id": ids.item("ws"),
                "type": "web_search_call",
                "status": "completed",
                "action": action,
            }
        )
    if answer.refusal is not None:
        items.append(
            {
                "id": ids.item("msg"),
                "type": "message",
                "status": "completed",
                "content": [{"type": "refusal", "refusal": answer.refusal}],
                "role": "assistant",
            }
        )
    elif answer.text is not None:
        items.append(
            {
                "id": ids.item("msg"),
                "type": "message",
                "status": "completed",
                "content": [
                    {
                        "type": "output_text",
                        "annotations": _annotations(answer),
                        "logprobs": [],
                        "text": answer.text,
                    }
                ],
                "role": "assistant",
            }
        )
    for call in answer.tool_calls:
        if call.kind == "custom":
            items.append(
                {
                    "id": ids.item("ctc"),
                    "type": "custom_tool_call",
                    "status": "completed",
                    "call_id": call.id or ids.call(),
                    "input": _args(call.arguments),
                    "name": call.name,
                }
            )
        else:
            items.append(
                {
                    "id": ids.item("fc"),
                    "type": "function_call",
                    "status": "completed",
                    "arguments": _args(call.arguments),
                    "call_id": call.id or ids.call(),
                    "name": call.name,
                }
            )
    return items


def render_responses(
    view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int
) -> dict[str, Any]:
    """A completed ``response`` object."""
    out = _response_shell(view, answer, ids.response(), created)
    out.update(
        status="completed",
        completed_at=created + 1,
        output=_output_items(view, answer, ids),
        usage=_usage_responses(usage),
    )
    if answer.truncated:
        out.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    return out


def stream_responses(
    view: RequestView, answer: Answer, usage: Usage, ids: IdMaker, created: int
) -> Sse:
    """The Responses API event sequence."""
    sse = Sse()
    seq = 0

    def emit(name: str, payload: dict[str, Any], tokens: int = 0) -> None:
        nonlocal seq
        sse.named(name, {"type": name, **payload, "sequence_number": seq}, tokens)
        seq += 1

    shell = _response_shell(view, answer, ids.response(), created)
    emit("response.created", {"response": shell})
    emit("response.in_progress", {"response": shell})
    items = _output_items(view, answer, ids)
    for oi, item in enumerate(items):
        iid = item["id"]
        if item["type"] == "reasoning":
            emit(
                "response.output_item.added", {"item": {**item, "summary": []}, "output_index": oi}
            )
            if not item["summary"]:
                emit("response.output_item.done", {"item": item, "output_index": oi})
                continue
            text = item["summary"][0]["text"]
            part = {"type": "summary_text", "text": ""}
            emit(
                "response.reasoning_summary_part.added",
                {"item_id": iid, "output_index": oi, "part": part, "summary_index": 0},
            )
            for piece in split_pieces(text):
                emit(
                    "response.reasoning_summary_text.delta",
                    {
                        "delta": piece,
                        "item_id": iid,
                        "output_index": oi,
                        "summary_index": 0,
                        "obfuscation": ids.obfuscation(4),
                    },
                    count_tokens(piece),
                )
            emit(
                "response.reasoning_summary_text.done",
                {"item_id": iid, "output_index": oi, "summary_index": 0, "text": text},
            )
            emit(
                "response.reasoning_summary_part.done",
                {
                    "item_id": iid,
                    "output_index": oi,
                    "part": {"type": "summary_text", "text": text},
                    "summary_index": 0,
                },
            )
        elif item["type"] == "web_search_call":
            emit(
                "response.output_item.added",
                {
                    "item": {
                        "id": iid,
                        "type": "web_search_call",
                        "status": "in_progress",
                        "action": {"type": "search"},
                    },
                    "output_index": oi,
                },
            )
            for phase in ("in_progress", "searching", "completed"):
                emit(f"response.web_search_call.{phase}", {"item_id": iid, "output_index": oi})
        elif item["type"] == "custom_tool_call":
            emit(
                "response.output_item.added",
                {"item": {**item, "status": "in_progress", "input": ""}, "output_index": oi},
                1,
            )
            for piece in split_fixed(item["input"]):
                emit(
                    "response.custom_tool_call_input.delta",
                    {
                        "delta": piece,
                        "item_id": iid,
                        "obfuscation": ids.obfuscation(4),
                        "output_index": oi,
                    },
                    count_tokens(piece),
                )
            emit(
                "response.custom_tool_call_input.done",
                {"input": item["input"], "item_id": iid, "output_index": oi},
            )
        elif item["type"] == "message":
            part = item["content"][0]
            emit(
                "response.output_item.added",
                {"item": {**item, "status": "in_progress", "content": []}, "output_index": oi},
            )
            kind = part["type"]
            empty = {**part, kind if kind == "refusal" else "text": ""}
            if kind != "refusal":
                empty["annotations"] = []
            emit(
                "response.content_part.added",
                {"content_index": 0, "item_id": iid, "output_index": oi, "part": empty},
            )
            full = part["refusal"] if kind == "refusal" else part["text"]
            delta_name = (
                "response.refusal.delta" if kind == "refusal" else "response.output_text.delta"
            )
            for piece in split_pieces(full):
                extra = (
                    {} if kind == "refusal" else {"logprobs": [], "obfuscation": ids.obfuscation(4)}
                )
                emit(
                    delta_name,
                    {
                        "content_index": 0,
                        "delta": piece,
                        "item_id": iid,
                        **extra,
                        "output_index": oi,
                    },
                    count_tokens(piece),
                )
            for at, note in enumerate(part.get("annotations") or []):
                emit(
                    "response.output_text.annotation.added",
                    {
                        "annotation": note,
                        "annotation_index": at,
                        "content_index": 0,
                        "item_id": iid,
                        "output_index": oi,
                    },
                )
            if kind == "refusal":
                emit(
                    "response.refusal.done",
                    {"content_index": 0, "item_id": iid, "output_index": oi, "refusal": full},
                )
            else:
                emit(
                    "response.output_text.done",
                    {
                        "content_index": 0,
                        "item_id": iid,
                        "logprobs": [],
                        "output_index": oi,
                        "text": full,
                    },
                )
            emit(
                "response.content_part.done",
                {"content_index": 0, "item_id": iid, "output_index": oi, "part": part},
            )
        else:
            emit(
                "response.output_item.added",
                {"item": {**item, "status": "in_progress", "arguments": ""}, "output_index": oi},
                1,
            )
            for piece in split_fixed(item["arguments"]):
                emit(
                    "response.function_call_arguments.delta",
                    {
                        "delta": piece,
                        "item_id": iid,
                        "obfuscation": ids.obfuscation(4),
                        "output_index": oi,
                    },
                    count_tokens(piece),
                )
            emit(
                "response.function_call_arguments.done",
                {"arguments": item["arguments"], "item_id": iid, "output_index": oi},
            )
        emit("response.output_item.done", {"item": item, "output_index": oi})
    final = {
        **shell,
        "status": "completed",
        "completed_at": created + 1,
        "output": items,
        "usage": _usage_responses(usage),
    }
    if answer.truncated:
        final.update(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
        emit("response.incomplete", {"response": final})
    else:
        emit("response.completed", {"response": final})
    return sse
