"""OpenAI Responses API, parsed: stream events (or one full Response object) -> our events and
one response, provider-run tools included. Pure code, no I/O; the shared rules (usage, cost,
the response) are in ``_openai_parsers``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.providers._fold import ToolCallFolder
from sik_llms.providers._openai_parsers import (
    RESPONSES_USAGE,
    OpenAIWire,
    P,
    usage_counts,
)
from sik_llms.providers._shape import (
    dict_list,
    opt_dict,
    opt_int,
    opt_str,
)
from sik_llms.types import (
    Event,
    ServerToolCall,
    TextChunkEvent,
    ThinkingChunkEvent,
    ToolCallChunkEvent,
)

__all__ = ["OpenAIResponsesParser"]

# Responses output items the caller executes; every other ``*_call`` item is a provider-run tool.
_CALLER_TOOLS = {"function_call": "function", "custom_tool_call": "custom"}


class OpenAIResponsesParser(OpenAIWire):
    """Responses API stream events (or one full Response object), as JSON -> events + one response.

    Function and custom tool calls stream as ``response.output_item.added`` then argument /
    input deltas and ``*.done`` events, folded per ``output_index``; the final response object
    (``response.completed``), when it arrives, is authoritative. Provider-run tools
    (``web_search_call`` and every other ``*_call`` item) are surfaced as ``server_tool_calls``.
    """

    def __init__(
        self,
        request_model: str,
        kind: str = "text",
        structured: type[BaseModel] | dict | None = None,
    ) -> None:
        super().__init__(request_model, kind, structured)
        self._item_index: dict[str, int] = {}

    def feed(self, data: dict[str, Any]) -> list[Event]:
        kind = opt_str(data, "type", P) or ""
        r = self._r
        if kind == "response.output_text.delta":
            delta = opt_str(data, "delta", P) or ""
            r.text.append(delta)
            return [TextChunkEvent(content=delta)] if self._emit_text else []
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            delta = opt_str(data, "delta", P) or ""
            r.thinking.append(delta)
            return [ThinkingChunkEvent(content=delta)]
        if kind == "response.refusal.delta":
            r.refusal.append(opt_str(data, "delta", P) or "")
            return []
        if kind in (
            "response.function_call_arguments.delta",
            "response.custom_tool_call_input.delta",
        ):
            piece = opt_str(data, "delta", P) or ""
            call = r.tools.delta(self._position(data), piece=piece)
            return [
                ToolCallChunkEvent(
                    name=call.name, call_id=call.id, arguments_delta=piece, kind=call.kind
                )
            ]
        if kind == "response.function_call_arguments.done":
            r.tools.complete(self._position(data), value=opt_str(data, "arguments", P))
            return []
        if kind == "response.custom_tool_call_input.done":
            r.tools.complete(self._position(data), value=opt_str(data, "input", P))
            return []
        if kind in ("response.output_item.added", "response.output_item.done"):
            return self._item(
                opt_int(data, "output_index", P) or 0,
                opt_dict(data, "item", P) or {},
                added=kind.endswith("added"),
            )
        if kind in ("response.created", "response.in_progress"):
            resp = opt_dict(data, "response", P) or {}
            r.response_id, r.model = opt_str(resp, "id", P), opt_str(resp, "model", P)
            return []
        if kind in ("response.completed", "response.incomplete"):
            self._take_final(opt_dict(data, "response", P) or {}, from_stream=True)
            return []
        if kind == "response.failed":
            error = opt_dict(opt_dict(data, "response", P) or {}, "error", P) or {}
            raise self._failure(
                opt_str(error, "code", P), opt_str(error, "message", P) or "the response failed"
            )
        if kind == "error":
            raise self._failure(
                opt_str(data, "code", P), opt_str(data, "message", P) or "stream error"
            )
        return []

    def _position(self, data: dict[str, Any]) -> int:
        """A delta's ``output_index``, or the index its ``item_id`` was added at."""
        index = opt_int(data, "output_index", P)
        if index is None:
            index = self._item_index.get(opt_str(data, "item_id", P) or "", 0)
        return index

    def _item(self, index: int, item: dict[str, Any], *, added: bool) -> list[Event]:
        itype = opt_str(item, "type", P) or ""
        r = self._r
        item_id = opt_str(item, "id", P)
        if item_id:
            self._item_index[item_id] = index
        if itype in _CALLER_TOOLS:
            kind = _CALLER_TOOLS[itype]
            call_id, name = opt_str(item, "call_id", P), opt_str(item, "name", P)
            value = opt_str(item, "arguments" if kind == "function" else "input", P)
            if added:
                call = r.tools.start(index, id=call_id, name=name, kind=kind)
                if value:
                    call.pieces.append(value)
                return [
                    ToolCallChunkEvent(
                        name=call.name, call_id=call.id, arguments_delta=value or "", kind=kind
                    )
                ]
            r.tools.complete(index, id=call_id, name=name, kind=kind, value=value)
        elif itype.endswith("_call"):
            r.server_tools[index] = _server_tool(item, itype)
        return []

    def _failure(self, etype: str | None, message: str) -> errors.LLMError:
        status = errors.status_for_error_type(etype) or 500
        return errors.class_for_status(status)(
            message, status=status, provider=P, error_type=etype, partial_text=self.text
        )

    def feed_full(self, data: dict[str, Any]) -> list[Event]:
        """A non-streamed Response: one text chunk with the whole text (if any)."""
        self._take_final(data, from_stream=False)
        text = self.text
        if text and self._emit_text:
            return [TextChunkEvent(content=text)]
        return []

    def _take_final(self, resp: dict[str, Any], *, from_stream: bool) -> None:
        r = self._r
        r.response_id, r.model = (
            opt_str(resp, "id", P) or r.response_id,
            opt_str(resp, "model", P) or r.model,
        )
        usage = opt_dict(resp, "usage", P)
        if usage is not None:
            r.usage = usage_counts(usage, RESPONSES_USAGE)
        r.finish_reason = opt_str(
            opt_dict(resp, "incomplete_details", P) or {}, "reason", P
        ) or opt_str(resp, "status", P)
        texts: list[str] = []
        refusals: list[str] = []
        thinking: list[str] = []
        output = dict_list(resp, "output", P)
        tools = ToolCallFolder()
        server: dict[Any, ServerToolCall] = {}
        for index, item in enumerate(output):
            itype = opt_str(item, "type", P) or ""
            if itype == "message":
                for part in dict_list(item, "content", P):
                    if part.get("type") == "output_text":
                        texts.append(opt_str(part, "text", P) or "")
                    elif part.get("type") == "refusal":
                        refusals.append(opt_str(part, "refusal", P) or "")
            elif itype in _CALLER_TOOLS:
                kind = _CALLER_TOOLS[itype]
                call = tools.start(
                    index, id=opt_str(item, "call_id", P), name=opt_str(item, "name", P), kind=kind
                )
                call.pieces = [
                    opt_str(item, "arguments" if kind == "function" else "input", P) or ""
                ]
            elif itype == "reasoning":
                thinking.extend(
                    opt_str(summary, "text", P) or "" for summary in dict_list(item, "summary", P)
                )
            elif itype.endswith("_call"):
                server[index] = _server_tool(item, itype)
        # The final object is authoritative; deltas already seen are replaced, not doubled.
        if output or not from_stream:
            r.text, r.refusal, r.tools, r.server_tools = texts, refusals, tools, server
        if not from_stream or not r.thinking:
            r.thinking = thinking


def _server_tool(item: dict[str, Any], itype: str) -> ServerToolCall:
    """A provider-run tool's output item (``web_search_call``: ``id``, ``status``, ``action``)."""
    return ServerToolCall(
        type=itype,
        name=opt_str(item, "name", P) or itype.removesuffix("_call"),
        call_id=opt_str(item, "id", P),
        input=item.get("action", item.get("arguments")),
        status=opt_str(item, "status", P),
        result=item.get("results", item.get("output")),
    )
