"""OpenAI's wire, parsed: what the Chat Completions and Responses parsers share.

Pure code, no I/O (``sik_llms.providers.openai`` owns the requests and the clients; the parsers
are ``_openai_chat_parser`` and ``_openai_responses_parser``). Every value read from the wire
goes through ``_shape`` (a wrong shape is ``MalformedStreamError``), streamed tool calls are
folded by ``_fold`` (complete values set, pieces appended), and usage follows OpenAI's rules:
``prompt_tokens`` include cached tokens, which are priced at the cached rate and never charged
twice. A call that reports no usage leaves every token field None.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

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
    guard,
    load_json,
    opt_dict,
    opt_int,
)
from sik_llms.sse import SseEvent
from sik_llms.types import (
    Event,
    Response,
    ServerToolCall,
    StructuredOutputResponse,
    TextResponse,
    TokenSummary,
    ToolPrediction,
    ToolPredictionResponse,
)

__all__ = ["CHAT_USAGE", "RESPONSES_USAGE", "OpenAIWire", "fill_usage", "usage_counts"]

P = "openai"


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
CHAT_USAGE = (
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)
RESPONSES_USAGE = (
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
)


def usage_counts(usage: dict[str, Any], keys: tuple[str, str, str, str]) -> dict[str, int]:
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


class OpenAIWire:
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
