"""Anthropic Messages: streaming, thinking, tools, structured output, prompt caching.

The Anthropic client and its request bodies (the wire spelling of messages and of the
structured-output tool is in ``_anthropic_request``; taking a recorded request apart is in
``_anthropic_replay``): system messages become system blocks, extended
thinking (budget from ``reasoning_effort`` or ``thinking_budget_tokens``) drops sampling
parameters and raises ``max_tokens``, structured output runs through a forced tool whose input
is validated into the caller's pydantic model (a failure raises, never swallowed), prompt
caching marks blocks ephemeral. Usage: ``input_tokens`` excludes cache reads and writes; in
streams ``message_start`` gives the first numbers and a later ``message_delta`` that repeats
them wins.

About the SDK's own tracing: anthropic 2.x emits a ``CLIENT`` span per API call whenever an
OpenTelemetry tracer provider can be loaded, unless the client is built with
``open_telemetry=False`` (or ``ANTHROPIC_OPEN_TELEMETRY=false`` is set) - it also injects
``traceparent`` unless ``propagation`` is off. Our inference span already is the GenAI
inference span of the call, with per-attempt ``http.request`` children, so by default the SDK's
span is switched off (``sdk_open_telemetry=False``): one tree, no silent duplicate. Pass
``sdk_open_telemetry=None`` (the SDK's own default) or an options dict to keep it; it then nests
under our inference span.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.client import Client, RegisteredClients
from sik_llms.models import get_model_info, note_unpriced
from sik_llms.providers._anthropic_parsers import AnthropicParser, fill_usage
from sik_llms.providers._anthropic_replay import recorded_client_args
from sik_llms.providers._anthropic_request import model_schema, safe_tool_name, to_anthropic
from sik_llms.providers._common import (
    SdkClients,
    drop_none,
    resolve_api_key,
    server_address,
    split_sdk_options,
)
from sik_llms.sdk_catalog import warn_if_deprecated
from sik_llms.tools import Tool, ToolChoice
from sik_llms.types import ReasoningEffort

__all__ = [
    "Anthropic",
    "AnthropicParser",
    "AnthropicTools",
    "client_from_recorded_request",
    "fill_usage",
    "to_anthropic",
]

PROVIDER = "anthropic"
ENV_KEY = "ANTHROPIC_API_KEY"
THINKING_BUDGETS = {
    ReasoningEffort.LOW: 4_000,
    ReasoningEffort.MEDIUM: 16_000,
    ReasoningEffort.HIGH: 32_000,
}
MIN_THINKING_BUDGET = 1_024
DEFAULT_MAX_TOKENS = 4_096
STRUCTURED_TOOL_DESCRIPTION = (
    "Return the answer by calling this tool with arguments matching its schema."
)


@Client.register(RegisteredClients.ANTHROPIC)
class Anthropic(SdkClients, Client):
    """Anthropic Messages: chat (streamed), thinking, tools, structured output, caching.

    Options: ``reasoning_effort`` or ``thinking_budget_tokens`` (not both), ``response_format``
    (pydantic model, via a forced tool), ``tools`` / ``tool_choice`` / ``cache_tools``,
    ``cache_content`` (str or list: cached system blocks), ``max_tokens``, ``temperature``,
    ``top_p``, ``top_k``, ``stream`` (default True), ``beta`` / ``betas`` (the beta endpoint),
    ``web_search`` / ``max_web_searches``, ``api_key``, ``base_url``, ``max_retries``,
    ``timeout``, ``sdk_open_telemetry``; anything else goes into the request body.
    """

    provider = PROVIDER
    #: read by ``anthropic.Anthropic`` when built with an explicit key (its constructor and
    #: ``anthropic._tracing.env_open_telemetry``; ``sik_llms.shared_clients`` keys on them)
    sdk_environment = (
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_CUSTOM_HEADERS",
        "ANTHROPIC_WEBHOOK_SIGNING_KEY",
        "ANTHROPIC_OPEN_TELEMETRY",
        "ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE",
        "ANTHROPIC_OPEN_TELEMETRY_TRACES_MAX_CONTENT_BYTES",
        "ANTHROPIC_OPEN_TELEMETRY_PROPAGATION",
    )

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        stream: bool = True,
        reasoning_effort: ReasoningEffort | str | None = None,
        thinking_budget_tokens: int | None = None,
        thinking: dict[str, Any] | None = None,
        response_format: type[BaseModel] | dict[str, Any] | None = None,
        tools: list[Tool | dict[str, Any]] | None = None,
        tool_choice: ToolChoice | str | dict[str, Any] | None = None,
        cache_tools: bool = False,
        cache_content: str | list[str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        beta: bool = False,
        betas: list[str] | None = None,
        web_search: bool = False,
        max_web_searches: int | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        sdk_open_telemetry: Any = False,
        provider: str | None = None,
        **model_kwargs: Any,
    ) -> None:
        if provider not in (None, PROVIDER):
            raise errors.ConfigurationError(
                f"the Anthropic client cannot serve provider={provider!r}"
            )
        self.model = model_name
        self.info = get_model_info(model_name)
        note_unpriced(model_name, self.info)
        warn_if_deprecated(model_name, *((self.info.name, *self.info.aliases) if self.info else ()))
        # The SDK would read ANTHROPIC_BASE_URL itself; we read it too so server.address is true.
        self.base_url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        self.streaming = stream
        self.response_format = response_format
        if (
            response_format is not None
            and not isinstance(response_format, dict)
            and not (isinstance(response_format, type) and issubclass(response_format, BaseModel))
        ):
            raise errors.ConfigurationError(
                f"response_format must be a pydantic model class or a JSON-schema dict, got {response_format!r}"
            )
        self.tools = list(tools) if tools else []
        self.tool_choice = tool_choice
        self.cache_tools = cache_tools
        self.cache_content = (
            [cache_content] if isinstance(cache_content, str) else list(cache_content or [])
        )
        self.beta = beta or bool(betas)
        self.betas = betas
        self.web_search = web_search
        self.max_web_searches = max_web_searches
        self.reasoning_effort = getattr(reasoning_effort, "value", reasoning_effort)
        self.thinking = thinking or self._thinking_config(thinking_budget_tokens)
        self.max_tokens = self._max_tokens(max_tokens)
        sampling = drop_none({"temperature": temperature, "top_p": top_p, "top_k": top_k})
        if self.thinking is not None and self.thinking.get("type") == "enabled":
            sampling = {}  # extended thinking rejects temperature / top_p / top_k
        self._sampling = sampling
        self._extra = model_kwargs
        self.mode = (
            "structured" if response_format is not None else ("tools" if self.tools else "stream")
        )
        self._kind = {"structured": "structured", "tools": "tools"}.get(self.mode, "text")
        self._structured_tool = self._structured_tool_name()
        self._api_key = resolve_api_key(
            api_key, ENV_KEY, PROVIDER, allow_dummy=self.base_url is not None
        )
        self._max_retries = max_retries
        self._timeout = timeout
        self._sdk_open_telemetry = sdk_open_telemetry
        host, port = server_address(self.base_url, "api.anthropic.com")
        self._request_attributes = drop_none(
            {
                "temperature": sampling.get("temperature"),
                "top_p": sampling.get("top_p"),
                "top_k": sampling.get("top_k"),
                "max_tokens": self.max_tokens,
                "stream": stream,
                "server_address": host,
                "server_port": port,
                "reasoning_effort": self.reasoning_effort,
                "api": "messages",
                "tools_count": len(self.tools) or None,
                "output_type": "json"
                if response_format is not None
                else None,  # only when a format is requested
            }
        )

    # ------------------------------------------------------------------ configuration

    def _thinking_config(self, budget: int | None) -> dict[str, Any] | None:
        if self.reasoning_effort is not None and budget is not None:
            raise errors.ConfigurationError(
                "pass reasoning_effort or thinking_budget_tokens, not both"
            )
        if self.reasoning_effort is not None:
            try:
                budget = THINKING_BUDGETS[ReasoningEffort(self.reasoning_effort)]
            except ValueError:
                raise errors.ConfigurationError(
                    f"reasoning_effort must be one of low/medium/high, got {self.reasoning_effort!r}"
                ) from None
        if budget is None:
            return None
        if self.info is not None and not self.info.supports_reasoning:
            raise errors.ConfigurationError(
                f"{self.model} does not support extended thinking; drop reasoning_effort/thinking_budget_tokens"
            )
        limit = (
            (self.info.max_output_extended_thinking or self.info.max_output_tokens)
            if self.info
            else None
        )
        if budget < MIN_THINKING_BUDGET or (limit is not None and budget >= limit):
            raise errors.ConfigurationError(
                f"thinking budget must be at least {MIN_THINKING_BUDGET} and below the model's output limit ({limit}); got {budget}"
            )
        return {"type": "enabled", "budget_tokens": budget}

    def _max_tokens(self, requested: int | None) -> int:
        limit = None
        if self.info is not None:
            limit = (
                self.info.max_output_extended_thinking
                if self.thinking
                else self.info.max_output_tokens
            )
        base = (
            requested
            if requested is not None
            else min(limit or DEFAULT_MAX_TOKENS, DEFAULT_MAX_TOKENS)
        )
        if self.thinking and self.thinking.get("type") == "enabled" and requested is None:
            base += int(self.thinking.get("budget_tokens", 0))  # the answer still gets its share
            if limit is not None:
                base = min(base, limit)
        return base

    def _structured_tool_name(self) -> str | None:
        rf = self.response_format
        if rf is None:
            return None
        if isinstance(rf, dict):
            return str(
                rf.get("name") or rf.get("json_schema", {}).get("name") or "structured_output"
            )
        return safe_tool_name(rf.__name__)

    def request_attributes(self) -> dict[str, Any]:
        return self._request_attributes

    # ------------------------------------------------------------------ SDK clients

    def _sdk_classes(self) -> tuple[type, type]:
        import anthropic

        return anthropic.Anthropic, anthropic.AsyncAnthropic

    def _sdk_kwargs(self) -> dict[str, Any]:
        kwargs = super()._sdk_kwargs()
        if self._sdk_open_telemetry is not None:
            kwargs["open_telemetry"] = self._sdk_open_telemetry
        return kwargs

    # ------------------------------------------------------------------ requests

    def _tool_params(self) -> list[dict[str, Any]]:
        tools: list[dict[str, Any]] = [
            t.to_anthropic() if isinstance(t, Tool) else dict(t) for t in self.tools
        ]
        if self.response_format is not None:
            rf = self.response_format
            if isinstance(rf, dict):
                schema = rf.get("json_schema", {}).get("schema") or rf.get("schema") or rf
            else:
                schema = model_schema(rf)
            tools.append(
                {
                    "name": self._structured_tool,
                    "description": STRUCTURED_TOOL_DESCRIPTION,
                    "input_schema": schema,
                }
            )
        if self.web_search:
            tools.append(
                drop_none(
                    {
                        "type": "web_search_20250305",
                        "name": "web_search",
                        "max_uses": self.max_web_searches,
                    }
                )
            )
        if self.cache_tools and tools:
            tools[-1] = {**tools[-1], "cache_control": {"type": "ephemeral"}}
        return tools

    def _tool_choice_param(self) -> dict[str, Any] | None:
        if self.response_format is not None:
            if self.thinking:  # forced tool use is incompatible with thinking
                return {"type": "auto"}
            return {"type": "tool", "name": self._structured_tool}
        choice = self.tool_choice
        if choice is None or not self.tools:
            return None
        if isinstance(choice, dict):
            return choice
        value = getattr(choice, "value", choice)
        if value == "required":
            return {"type": "any"}
        if value in ("auto", "any", "none"):
            return {"type": value}
        return {"type": "tool", "name": value}

    def build_request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The keyword arguments ``messages.create`` would take (public so tests and the harness
        can see them); ``_wire_request`` turns them into what goes on the wire."""
        system, msgs = to_anthropic(messages)
        cached = [
            {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}
            for text in self.cache_content
        ]
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": msgs,
            **self._sampling,
        }
        if cached or system:
            given_as_blocks = any(
                m.get("role") in ("system", "developer") and isinstance(m.get("content"), list)
                for m in messages
            )
            plain = (
                not cached
                and not given_as_blocks
                and len(system) == 1
                and set(system[0]) == {"type", "text"}
            )
            params["system"] = system[0]["text"] if plain else cached + system
        if self.thinking is not None:
            params["thinking"] = self.thinking
        tools = self._tool_params()
        if tools:
            params["tools"] = tools
            choice = self._tool_choice_param()
            if choice is not None:
                params["tool_choice"] = choice
        if self.streaming:
            params["stream"] = True
        if self.betas:
            params["betas"] = self.betas
        if self.beta:  # this SDK's beta resource no longer marks the URL itself; the API expects it
            params["extra_query"] = {"beta": "true"}
        if self._extra:  # fields we do not model travel as-is (the SDK call routes them)
            params.update(self._extra)
        return params

    def _parser(self) -> AnthropicParser:
        return AnthropicParser(self.model, self._kind, self.response_format, self._structured_tool)

    def _wire_request(self, params: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """``betas`` travel as the ``anthropic-beta`` header, as ``beta.messages.create`` sends them."""
        body, options = split_sdk_options(params)
        betas = body.pop("betas", None)
        if betas:
            options["headers"] = {
                **options.get("headers", {}),
                "anthropic-beta": ",".join(str(b) for b in betas),
            }
        if self._sdk_open_telemetry is not False:  # the SDK names its own call span only when asked
            options["span_name"] = "anthropic.messages.create"  # the SDK's name, beta or not
            options["span_route"] = "/v1/messages"
        return "/v1/messages", body, options


@Client.register(RegisteredClients.ANTHROPIC_TOOLS)
class AnthropicTools(Anthropic):
    """Anthropic with tools: returns a ToolPredictionResponse with every predicted call."""

    def __init__(
        self,
        model_name: str,
        *,
        tools: list[Tool | dict[str, Any]],
        tool_choice: Any = ToolChoice.REQUIRED,
        **kwargs: Any,
    ) -> None:
        if not tools:
            raise errors.ConfigurationError(
                "AnthropicTools needs at least one tool: pass tools=[Tool(...)]"
            )
        if "temperature" not in kwargs and not (
            kwargs.get("reasoning_effort") or kwargs.get("thinking_budget_tokens")
        ):
            kwargs["temperature"] = 0.2
        super().__init__(model_name, tools=tools, tool_choice=tool_choice, **kwargs)


# ---------------------------------------------------------------------------- recorded requests


def client_from_recorded_request(
    path: str, body: dict[str, Any] | str | bytes, **overrides: Any
) -> tuple[Anthropic, list[dict[str, Any]]]:
    """Rebuild our client call from a recorded Anthropic request (URL path + JSON body).

    ``/v1/messages?beta=true`` selects the beta endpoint. Returns the client and the messages.
    """
    model, kwargs, messages = recorded_client_args(path, body, overrides)
    return Anthropic(model, **kwargs), messages
