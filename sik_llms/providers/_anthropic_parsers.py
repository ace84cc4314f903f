"""Anthropic's wire, parsed: Messages stream events (or one Message) -> our events and one response.

Pure code, no I/O (``sik_llms.providers.anthropic`` owns requests and clients). Every value
read from the wire goes through ``_shape`` (a wrong shape is ``MalformedStreamError``);
``tool_use`` and ``server_tool_use`` inputs streamed as ``input_json_delta`` are folded by
``_fold``. Usage: ``input_tokens`` excludes cache reads and writes; in streams
``message_start`` gives the input numbers and ``message_delta`` the final ones (its values win
when present). ``message_start``'s ``output_tokens`` is a placeholder, so a stream cut before
``message_delta`` reports ``output_tokens`` None (unknown), never the placeholder.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.models import ModelInfo, get_model_info
from sik_llms.providers._common import error_from_body, validate_structured
from sik_llms.providers._fold import FoldedCall, ToolCallFolder
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
    ThinkingBlock,
    ThinkingChunkEvent,
    TokenSummary,
    ToolCallChunkEvent,
    ToolPrediction,
    ToolPredictionResponse,
)

__all__ = ["AnthropicParser", "fill_usage"]

P = "anthropic"
_CALL_BLOCKS = {"tool_use": "function", "server_tool_use": "server", "mcp_tool_use": "server"}


def fill_usage(
    summary: TokenSummary,
    info: ModelInfo | None,
    *,
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read: int | None,
    cache_write: int | None,
    reasoning: int | None = 0,
) -> None:
    """Anthropic rules: input excludes cache; reads and writes have their own prices.

    A None count is unknown (not reported): it stays None, and costs are priced only when both
    the input and the output counts are known (a partial sum would look like a real price).
    """
    summary.input_tokens = input_tokens
    summary.output_tokens = output_tokens
    summary.cache_read_tokens = cache_read
    summary.cache_write_tokens = cache_write
    summary.reasoning_tokens = reasoning
    if info is None or not info.is_priced or input_tokens is None or output_tokens is None:
        return
    summary.input_cost = info.cost(input_tokens, info.input_price)
    summary.output_cost = info.cost(output_tokens, info.output_price)
    read_price = (
        info.cache_read_price
        if info.cache_read_price is not None
        else (info.input_price or 0) * 0.1
    )
    write_price = (
        info.cache_write_price
        if info.cache_write_price is not None
        else (info.input_price or 0) * 1.25
    )
    summary.cache_read_cost = info.cost(cache_read or 0, read_price)
    summary.cache_write_cost = info.cost(cache_write or 0, write_price)


class AnthropicParser:
    """Messages stream events (or one full Message) -> events + one response. No I/O.

    The entry points (``feed_sse``, ``feed_body``, ``finish``) run under ``guard``: provider
    data of the wrong shape raises ``MalformedStreamError``, never an untyped exception.
    """

    def __init__(
        self,
        request_model: str,
        kind: str = "text",
        structured: type[BaseModel] | dict | None = None,
        structured_tool: str | None = None,
    ) -> None:
        self.request_model = request_model
        self.kind = kind
        self.structured = structured
        self.structured_tool = structured_tool
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._thinking_blocks: dict[int, ThinkingBlock] = {}
        self._calls = ToolCallFolder()
        self._results: dict[str, Any] = {}  # server tool results by tool_use_id
        self._result_types: dict[str, str] = {}
        self.model: str | None = None
        self.response_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, int | None] = {
            "input": None,
            "output": None,
            "cache_read": None,
            "cache_write": None,
            "reasoning": None,
        }

    @property
    def text(self) -> str:
        return "".join(self._text)

    def _take_usage(self, usage: dict[str, Any] | None, *, final: bool) -> None:
        """Counts from a usage object; ``output_tokens`` only from a final one (message_delta
        or a whole Message), because message_start's is a placeholder."""
        if usage is None:
            return
        for ours, theirs in (
            ("input", "input_tokens"),
            ("output", "output_tokens"),
            ("cache_read", "cache_read_input_tokens"),
            ("cache_write", "cache_creation_input_tokens"),
        ):
            if ours == "output" and not final:
                continue
            value = opt_int(usage, theirs, P)
            if value is not None:  # later (message_delta) values win when present
                self.usage[ours] = value
        thinking = opt_int(opt_dict(usage, "output_tokens_details", P) or {}, "thinking_tokens", P)
        if thinking is not None:
            self.usage["reasoning"] = thinking

    def feed_sse(self, sse: SseEvent) -> list[Event]:
        """One SSE event of a Messages stream (the SDK's rules: pings and unnamed events are
        skipped, an ``error`` event raises)."""
        if sse.event is None or sse.event == "ping":
            return []
        with guard(P, self.text):
            if sse.event == "error":
                try:
                    body: Any = json.loads(sse.data)
                except ValueError:
                    body = sse.data.decode("utf-8", "replace")
                raise error_from_body(
                    body, P, fallback="error event in the stream", partial_text=self.text
                )
            if not sse.data:
                return []
            return self.feed(as_dict(load_json(sse.data, P, "a stream event"), P, "a stream event"))

    def feed_body(self, body: bytes) -> list[Event]:
        with guard(P, self.text):
            data = as_dict(load_json(body, P, "a response body"), P, "a response body")
            if data.get("type") == "error" or (data.get("error") and "content" not in data):
                raise error_from_body(
                    data, P, fallback="the response body is an error", partial_text=self.text
                )
            return self.feed_message(data)

    def feed(self, event: dict[str, Any]) -> list[Event]:
        etype = opt_str(event, "type", P) or ""
        if etype == "content_block_delta":  # first: nearly every event of a stream is one
            return self._delta(opt_int(event, "index", P) or 0, opt_dict(event, "delta", P) or {})
        if etype == "message_start":
            message = opt_dict(event, "message", P) or {}
            self.response_id, self.model = opt_str(message, "id", P), opt_str(message, "model", P)
            self._take_usage(opt_dict(message, "usage", P), final=False)
            return []
        if etype == "content_block_start":
            return self._block(
                opt_int(event, "index", P) or 0,
                opt_dict(event, "content_block", P) or {},
                streamed=True,
            )
        if etype == "message_delta":
            self.finish_reason = (
                opt_str(opt_dict(event, "delta", P) or {}, "stop_reason", P) or self.finish_reason
            )
            self._take_usage(opt_dict(event, "usage", P), final=True)
            return []
        return []  # content_block_stop, message_stop, ping and future event types

    def _delta(self, index: int, delta: dict[str, Any]) -> list[Event]:
        dtype = opt_str(delta, "type", P) or ""
        if dtype == "text_delta":
            return self._add_text(opt_str(delta, "text", P) or "")
        if dtype == "thinking_delta":
            piece = opt_str(delta, "thinking", P) or ""
            self._thinking.append(piece)
            block = self._thinking_blocks.setdefault(index, ThinkingBlock())
            block.thinking += piece
            return [ThinkingChunkEvent(content=piece)]
        if dtype == "signature_delta":  # complete whenever present: set, never appended
            self._thinking_blocks.setdefault(index, ThinkingBlock()).signature = opt_str(
                delta, "signature", P
            )
            return []
        if dtype == "input_json_delta":
            piece = opt_str(delta, "partial_json", P) or ""
            call = self._calls.delta(index, piece=piece)
            if call.kind == "server":
                return []
            return [ToolCallChunkEvent(name=call.name, call_id=call.id, arguments_delta=piece)]
        return []

    def _block(self, index: int, block: dict[str, Any], *, streamed: bool) -> list[Event]:
        btype = opt_str(block, "type", P) or ""
        if btype in _CALL_BLOCKS:
            name, call_id = opt_str(block, "name", P), opt_str(block, "id", P)
            block_input = block.get("input")
            call = self._calls.start(
                index, id=call_id, name=name, kind=_CALL_BLOCKS[btype], input=block_input
            )
            call.type = btype
            if call.kind == "server" or not streamed:
                return []
            return [ToolCallChunkEvent(name=call.name, call_id=call.id)]
        if btype.endswith("_tool_result"):  # web_search_tool_result, mcp_tool_result, ...
            use_id = opt_str(block, "tool_use_id", P)
            if use_id:
                self._results[use_id] = block.get("content")
                self._result_types[use_id] = btype
            return []
        if btype == "redacted_thinking":
            data = opt_str(block, "data", P) or ""
            self._thinking_blocks[index] = ThinkingBlock(redacted=True, data=data)
            return [ThinkingChunkEvent(content=data, is_redacted=True)]
        if btype == "thinking":
            thinking = opt_str(block, "thinking", P) or ""
            self._thinking_blocks[index] = ThinkingBlock(
                thinking=thinking, signature=opt_str(block, "signature", P)
            )
            if thinking:
                self._thinking.append(thinking)
                return [ThinkingChunkEvent(content=thinking)]
            return []
        if btype == "text":
            text = opt_str(block, "text", P)
            if text and streamed:
                return self._add_text(text)
            if text:
                self._text.append(text)
        return []

    def feed_message(self, message: dict[str, Any]) -> list[Event]:
        """A non-streamed Message: thinking chunks, then one text chunk with the whole text."""
        self.response_id, self.model = opt_str(message, "id", P), opt_str(message, "model", P)
        self.finish_reason = opt_str(message, "stop_reason", P)
        self._take_usage(opt_dict(message, "usage", P), final=True)
        events: list[Event] = []
        for index, block in enumerate(dict_list(message, "content", P)):
            events.extend(
                e
                for e in self._block(index, block, streamed=False)
                if not isinstance(e, TextChunkEvent)
            )
        if self.text and self.kind != "structured":
            events.append(TextChunkEvent(content=self.text))
        return events

    def _add_text(self, text: str) -> list[Event]:
        self._text.append(text)
        return [TextChunkEvent(content=text)] if self.kind != "structured" else []

    def _arguments(self, call: FoldedCall) -> Any:
        if call.arguments:
            try:
                return json.loads(call.arguments)
            except ValueError as exc:
                raise errors.MalformedStreamError(
                    f"{call.type or 'tool_use'} input is not valid JSON: {call.arguments[:200]!r}",
                    provider=P,
                    partial_text=self.text,
                ) from exc
        return call.input if call.input is not None else {}

    def _tool_calls(self) -> list[ToolPrediction]:
        calls = []
        for call in self._calls.calls():
            if call.kind != "function":
                continue
            arguments = self._arguments(call)
            if not isinstance(arguments, dict):
                raise errors.MalformedStreamError(
                    f"tool_use input is not a JSON object: {arguments!r:.200}",
                    provider=P,
                    partial_text=self.text,
                )
            calls.append(ToolPrediction(name=call.name, arguments=arguments, call_id=call.id))
        return calls

    def _server_tools(self) -> list[ServerToolCall]:
        return [
            ServerToolCall(
                type=call.type or "server_tool_use",
                name=call.name,
                call_id=call.id,
                input=self._arguments(call),
                result=self._results.get(call.id or ""),
                status="completed" if (call.id or "") in self._results else None,
            )
            for call in self._calls.calls()
            if call.kind == "server"
        ]

    def finish(self) -> Response:
        with guard(P, self.text):
            return self._finish()

    def _finish(self) -> Response:
        calls = self._tool_calls()
        if self.kind == "structured":
            response: TokenSummary = self._structured(calls)
        elif self.kind == "tools":
            response = ToolPredictionResponse(tool_predictions=calls, message=self.text or None)
        else:
            response = TextResponse(response=self.text, thinking="".join(self._thinking) or None)
        response.model = self.model or self.request_model
        response.response_id = self.response_id
        response.finish_reason = self.finish_reason
        response.server_tool_calls = self._server_tools()
        response.thinking_blocks = [block for _, block in sorted(self._thinking_blocks.items())]
        info = get_model_info(self.model or "")
        if info is None or not info.is_priced:  # the response's model unpriced: the requested one's
            info = get_model_info(self.request_model) or info
        u = self.usage
        reported = u["input"] is not None or u["output"] is not None
        fill_usage(
            response,
            info,
            input_tokens=u["input"],
            output_tokens=u["output"],
            cache_read=(u["cache_read"] or 0) if reported else None,
            cache_write=(u["cache_write"] or 0) if reported else None,
            reasoning=(u["reasoning"] or 0) if reported else None,
        )
        return response  # type: ignore[return-value]

    def _structured(self, calls: list[ToolPrediction]) -> StructuredOutputResponse:
        match = (
            [c for c in calls if c.name == self.structured_tool] if self.structured_tool else calls
        )
        if not match:
            if self.finish_reason == "refusal" or (self.text and not calls):
                return StructuredOutputResponse(
                    parsed=None, refusal=self.text or self.finish_reason
                )
            raise errors.StructuredOutputError(
                f"the model did not call the structured-output tool {self.structured_tool!r} "
                f"(stop reason {self.finish_reason!r})",
                provider=P,
                raw=self.text,
            )
        args = match[0].arguments
        if isinstance(self.structured, type) and issubclass(self.structured, BaseModel):
            return StructuredOutputResponse(parsed=validate_structured(self.structured, args, P))
        return StructuredOutputResponse(parsed=args)
