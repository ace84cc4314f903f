"""OpenAI: Chat Completions and Responses API, streamed or not, text / tools / structured output.

The public face of OpenAI: the clients and their request bodies (max tokens, response formats,
Azure OpenAI settings). The wire's spelling of messages and tools is in ``_openai_request``; the
pure parsers (the wire's JSON -> our events and one response, usage and cost rules) are in
``_openai_chat_parser`` and ``_openai_responses_parser`` (shared rules in ``_openai_parsers``);
taking a recorded request apart is in ``_openai_replay``. The sync and async paths share the
parsers; only the I/O differs.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.client import Client, RegisteredClients
from sik_llms.models import get_model_info, note_unpriced
from sik_llms.providers._common import (
    SdkClients,
    drop_none,
    resolve_api_key,
    server_address,
    split_sdk_options,
)
from sik_llms.providers._openai_chat_parser import OpenAIChatParser
from sik_llms.providers._openai_parsers import fill_usage
from sik_llms.providers._openai_replay import recorded_client_args
from sik_llms.providers._openai_request import (
    REASONING_REJECTS,
    is_custom_tool,
    is_reasoning_model,
    responses_input_and_instructions,
    to_chat_messages,
    to_responses_input,
    tool_choice_for,
    tool_for,
    tool_name,
)
from sik_llms.providers._openai_responses_parser import OpenAIResponsesParser
from sik_llms.tools import Tool, ToolChoice

__all__ = [
    "OpenAI",
    "OpenAIChatParser",
    "OpenAIResponsesParser",
    "OpenAITools",
    "client_from_recorded_request",
    "fill_usage",
    "to_chat_messages",
    "to_responses_input",
]


PROVIDER = "openai"
ENV_KEY = "OPENAI_API_KEY"
AZURE_ENV_KEY = "AZURE_OPENAI_API_KEY"


# ---------------------------------------------------------------------------- the clients


@Client.register(RegisteredClients.OPENAI)
class OpenAI(SdkClients, Client):
    """OpenAI (and OpenAI-compatible servers via ``base_url``): chat, tools, structured output.

    Options: ``api`` ("chat_completions" | "responses"), ``stream`` (default True),
    ``reasoning_effort``, ``response_format`` (a pydantic model, or a raw response-format /
    JSON-schema dict whose output is returned as a dict), ``tools`` / ``tool_choice``,
    ``max_tokens`` (sent as ``max_completion_tokens``), ``temperature``, ``top_p``, ``n``,
    ``cache_content`` (prepended as system text), ``base_url`` (alias ``server_url``),
    ``api_key``, ``max_retries``, ``timeout``, ``include_usage``; anything else goes into the body.
    """

    provider = PROVIDER
    #: read by ``openai.OpenAI`` / ``AzureOpenAI`` when built, besides the key sik_llms passes
    #: (their constructors' docs; ``sik_llms.shared_clients`` keys shared clients on them)
    sdk_environment = (
        "OPENAI_BASE_URL",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "OPENAI_ADMIN_KEY",
        "OPENAI_WEBHOOK_SECRET",
        "OPENAI_CUSTOM_HEADERS",
        "AZURE_OPENAI_AD_TOKEN",
    )

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        server_url: str | None = None,
        api: str = "chat_completions",
        stream: bool = True,
        include_usage: bool = True,
        reasoning_effort: Any = None,
        response_format: type[BaseModel] | dict[str, Any] | None = None,
        tools: list[Tool | dict[str, Any]] | None = None,
        tool_choice: ToolChoice | str | dict[str, Any] | None = None,
        cache_content: str | list[str] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        n: int | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        provider: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        **model_kwargs: Any,
    ) -> None:
        if provider not in (None, PROVIDER):
            raise errors.ConfigurationError(f"the OpenAI client cannot serve provider={provider!r}")
        self._azure = self._azure_options(
            azure_endpoint, azure_deployment, api_version, base_url or server_url
        )
        if api not in ("chat_completions", "responses"):
            raise errors.ConfigurationError(
                f"api must be 'chat_completions' or 'responses', got {api!r}"
            )
        self.model = model_name
        # The SDK would read OPENAI_BASE_URL itself; we read it too so server.address is true.
        self.base_url = base_url or server_url or os.environ.get("OPENAI_BASE_URL") or None
        self.info = get_model_info(model_name)
        note_unpriced(model_name, self.info)
        self.api = api
        self.streaming = stream
        self.include_usage = include_usage
        self.reasoning_effort = getattr(reasoning_effort, "value", reasoning_effort)
        self.response_format = response_format
        self.tools = list(tools) if tools else []
        self.tool_names = [tool_name(t) for t in self.tools]
        self._custom_names = frozenset(tool_name(t) for t in self.tools if is_custom_tool(t))
        self.tool_choice = tool_choice
        self.cache_content = (
            [cache_content] if isinstance(cache_content, str) else list(cache_content or [])
        )
        self._check_response_format(response_format)
        self.mode = (
            "structured" if response_format is not None else ("tools" if self.tools else "stream")
        )
        self._kind = {"structured": "structured", "tools": "tools"}.get(self.mode, "text")
        reasoning = is_reasoning_model(model_name, self.info) or self.reasoning_effort is not None
        sampling = drop_none({"temperature": temperature, "top_p": top_p, **model_kwargs})
        if reasoning:
            sampling = {k: v for k, v in sampling.items() if k not in REASONING_REJECTS}
        self._sampling = sampling
        self.max_tokens = max_tokens
        self.n = n
        if self._azure is not None:
            self._api_key = resolve_api_key(
                api_key, AZURE_ENV_KEY, "Azure OpenAI", allow_dummy=False
            )
        else:
            self._api_key = resolve_api_key(
                api_key, ENV_KEY, PROVIDER, allow_dummy=self.base_url is not None
            )
        self._max_retries = max_retries
        self._timeout = timeout
        host, port = server_address(
            self._azure["azure_endpoint"] if self._azure else self.base_url, "api.openai.com"
        )
        self._request_attributes = drop_none(
            {
                "temperature": sampling.get("temperature"),
                "top_p": sampling.get("top_p"),
                "max_tokens": max_tokens,
                "stream": stream,
                "server_address": host,
                "server_port": port,
                "reasoning_effort": self.reasoning_effort,
                "api": api,
                "tools_count": len(self.tools) or None,
                "output_type": "json"
                if response_format is not None
                else None,  # only when a format is requested
            }
        )

    @staticmethod
    def _check_response_format(response_format: Any) -> None:
        if response_format is None or isinstance(response_format, dict):
            return
        if not (isinstance(response_format, type) and issubclass(response_format, BaseModel)):
            raise errors.ConfigurationError(
                f"response_format must be a pydantic model class or a response-format dict, got {response_format!r}"
            )

    # ------------------------------------------------------------------ SDK clients

    @staticmethod
    def _azure_options(
        endpoint: str | None, deployment: str | None, version: str | None, base_url: str | None
    ) -> dict[str, Any] | None:
        """Azure OpenAI settings (the SDK's ``AzureOpenAI``), or None for OpenAI itself.

        Azure is chosen by ``azure_endpoint`` (or ``AZURE_OPENAI_ENDPOINT`` when a deployment or
        api-version is given). ``api_version`` falls back to ``OPENAI_API_VERSION``; the key to
        ``AZURE_OPENAI_API_KEY``. The newer ``https://<resource>.openai.azure.com/openai/v1/``
        endpoint needs none of this: pass it as ``base_url``.
        """
        if endpoint is None and (deployment or version):
            endpoint = os.environ.get("AZURE_OPENAI_ENDPOINT")
        if endpoint is None:
            if deployment or version:
                raise errors.ConfigurationError(
                    "Azure OpenAI needs its endpoint: pass azure_endpoint='https://<resource>.openai.azure.com' "
                    "or set AZURE_OPENAI_ENDPOINT"
                )
            return None
        if base_url:
            raise errors.ConfigurationError("pass base_url or azure_endpoint, not both")
        version = version or os.environ.get("OPENAI_API_VERSION")
        if not version:
            raise errors.ConfigurationError(
                "Azure OpenAI needs an api_version (e.g. api_version='2024-10-21') or OPENAI_API_VERSION"
            )
        return {"azure_endpoint": endpoint, "azure_deployment": deployment, "api_version": version}

    def _sdk_classes(self) -> tuple[type, type]:
        import openai

        if self._azure is not None:
            return openai.AzureOpenAI, openai.AsyncAzureOpenAI
        return openai.OpenAI, openai.AsyncOpenAI

    def _sdk_kwargs(self) -> dict[str, Any]:
        kwargs = super()._sdk_kwargs()
        if self._azure is not None:
            kwargs.pop("base_url", None)
            kwargs.update(self._azure)
        return kwargs

    def request_attributes(self) -> dict[str, Any]:
        return self._request_attributes

    # ------------------------------------------------------------------ requests

    def build_request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The keyword arguments for the SDK call (public so tests and the harness can see them)."""
        prefix = [{"role": "system", "content": text} for text in self.cache_content]
        msgs = prefix + list(messages)
        if self.api == "responses":
            return self._responses_request(msgs)
        params: dict[str, Any] = {
            "model": self.model,
            "messages": to_chat_messages(msgs),
            **self._sampling,
        }
        if self.streaming:
            params["stream"] = True
            if self.include_usage:
                params["stream_options"] = {"include_usage": True}
        if self.max_tokens is not None:
            params["max_completion_tokens"] = self.max_tokens
        if self.n is not None:
            params["n"] = self.n
        if self.reasoning_effort is not None:
            params["reasoning_effort"] = self.reasoning_effort
        if self.tools:
            params["tools"] = [tool_for(t, self.api) for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = tool_choice_for(
                    self.tool_choice, self.api, self._custom_names
                )
        if self.response_format is not None:
            params["response_format"] = self._chat_response_format()
        return params

    def _chat_response_format(self) -> dict[str, Any]:
        rf = self.response_format
        if isinstance(rf, dict):
            return rf
        from openai.lib._parsing._completions import type_to_response_format_param

        return type_to_response_format_param(rf)  # type: ignore[return-value]

    def _responses_request(self, msgs: list[dict[str, Any]]) -> dict[str, Any]:
        input_items, instructions = responses_input_and_instructions(msgs)
        params: dict[str, Any] = {"model": self.model, "input": input_items, **self._sampling}
        if instructions is not None:
            params["instructions"] = instructions
        if self.streaming:
            params["stream"] = True
        if self.max_tokens is not None:
            params["max_output_tokens"] = self.max_tokens
        if self.reasoning_effort is not None:
            params["reasoning"] = {"effort": self.reasoning_effort}
        if self.tools:
            params["tools"] = [tool_for(t, self.api) for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = tool_choice_for(
                    self.tool_choice, self.api, self._custom_names
                )
        if self.response_format is not None:
            rf = self._chat_response_format()
            if rf.get("type") == "json_schema":
                fmt = {"type": "json_schema", **rf["json_schema"]}
            else:
                fmt = rf
            params["text"] = {**params.get("text", {}), "format": fmt}
        return params

    def _parser(self) -> OpenAIChatParser | OpenAIResponsesParser:
        structured = self.response_format
        if self.api == "responses":
            return OpenAIResponsesParser(self.model, self._kind, structured)
        return OpenAIChatParser(self.model, self._kind, structured)

    def _wire_request(self, params: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        body, options = split_sdk_options(params)
        return ("/responses" if self.api == "responses" else "/chat/completions"), body, options


@Client.register(RegisteredClients.OPENAI_TOOLS)
class OpenAITools(OpenAI):
    """OpenAI with tools: returns a ToolPredictionResponse with every predicted call."""

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
                "OpenAITools needs at least one tool: pass tools=[Tool(...)]"
            )
        kwargs.setdefault("temperature", 0.2)
        super().__init__(model_name, tools=tools, tool_choice=tool_choice, **kwargs)


# ---------------------------------------------------------------------------- recorded requests


def client_from_recorded_request(
    path: str, body: dict[str, Any] | str | bytes, **overrides: Any
) -> tuple[OpenAI, list[dict[str, Any]]]:
    """Rebuild our client call from a recorded OpenAI request (URL path + JSON body).

    Returns the client and the messages to call it with, so ``client(messages)`` sends an
    equivalent request. ``overrides`` go to the client (e.g. ``api_key``, ``max_retries``).
    """
    model, kwargs, messages = recorded_client_args(path, body, overrides)
    return OpenAI(model, **kwargs), messages
