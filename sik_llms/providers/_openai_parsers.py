"""OpenAI's wire, parsed: Chat Completions and Responses JSON -> our events and one response.

Pure code, no I/O (``sik_llms.providers.openai`` owns the requests and the clients). Every
value read from the wire goes through ``_shape`` (a wrong shape is ``MalformedStreamError``),
streamed tool calls are folded by ``_fold`` (complete values set, pieces appended), and usage
follows OpenAI's rules: ``prompt_tokens`` include cached tokens, which are priced at the cached
rate and never charged twice. A call that reports no usage leaves every token field None.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.models import ModelInfo, get_model_info
from sik_llms.providers._common import (
    error_from_body,
    loads_arguments,
    parse_json_output,
    validate_structured,
)
from sik_llms.providers._fold import ToolCallFolder
from sik_llms.providers._shape import (
    as_dict,
    dict_list,
    guard,
    load_json,
    opt_dict,
    opt_int,
    opt_str,
)
from sik_llms.sse import SseEvent
from sik_llms.types import (
    Event,
    Response,
    ServerToolCall,
    StructuredOutputResponse,
    TextChunkEvent,
    TextResponse,
    ThinkingChunkEvent,
    TokenSummary,
    ToolCallChunkEvent,
    ToolPrediction,
    ToolPredictionResponse,
)

__all__ = ["OpenAIChatParser", "OpenAIResponsesParser", "fill_usage"]

P = "openai"
# Responses output items the caller executes; every other ``*_call`` item is a provider-run tool.
_CALLER_TOOLS = {"function_call": "function", "custom_tool_call": "custom"}


def fill_usage(
    summary: TokenSummary,
    info: ModelInfo | None,
    *,
    input_tokens: int,
    output_tokens: int,
    cached: int,
    reasoning: int,
) -> None:
    """OpenAI rules: input includes cached tokens; cached ones are priced at the cached rate."""
    summary.input_tokens = input_tokens
    summary.output_tokens = output_tokens
    summary.cache_read_tokens = cached
    summary.cache_write_tokens = 0  # OpenAI caches without a billed write
    summary.reasoning_tokens = reasoning
    summary.input_includes_cache_reads = True
    if info is None or not info.is_priced:
        return
    uncached = max(input_tokens - cached, 0)
    summary.input_cost = info.cost(uncached, info.input_price)
    summary.output_cost = info.cost(output_tokens, info.output_price)
    summary.cache_read_cost = info.cost(
        cached, info.cache_read_price if info.cache_read_price is not None else info.input_price
    )
    summary.cache_write_cost = 0.0


def _price_info(request_model: str, response_model: str | None) -> ModelInfo | None:
    """The response's model when it is priced, else the requested one (a snapshot name the
    registry only knows unpriced must not hide its family's price)."""
    info = get_model_info(response_model or "")
    if info is None or not info.is_priced:
        info = get_model_info(request_model) or info
    return info


# (input, output, input details, output details): the same usage, spelled per API
_CHAT_USAGE = (
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)
_RESPONSES_USAGE = (
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
)


def _usage(usage: dict[str, Any], keys: tuple[str, str, str, str]) -> dict[str, int]:
    input_key, output_key, input_details, output_details = keys
    return {
        "input": opt_int(usage, input_key, P) or 0,
        "output": opt_int(usage, output_key, P) or 0,
        "cached": opt_int(opt_dict(usage, input_details, P) or {}, "cached_tokens", P) or 0,
        "reasoning": opt_int(opt_dict(usage, output_details, P) or {}, "reasoning_tokens", P) or 0,
    }


class _Result:
    """What a parser accumulates, then turns into the one response of the call."""

    def __init__(
        self, request_model: str, kind: str, structured: type[BaseModel] | dict | None
    ) -> None:
        self.request_model = request_model
        self.kind = kind  # "text" | "tools" | "structured"
        self.structured = structured
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.refusal: list[str] = []
        self.tools = ToolCallFolder()
        self.server_tools: dict[Any, ServerToolCall] = {}
        self.model: str | None = None
        self.response_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None

    def build(self) -> Response:
        text = "".join(self.text)
        if self.kind == "structured":
            response: TokenSummary = self._structured(text)
        elif self.kind == "tools":
            response = ToolPredictionResponse(
                tool_predictions=self._predictions(), message=text or None
            )
        else:
            response = TextResponse(response=text, thinking="".join(self.thinking) or None)
        response.model = self.model or self.request_model
        response.response_id = self.response_id
        response.finish_reason = self.finish_reason
        response.server_tool_calls = list(self.server_tools.values())
        if self.usage is not None:  # none reported (stream without include_usage): all unknown
            fill_usage(
                response,
                _price_info(self.request_model, self.model),
                input_tokens=self.usage["input"],
                output_tokens=self.usage["output"],
                cached=self.usage["cached"],
                reasoning=self.usage["reasoning"],
            )
        else:
            response.input_includes_cache_reads = True
        return response  # type: ignore[return-value]

    def _predictions(self) -> list[ToolPrediction]:
        out = []
        for call in self.tools.calls():
            if call.kind == "custom":
                out.append(
                    ToolPrediction(
                        name=call.name, call_id=call.id, kind="custom", input=call.arguments
                    )
                )
            else:
                out.append(
                    ToolPrediction(
                        name=call.name, arguments=loads_arguments(call.arguments), call_id=call.id
                    )
                )
        return out

    def _structured(self, text: str) -> StructuredOutputResponse:
        refusal = "".join(self.refusal) or None
        if refusal is not None:
            return StructuredOutputResponse(parsed=None, refusal=refusal)
        if isinstance(self.structured, type) and issubclass(self.structured, BaseModel):
            return StructuredOutputResponse(parsed=validate_structured(self.structured, text, P))
        return StructuredOutputResponse(parsed=parse_json_output(text, P))


class _OpenAIWire:
    """How OpenAI frames a stream: JSON per event, ``[DONE]`` at the end, and errors as an
    ``error`` member (the SDK's own rule). Subclasses parse the JSON in ``feed`` / ``feed_full``;
    the three entry points run under ``guard``, so nothing untyped escapes."""

    def __init__(
        self,
        request_model: str,
        kind: str = "text",
        structured: type[BaseModel] | dict | None = None,
    ) -> None:
        self._r = _Result(request_model, kind, structured)
        self._emit_text = kind != "structured"

    @property
    def text(self) -> str:
        return "".join(self._r.text)

    def feed(self, data: dict[str, Any]) -> list[Event]:
        raise NotImplementedError

    def feed_full(self, data: dict[str, Any]) -> list[Event]:
        raise NotImplementedError

    def feed_sse(self, sse: SseEvent) -> list[Event]:
        if not sse.data or sse.data.startswith(b"[DONE]"):
            return []
        with guard(P, self.text):
            data = as_dict(load_json(sse.data, P, "a stream event"), P, "a stream event")
            if data.get("error"):
                raise error_from_body(
                    data["error"],
                    P,
                    fallback="An error occurred during streaming",
                    partial_text=self.text,
                )
            return self.feed(data)

    def feed_body(self, body: bytes) -> list[Event]:
        with guard(P, self.text):
            data = as_dict(load_json(body, P, "a response body"), P, "a response body")
            if data.get("error"):  # an error envelope with a success status
                raise error_from_body(
                    data["error"],
                    P,
                    fallback="the response body is an error",
                    partial_text=self.text,
                )
            return self.feed_full(data)

    def finish(self) -> Response:
        with guard(P, self.text):
            return self._r.build()


class OpenAIChatParser(_OpenAIWire):
    """Chat Completions chunks (or one full completion), as JSON -> events + one response. No I/O.

    Only choice 0 is the answer (``n > 1`` requests still parse). Usage comes from the final
    chunk (``include_usage``), whose ``choices`` is empty. Tool calls of ``"type": "function"``
    (``function.name`` / ``function.arguments``) and ``"type": "custom"`` (``custom.name`` /
    ``custom.input``) are folded by the rule in ``_fold``.
    """

    def feed(self, data: dict[str, Any]) -> list[Event]:
        r = self._r
        r.response_id = r.response_id or opt_str(data, "id", P)
        r.model = opt_str(data, "model", P) or r.model
        usage = opt_dict(data, "usage", P)
        if usage is not None:
            r.usage = _usage(usage, _CHAT_USAGE)
        events: list[Event] = []
        for choice in dict_list(data, "choices", P):
            if (opt_int(choice, "index", P) or 0) != 0:
                continue
            finish = opt_str(choice, "finish_reason", P)
            if finish:
                r.finish_reason = finish
            delta = opt_dict(choice, "delta", P)
            if not delta:
                continue
            reasoning = opt_str(delta, "reasoning_content", P)  # OpenAI-compatible servers
            if reasoning:
                r.thinking.append(reasoning)
                events.append(ThinkingChunkEvent(content=reasoning))
            content = opt_str(delta, "content", P)
            if content:
                r.text.append(content)
                if self._emit_text:
                    events.append(TextChunkEvent(content=content, logprob=_first_logprob(choice)))
            refusal = opt_str(delta, "refusal", P)
            if refusal:
                r.refusal.append(refusal)
            for call in dict_list(delta, "tool_calls", P):
                events.append(self._fold_call(call))
        return events

    def _fold_call(self, call: dict[str, Any]) -> ToolCallChunkEvent:
        kind, name, piece = _chat_call_parts(call)
        folded = self._r.tools.delta(
            opt_int(call, "index", P) or 0,
            id=opt_str(call, "id", P),
            name=name,
            kind=kind,
            piece=piece,
        )
        return ToolCallChunkEvent(
            name=folded.name, call_id=folded.id, arguments_delta=piece or "", kind=folded.kind
        )

    def feed_full(self, data: dict[str, Any]) -> list[Event]:
        """A non-streamed completion: one text chunk with the whole text (if any)."""
        r = self._r
        r.response_id = opt_str(data, "id", P)
        r.model = opt_str(data, "model", P)
        usage = opt_dict(data, "usage", P)
        if usage is not None:
            r.usage = _usage(usage, _CHAT_USAGE)
        choices = dict_list(data, "choices", P)
        if not choices:
            return []
        choice = choices[0]
        r.finish_reason = opt_str(choice, "finish_reason", P)
        message = opt_dict(choice, "message", P) or {}
        events: list[Event] = []
        content = opt_str(message, "content", P)
        if content:
            r.text.append(content)
            if self._emit_text:
                events.append(TextChunkEvent(content=content))
        refusal = opt_str(message, "refusal", P)
        if refusal:
            r.refusal.append(refusal)
        for index, call in enumerate(dict_list(message, "tool_calls", P)):
            kind, name, piece = _chat_call_parts(call)
            if kind is not None or name:
                r.tools.start(index, id=opt_str(call, "id", P), name=name, kind=kind)
                r.tools.delta(index, piece=piece)
        return events


def _chat_call_parts(call: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(kind, name, streamed piece) of one Chat Completions tool-call entry or delta."""
    ctype = opt_str(call, "type", P)
    custom = opt_dict(call, "custom", P)
    if custom is not None or ctype == "custom":
        custom = custom or {}
        return "custom", opt_str(custom, "name", P), opt_str(custom, "input", P)
    fn = opt_dict(call, "function", P) or {}
    return (
        ("function" if ctype or fn else None),
        opt_str(fn, "name", P),
        opt_str(fn, "arguments", P),
    )


def _first_logprob(choice: dict[str, Any]) -> float | None:
    content = dict_list(opt_dict(choice, "logprobs", P) or {}, "content", P)
    if not content:
        return None
    value = content[0].get("logprob")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class OpenAIResponsesParser(_OpenAIWire):
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
            r.usage = _usage(usage, _RESPONSES_USAGE)
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
