"""Events a stream yields and the responses every call ends with.

These are plain pydantic models with no I/O: provider parsers build them, the telemetry layer
reads them, the harness serialises them. Every response carries tokens, cost, duration and the
trace context of the ``llm.request`` span that produced it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pragma: no cover
    from opentelemetry.trace import Link


class ReasoningEffort(StrEnum):
    """How hard a reasoning model (or the ReasoningAgent) should think."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TraceContext(BaseModel):
    """Hex ids of the span that produced a response, so later work can link back to it."""

    trace_id: str
    span_id: str

    def create_link(self, attributes: dict[str, Any] | None = None) -> Link | None:
        """An OpenTelemetry ``Link`` to the producing span (None without the OpenTelemetry API)."""
        from sik_llms.telemetry.links import create_span_link

        return create_span_link(self.trace_id, self.span_id, attributes)


# --------------------------------------------------------------------------- events


class TextChunkEvent(BaseModel):
    """A piece of the answer's text, as it streams."""

    content: str
    logprob: float | None = None


class ErrorEvent(BaseModel):
    """Something went wrong but the stream goes on (agent steps, tool failures)."""

    content: str
    metadata: dict[str, Any] | None = None


class InfoEvent(BaseModel):
    """Something worth telling the caller that is neither text nor an error."""

    content: str
    metadata: dict[str, Any] | None = None


class AgentEvent(BaseModel):
    """Base of the events that belong to an agent iteration."""

    iteration: int = 0


class ThinkingEvent(AgentEvent):
    """A whole thought: a reasoning step of the agent, or a model's thinking block."""

    content: str
    is_redacted: bool = False
    signature: str | None = None


class ThinkingChunkEvent(AgentEvent):
    """A piece of a model's thinking, as it streams."""

    content: str
    is_redacted: bool = False


class ToolCallChunkEvent(BaseModel):
    """A piece of a tool call the model is streaming (name and id once known, then argument
    or custom-tool input pieces). It is a chunk like a text chunk: it counts for the time to
    first chunk. The folded call arrives on the final ``ToolPredictionResponse``."""

    name: str = ""
    call_id: str | None = None
    arguments_delta: str = ""
    kind: str = "function"


class ToolPredictionEvent(AgentEvent):
    """The agent decided to call a tool with these arguments."""

    name: str
    arguments: dict[str, Any]


class ToolResultEvent(AgentEvent):
    """A tool the agent called returned (or failed with) this result."""

    name: str
    arguments: dict[str, Any]
    result: Any


# --------------------------------------------------------------------------- responses


class ServerToolCall(BaseModel):
    """A tool the provider ran itself (OpenAI ``web_search_call``, Anthropic ``server_tool_use``
    and its ``web_search_tool_result``): surfaced, never executed by the caller.

    ``type`` is the provider's item / block type, ``name`` the tool's name (Anthropic) or the
    type without ``_call`` (OpenAI), ``input`` what the tool was asked (Anthropic ``input``,
    OpenAI ``action``), ``status`` the provider's status when it gave one, ``result`` the result
    block's content when the provider returned it (Anthropic ``*_tool_result``).
    """

    type: str
    name: str = ""
    call_id: str | None = None
    input: Any = None
    status: str | None = None
    result: Any = None


class ThinkingBlock(BaseModel):
    """One Anthropic thinking block as the model produced it, to send back in the next turn
    (``to_content_block()``): the thinking text and its ``signature``, or a redacted block's
    opaque ``data``."""

    thinking: str = ""
    signature: str | None = None
    redacted: bool = False
    data: str | None = None

    def to_content_block(self) -> dict[str, Any]:
        """The block as the Messages API takes it back in an assistant turn."""
        if self.redacted:
            return {"type": "redacted_thinking", "data": self.data or ""}
        return {"type": "thinking", "thinking": self.thinking, "signature": self.signature or ""}


class TokenSummary(BaseModel):
    """Usage, cost and timing shared by every response type.

    ``input_tokens`` is what the provider reported: OpenAI's ``prompt_tokens`` include cached
    tokens, Anthropic's ``input_tokens`` exclude cache reads and writes. Costs are priced
    correctly either way (cached tokens are never charged twice). ``total_cost`` is None when
    the model has no known price.

    Unknown is not zero: a token field is ``None`` when the provider did not report it (a
    Chat Completions stream whose server ignored ``stream_options.include_usage``, a Responses
    stream cut before ``response.completed``, an Anthropic stream cut before ``message_delta``
    leaves ``output_tokens`` None). Telemetry then leaves the matching span attributes out,
    records no ``gen_ai.client.token.usage`` point and adds nothing to the token counters, and
    the costs are None. A reported usage without cache or reasoning details counts those as 0.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    input_cost: float | None = None
    output_cost: float | None = None
    cache_read_cost: float | None = None
    cache_write_cost: float | None = None
    duration_seconds: float = 0.0
    model: str | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    trace_context: TraceContext | None = None
    # True when ``input_tokens`` already counts the cache reads (OpenAI's convention).
    input_includes_cache_reads: bool = False
    # Tools the provider ran itself during the call (web search, ...), in output order.
    server_tool_calls: list[ServerToolCall] = Field(default_factory=list)
    # Anthropic thinking blocks with their signatures, in output order (send them back).
    thinking_blocks: list[ThinkingBlock] = Field(default_factory=list)

    @property
    def total_tokens(self) -> int | None:
        """Input (with cache) plus output tokens; None when neither was reported."""
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens_total or 0) + (self.output_tokens or 0)

    @property
    def total_cost(self) -> float | None:
        parts = (self.input_cost, self.output_cost, self.cache_read_cost, self.cache_write_cost)
        if self.input_cost is None and self.output_cost is None:
            return None
        return sum(p for p in parts if p is not None)

    @property
    def trace_id(self) -> str | None:
        return self.trace_context.trace_id if self.trace_context else None

    @property
    def span_id(self) -> str | None:
        return self.trace_context.span_id if self.trace_context else None

    @property
    def input_tokens_total(self) -> int | None:
        """Input tokens including cache reads and writes, whatever the provider's convention
        (None when the input tokens were not reported)."""
        if self.input_tokens is None:
            return None
        reads = 0 if self.input_includes_cache_reads else (self.cache_read_tokens or 0)
        return self.input_tokens + reads + (self.cache_write_tokens or 0)


class TextResponse(TokenSummary):
    """The answer of a chat call (and of the ReasoningAgent)."""

    response: str = ""
    thinking: str | None = None


class ToolPrediction(BaseModel):
    """One tool call the model asked for.

    ``kind`` is ``"function"`` (JSON ``arguments``) or ``"custom"`` (an OpenAI free-form custom
    tool: its raw text is in ``input`` and ``arguments`` stays empty).
    """

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    call_id: str | None = None
    kind: str = "function"
    input: str | None = None


class ToolPredictionResponse(TokenSummary):
    """The result of a tools call: every predicted call, or a plain message."""

    tool_predictions: list[ToolPrediction] = Field(default_factory=list)
    message: str | None = None

    @property
    def tool_prediction(self) -> ToolPrediction | None:
        """The first predicted call (the original API returned only this one)."""
        return self.tool_predictions[0] if self.tool_predictions else None


class StructuredOutputResponse(TokenSummary):
    """The result of a structured-output call: the parsed model, or the model's refusal."""

    parsed: Any = None
    refusal: str | None = None


Response = TextResponse | ToolPredictionResponse | StructuredOutputResponse
Event = (
    TextChunkEvent
    | ToolCallChunkEvent
    | ErrorEvent
    | InfoEvent
    | ThinkingEvent
    | ThinkingChunkEvent
    | ToolPredictionEvent
    | ToolResultEvent
)
RESPONSE_TYPES: tuple[type[TokenSummary], ...] = (
    TextResponse,
    ToolPredictionResponse,
    StructuredOutputResponse,
)
