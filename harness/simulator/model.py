"""Provider-neutral vocabulary: what was asked (RequestView) and what to answer (Answer).

Each wire module translates its provider's JSON into a RequestView and an Answer back into its
provider's JSON/SSE; scenarios and the default answerer speak only this vocabulary, so one rule
drives both providers and all three APIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class WireError(Exception):
    """A request the real API would reject: rendered in the provider's error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code


@dataclass
class ToolSpec:
    """An offered tool. ``kind`` is function | custom (OpenAI free-form input) | a built-in /
    server tool type (``web_search``, ``web_search_preview``, Anthropic ``web_search_20250305``...)."""

    name: str
    schema: dict[str, Any]
    kind: str = "function"
    description: str = ""

    @property
    def builtin(self) -> bool:
        return self.kind not in ("function", "custom")


@dataclass
class RequestView:
    """The facts about a request that scenarios match on and answers are shaped by."""

    provider: str  # openai | anthropic
    api: str  # chat.completions | responses | messages
    model: str
    stream: bool = False
    include_usage: bool = False
    last_user_text: str = ""
    prompt_text: str = ""
    prompt_tokens: int = 0
    #: tokens of the prefix up to the last cache breakpoint (Anthropic cache_control) or of
    #: everything but the last message (OpenAI automatic caching)
    cache_prefix_tokens: int = 0
    cache_prefix_key: str = ""
    has_tool_results: bool = False
    tool_result_count: int = 0
    tools: list[ToolSpec] = field(default_factory=list)
    #: name of the tool the request forces, "*" for "any tool", None when not forced
    forced_tool: str | None = None
    response_format: str | None = None  # json_schema | json_object | None
    response_schema: dict[str, Any] | None = None
    thinking: bool = False
    n: int = 1
    max_tokens: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    #: the conversation ends with a user turn (not tool results): the model may call tools
    last_is_user: bool = True
    #: tool_choice "none" (tools offered but must not be called)
    tools_disabled: bool = False
    parallel_tool_calls: bool = True
    #: reasoning effort the request names (None: the model's default applies)
    effort: str | None = None
    #: the system / developer text (instructions), for grounding structured answers
    system_text: str = ""
    #: endpoint flavour: official | azure | compatible (see ``routes``)
    flavor: str = "official"
    #: Anthropic: tokens of the cached prefix written with ``ttl: 1h`` (part of cache_prefix_tokens)
    cache_prefix_1h_tokens: int = 0
    #: OpenAI automatic caching: key of the whole prompt (a repeat reads it from cache)
    cache_full_key: str = ""

    @property
    def tool_names(self) -> list[str]:
        return [t.name for t in self.tools]


@dataclass
class ToolCall:
    """A call the model makes. ``kind`` custom: ``arguments`` is the free-form input string."""

    name: str
    arguments: dict[str, Any] | str
    id: str | None = None
    kind: str = "function"


@dataclass
class Citation:
    url: str
    title: str
    #: the cited span of the answer text (character offsets)
    start: int = 0
    end: int = 0


@dataclass
class ServerToolUse:
    """A built-in / server tool the provider ran itself (web search, web fetch)."""

    kind: str  # web_search | web_fetch
    query: str
    results: list[Citation] = field(default_factory=list)
    name: str = "web_search"


@dataclass
class Usage:
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0  # OpenAI prompt_tokens_details.cached_tokens / input cache reads
    reasoning_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    #: Anthropic: the part of cache_creation_input_tokens written with ``ttl: 1h``
    cache_creation_1h_input_tokens: int = 0
    #: Anthropic usage.server_tool_use counts, e.g. {"web_search_requests": 1}
    server_tool_use: dict[str, int] = field(default_factory=dict)


@dataclass
class ErrorSpec:
    """A scripted API error; ``type`` defaults to the provider's usual type for the status."""

    status: int
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None


@dataclass
class Answer:
    """What the model 'says', provider-neutral. Empty fields are simply not emitted."""

    text: str | None = None
    thinking: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    refusal: str | None = None
    #: explicit usage fields (others computed), e.g. {"cached_tokens": 1024}
    usage: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None  # provider-neutral: stop | length | tool_calls
    model: str | None = None  # model name to report (default: request model)
    truncated: bool = False
    #: hidden reasoning tokens (OpenAI reasoning models: counted, an item with an empty summary)
    reasoning_tokens: int = 0
    #: reasoning effort to report (Responses ``reasoning.effort``); None for non-reasoning models
    effort: str | None = None
    #: built-in / server tools the provider ran before answering, and the answer's citations
    server_tools: list[ServerToolUse] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    #: Anthropic context management: the summary that replaced the earlier context
    compaction: str | None = None
