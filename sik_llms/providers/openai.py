"""OpenAI: Chat Completions and Responses API, streamed or not, text / tools / structured output.

All wire knowledge for OpenAI lives here: request building (reasoning models, max tokens,
strict tool schemas, response formats, function and free-form custom tools), the pure parsers
(in ``_openai_parsers``: the wire's JSON -> our events and one response, usage and cost rules),
and rebuilding a client call from a recorded request (Azure OpenAI URLs included). The sync and
async paths share the parsers; only the I/O differs.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.client import Client, RegisteredClients
from sik_llms.messages import text_of
from sik_llms.models import ModelInfo, get_model_info, note_unpriced
from sik_llms.providers._common import (
    SdkClients,
    drop_none,
    resolve_api_key,
    server_address,
    split_sdk_options,
)
from sik_llms.providers._openai_parsers import OpenAIChatParser, OpenAIResponsesParser, fill_usage
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
# Azure OpenAI's deployment-scoped route: /openai/deployments/<deployment>/chat/completions
_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/")
ENV_KEY = "OPENAI_API_KEY"
AZURE_ENV_KEY = "AZURE_OPENAI_API_KEY"
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_REASONING_REJECTS = (
    "temperature",
    "top_p",
    "logprobs",
    "top_logprobs",
    "presence_penalty",
    "frequency_penalty",
)


def is_reasoning_model(model: str, info: ModelInfo | None) -> bool:
    """o-series and gpt-5 reject sampling parameters; the registry knows, the prefix guesses."""
    if info is not None and info.supports_reasoning:
        return True
    return model.startswith(_REASONING_PREFIXES)


# ---------------------------------------------------------------------------- request building


def _chat_part(part: Any) -> Any:
    if isinstance(part, dict) and part.get("type") == "image" and "source_type" in part:
        url = (
            part["data"]
            if part["source_type"] == "url"
            else f"data:{part.get('media_type') or 'image/png'};base64,{part['data']}"
        )
        return {"type": "image_url", "image_url": {"url": url}}
    return part


def to_chat_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neutral messages -> Chat Completions messages (images become image_url parts)."""
    out = []
    for m in messages:
        m = dict(m)
        if isinstance(m.get("content"), list):
            m["content"] = [_chat_part(p) for p in m["content"]]
        out.append(m)
    return out


def _responses_part(part: Any, role: str) -> Any:
    if not isinstance(part, dict):
        return part
    ptype = part.get("type")
    if ptype == "text":
        return {
            "type": "output_text" if role == "assistant" else "input_text",
            "text": part.get("text", ""),
        }
    if ptype == "image" and "source_type" in part:
        return {
            "type": "input_image",
            "image_url": _chat_part(part)["image_url"]["url"],
            "detail": "auto",
        }
    if ptype == "image_url":
        url = (
            part["image_url"]["url"]
            if isinstance(part.get("image_url"), dict)
            else part.get("image_url")
        )
        return {"type": "input_image", "image_url": url, "detail": "auto"}
    return part


def to_responses_input(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neutral (chat-shaped) messages -> Responses API input items."""
    items: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        if role is None:
            items.append(dict(m))
            continue
        if role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m.get("tool_call_id"),
                    "output": text_of(m.get("content")),
                }
            )
            continue
        content = m.get("content")
        if content:
            if isinstance(content, list):
                content = [_responses_part(p, role) for p in content]
            item = {k: v for k, v in m.items() if k not in ("tool_calls", "content")}
            item["content"] = content
            items.append(item)
        for call in m.get("tool_calls") or []:
            if call.get("type") == "custom":  # a free-form custom tool call (Chat spelling)
                custom = call.get("custom", {})
                items.append(
                    {
                        "type": "custom_tool_call",
                        "call_id": call.get("id"),
                        "name": custom.get("name"),
                        "input": custom.get("input", ""),
                    }
                )
                continue
            fn = call.get("function", {})
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments", "{}"),
                }
            )
    return items


def responses_input_and_instructions(
    messages: list[dict[str, Any]],
) -> tuple[str | list[dict[str, Any]], str | None]:
    """Leading system text becomes ``instructions``; a lone plain user turn is sent as a string."""
    leading: list[str] = []
    rest = list(messages)
    while (
        rest
        and rest[0].get("role") in ("system", "developer")
        and isinstance(rest[0].get("content"), str)
        and set(rest[0]) == {"role", "content"}
    ):
        leading.append(rest.pop(0)["content"])
    instructions = "\n\n".join(leading) if leading else None
    if (
        len(rest) == 1
        and set(rest[0]) == {"role", "content"}
        and rest[0]["role"] == "user"
        and isinstance(rest[0]["content"], str)
    ):
        return rest[0]["content"], instructions
    return to_responses_input(rest), instructions


def _tool_choice(choice: Any, api: str, custom_names: frozenset[str] = frozenset()) -> Any:
    """A tool choice in the API's spelling; a bare tool name forces that tool (a custom tool's
    name forces it as ``{"type": "custom", ...}``)."""
    if choice is None:
        return None
    if isinstance(choice, ToolChoice):
        return choice.value
    if isinstance(choice, str) and choice not in ("auto", "required", "none"):
        kind = "custom" if choice in custom_names else "function"
        return (
            {"type": kind, kind: {"name": choice}}
            if api == "chat_completions"
            else {"type": kind, "name": choice}
        )
    return choice


def _tool_name(tool: Any) -> str:
    """A tool's name: ``Tool``, Chat (``function.name`` / ``custom.name``) or Responses (``name``) dicts."""
    if isinstance(tool, Tool):
        return tool.name
    if isinstance(tool, dict):
        nested = tool.get("function") or tool.get("custom") or {}
        return tool.get("name") or (nested.get("name", "") if isinstance(nested, dict) else "")
    raise TypeError(f"tools must be Tool objects or provider tool dicts, got {type(tool).__name__}")


def _is_custom(tool: Any) -> bool:
    return isinstance(tool, dict) and tool.get("type") == "custom"


def _tool_for(tool: Any, api: str) -> dict[str, Any]:
    """A tool in the API's spelling. Custom tools: Chat nests ``custom: {name, description,
    format}``, Responses keeps them flat; either spelling is accepted and converted."""
    if isinstance(tool, Tool):
        return tool.to_openai() if api == "chat_completions" else tool.to_openai_responses()
    if _is_custom(tool):
        if api == "chat_completions" and "custom" not in tool:
            return {"type": "custom", "custom": {k: v for k, v in tool.items() if k != "type"}}
        if api == "responses" and isinstance(tool.get("custom"), dict):
            return {"type": "custom", **tool["custom"]}
    return tool


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
        self.tool_names = [_tool_name(t) for t in self.tools]
        self._custom_names = frozenset(_tool_name(t) for t in self.tools if _is_custom(t))
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
            sampling = {k: v for k, v in sampling.items() if k not in _REASONING_REJECTS}
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
            params["tools"] = [_tool_for(t, self.api) for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = _tool_choice(self.tool_choice, self.api, self._custom_names)
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
            params["tools"] = [_tool_for(t, self.api) for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = _tool_choice(self.tool_choice, self.api, self._custom_names)
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
    data = json.loads(body) if isinstance(body, str | bytes) else body
    url = urlsplit(path)  # the path test never includes the query string (Azure's api-version)
    route = url.path.rstrip("/")
    azure = _AZURE_DEPLOYMENT.search(route)
    if not isinstance(data, dict) or ("model" not in data and azure is None):
        raise ValueError(f"not a recorded OpenAI request body (no 'model'): {str(body)[:120]!r}")
    data = dict(data)
    model = data.pop("model", None) or (azure.group(1) if azure else "")
    if not isinstance(model, str):
        raise ValueError(
            f"not a recorded OpenAI request body ('model' is {type(model).__name__}, not text)"
        )
    kwargs: dict[str, Any] = {"provider": PROVIDER, "api_key": "sk-replay", "max_retries": 0}
    api = "responses" if route.endswith("/responses") else "chat_completions"
    if api == "chat_completions" and not route.endswith("/chat/completions"):
        raise ValueError(
            f"unsupported OpenAI endpoint {url.path!r}: expected /chat/completions or /responses"
        )
    kwargs["api"] = api
    version = dict(parse_qsl(url.query)).get("api-version")
    if azure is not None or (
        version and route.startswith("/openai/")
    ):  # Azure OpenAI, deployment or not
        host = f"{url.scheme}://{url.netloc}" if url.netloc else "https://replay.openai.azure.com"
        kwargs.update(
            azure_endpoint=host,
            azure_deployment=azure.group(1) if azure else None,
            api_version=version or "2024-10-21",
        )
    elif route.startswith("/openai/v1/"):  # Azure's v1 endpoint: the OpenAI client at that base URL
        kwargs["base_url"] = (
            f"{url.scheme}://{url.netloc}/openai/v1"
            if url.netloc
            else "https://replay.openai.azure.com/openai/v1"
        )
    passthrough: dict[str, Any] = {}  # recorded fields our options do not express, sent as-is
    if data.get("stream") is False:
        passthrough["stream"] = False
    kwargs["stream"] = bool(data.pop("stream", False))
    stream_options = data.pop("stream_options", None) or {}
    kwargs["include_usage"] = bool(stream_options.get("include_usage", False))
    for key in ("temperature", "top_p", "n", "reasoning_effort"):
        if key in data:
            kwargs[key] = data.pop(key)
    if "tools" in data:
        tools = data.pop("tools")
        usable = isinstance(tools, list) and all(isinstance(t, dict) for t in tools)
        target = kwargs if usable else passthrough  # unusable tools are sent as recorded
        target["tools"] = tools
        if "tool_choice" in data:
            target["tool_choice"] = data.pop("tool_choice")
    if api == "chat_completions":
        messages = data.pop("messages", [])
        if "max_completion_tokens" in data:
            kwargs["max_tokens"] = data.pop("max_completion_tokens")
        if "max_tokens" in data:  # the deprecated spelling: keep it as recorded
            passthrough["max_tokens"] = data.pop("max_tokens")
        if "response_format" in data:
            rf = data.pop("response_format")
            if isinstance(rf, dict) and rf.get("type") != "text":
                kwargs["response_format"] = rf
            else:
                passthrough["response_format"] = rf
    else:
        raw_input = data.pop("input", [])
        messages = (
            [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else raw_input
        )
        instructions = data.pop("instructions", None)
        if instructions and isinstance(messages, list):
            messages = [{"role": "system", "content": instructions}, *messages]
        elif instructions:
            passthrough["instructions"] = instructions
        if "max_output_tokens" in data:
            kwargs["max_tokens"] = data.pop("max_output_tokens")
        reasoning = data.get("reasoning")
        if isinstance(reasoning, dict) and set(reasoning) == {"effort"}:
            kwargs["reasoning_effort"] = data.pop("reasoning")["effort"]
        text = data.pop("text", None)
        if (
            isinstance(text, dict)
            and isinstance(text.get("format"), dict)
            and text["format"].get("type") != "text"
        ):
            fmt = dict(text["format"])
            if fmt.get("type") == "json_schema":
                kwargs["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {k: v for k, v in fmt.items() if k != "type"},
                }
            else:
                kwargs["response_format"] = fmt
            if set(text) != {"format"}:
                passthrough["text"] = text  # verbosity etc.: the whole object, as recorded
        elif text is not None:
            passthrough["text"] = text
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        # Not messages we can take apart (a deliberately invalid request): send them exactly as
        # recorded, so the call gets the recorded answer (usually a typed 400).
        passthrough["messages" if api == "chat_completions" else "input"] = messages
        messages = []
    if passthrough:
        kwargs["extra_body"] = passthrough
    kwargs.update(data)  # everything else travels as-is
    kwargs.update(overrides)
    return OpenAI(model, **kwargs), [dict(m) for m in messages]
