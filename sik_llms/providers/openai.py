"""OpenAI: Chat Completions and Responses API, streamed or not, text / tools / structured output.

All wire knowledge for OpenAI lives here: request building (reasoning models, max tokens,
strict tool schemas, response formats), pure parsers that turn the wire's JSON into our events
and one response, usage and cost rules (``prompt_tokens`` include cached tokens, which are
priced at the cached rate and never charged twice), and rebuilding a client call from a recorded
request. The sync and async paths share the parsers; only the I/O differs.
"""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import BaseModel

from sik_llms import errors
from sik_llms.client import Client, RegisteredClients
from sik_llms.messages import text_of
from sik_llms.models import ModelInfo, get_model_info
from sik_llms.providers._common import (
    SdkClients,
    drop_none,
    error_from_body,
    loads_arguments,
    parse_json_output,
    resolve_api_key,
    server_address,
    split_sdk_options,
    validate_structured,
)
from sik_llms.sse import SseEvent
from sik_llms.tools import Tool, ToolChoice
from sik_llms.types import (
    Event,
    Response,
    StructuredOutputResponse,
    TextChunkEvent,
    TextResponse,
    ThinkingChunkEvent,
    TokenSummary,
    ToolPrediction,
    ToolPredictionResponse,
)

PROVIDER = "openai"
ENV_KEY = "OPENAI_API_KEY"
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
_REASONING_REJECTS = ("temperature", "top_p", "logprobs", "top_logprobs", "presence_penalty", "frequency_penalty")


def is_reasoning_model(model: str, info: ModelInfo | None) -> bool:
    """o-series and gpt-5 reject sampling parameters; the registry knows, the prefix guesses."""
    if info is not None and info.supports_reasoning:
        return True
    return model.startswith(_REASONING_PREFIXES)


# ---------------------------------------------------------------------------- usage and cost


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
    summary.reasoning_tokens = reasoning
    summary.input_includes_cache_reads = True
    if info is None or not info.is_priced:
        return
    uncached = max(input_tokens - cached, 0)
    summary.input_cost = info.cost(uncached, info.input_price)
    summary.output_cost = info.cost(output_tokens, info.output_price)
    summary.cache_read_cost = info.cost(cached, info.cache_read_price if info.cache_read_price is not None else info.input_price)
    summary.cache_write_cost = 0.0


def _price_info(request_model: str, response_model: str | None) -> ModelInfo | None:
    return get_model_info(response_model or "") or get_model_info(request_model)


class _Result:
    """What a parser accumulates, then turns into the one response of the call."""

    def __init__(self, request_model: str, kind: str, structured: type[BaseModel] | dict | None) -> None:
        self.request_model = request_model
        self.kind = kind  # "text" | "tools" | "structured"
        self.structured = structured
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.refusal: list[str] = []
        self.tools: dict[int, dict[str, Any]] = {}
        self.model: str | None = None
        self.response_id: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None

    def build(self) -> Response:
        text = "".join(self.text)
        if self.kind == "structured":
            response: TokenSummary = self._structured(text)
        elif self.kind == "tools":
            predictions = [
                ToolPrediction(name=t["name"], arguments=loads_arguments(t["arguments"]), call_id=t.get("id"))
                for _, t in sorted(self.tools.items())
            ]
            response = ToolPredictionResponse(tool_predictions=predictions, message=text or None)
        else:
            response = TextResponse(response=text, thinking="".join(self.thinking) or None)
        response.model = self.model or self.request_model
        response.response_id = self.response_id
        response.finish_reason = self.finish_reason
        usage = self.usage or {}
        fill_usage(
            response,
            _price_info(self.request_model, self.model),
            input_tokens=usage.get("input", 0),
            output_tokens=usage.get("output", 0),
            cached=usage.get("cached", 0),
            reasoning=usage.get("reasoning", 0),
        )
        if self.usage is None:  # no usage reported (stream without include_usage): cost unknown
            for name in ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost"):
                setattr(response, name, None)
        return response  # type: ignore[return-value]

    def _structured(self, text: str) -> StructuredOutputResponse:
        refusal = "".join(self.refusal) or None
        if refusal is not None:
            return StructuredOutputResponse(parsed=None, refusal=refusal)
        if isinstance(self.structured, type) and issubclass(self.structured, BaseModel):
            return StructuredOutputResponse(parsed=validate_structured(self.structured, text, PROVIDER))
        return StructuredOutputResponse(parsed=parse_json_output(text, PROVIDER))


# (input, output, input details, output details): the same usage, spelled per API
_CHAT_USAGE = ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")
_RESPONSES_USAGE = ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")


def _usage(usage: dict[str, Any], keys: tuple[str, str, str, str]) -> dict[str, int]:
    input_key, output_key, input_details, output_details = keys
    return {
        "input": usage.get(input_key) or 0,
        "output": usage.get(output_key) or 0,
        "cached": (usage.get(input_details) or {}).get("cached_tokens") or 0,
        "reasoning": (usage.get(output_details) or {}).get("reasoning_tokens") or 0,
    }


# ---------------------------------------------------------------------------- parsers


class _OpenAIWire:
    """How OpenAI frames a stream: JSON per event, ``[DONE]`` at the end, and errors as an
    ``error`` member (the SDK's own rule). Subclasses parse the JSON in ``feed``."""

    def __init__(self, request_model: str, kind: str = "text", structured: type[BaseModel] | dict | None = None) -> None:
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
        data = json.loads(sse.data)
        if isinstance(data, dict) and data.get("error"):
            raise error_from_body(data["error"], PROVIDER, fallback="An error occurred during streaming", partial_text=self.text)
        return self.feed(data)

    def feed_body(self, body: bytes) -> list[Event]:
        return self.feed_full(json.loads(body))

    def finish(self) -> Response:
        return self._r.build()


class OpenAIChatParser(_OpenAIWire):
    """Chat Completions chunks (or one full completion), as JSON -> events + one response. No I/O.

    Only choice 0 is the answer (``n > 1`` requests still parse). Usage comes from the final
    chunk (``include_usage``), whose ``choices`` is empty.
    """

    def feed(self, data: dict[str, Any]) -> list[Event]:
        r = self._r
        r.response_id = r.response_id or data.get("id")
        r.model = data.get("model") or r.model
        usage = data.get("usage")
        if usage is not None:
            r.usage = _usage(usage, _CHAT_USAGE)
        events: list[Event] = []
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason"):
                r.finish_reason = choice["finish_reason"]
            delta = choice.get("delta")
            if not delta:
                continue
            reasoning = delta.get("reasoning_content")  # OpenAI-compatible servers
            if reasoning:
                r.thinking.append(reasoning)
                events.append(ThinkingChunkEvent(content=reasoning))
            content = delta.get("content")
            if content:
                r.text.append(content)
                if self._emit_text:
                    events.append(TextChunkEvent(content=content, logprob=_first_logprob(choice)))
            if delta.get("refusal"):
                r.refusal.append(delta["refusal"])
            for call in delta.get("tool_calls") or ():
                slot = r.tools.setdefault(call.get("index", 0), {"name": "", "arguments": "", "id": None})
                if call.get("id"):
                    slot["id"] = call["id"]
                fn = call.get("function")
                if fn:
                    if fn.get("name"):
                        slot["name"] += fn["name"]
                    if fn.get("arguments"):
                        slot["arguments"] += fn["arguments"]
        return events

    def feed_full(self, data: dict[str, Any]) -> list[Event]:
        """A non-streamed completion: one text chunk with the whole text (if any)."""
        r = self._r
        r.response_id = data.get("id")
        r.model = data.get("model")
        if data.get("usage") is not None:
            r.usage = _usage(data["usage"], _CHAT_USAGE)
        choices = data.get("choices") or []
        if not choices:
            return []
        choice = choices[0]
        r.finish_reason = choice.get("finish_reason")
        message = choice.get("message") or {}
        events: list[Event] = []
        if message.get("content"):
            r.text.append(message["content"])
            if self._emit_text:
                events.append(TextChunkEvent(content=message["content"]))
        if message.get("refusal"):
            r.refusal.append(message["refusal"])
        for index, call in enumerate(message.get("tool_calls") or ()):
            fn = call.get("function")
            if fn:
                r.tools[index] = {"name": fn.get("name") or "", "arguments": fn.get("arguments") or "", "id": call.get("id")}
        return events


def _first_logprob(choice: dict[str, Any]) -> float | None:
    content = (choice.get("logprobs") or {}).get("content")
    return content[0].get("logprob") if content else None


class OpenAIResponsesParser(_OpenAIWire):
    """Responses API stream events (or one full Response object), as JSON -> events + one response."""

    def feed(self, data: dict[str, Any]) -> list[Event]:
        kind = data.get("type", "")
        r = self._r
        if kind == "response.output_text.delta":
            r.text.append(data["delta"])
            return [TextChunkEvent(content=data["delta"])] if self._emit_text else []
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            r.thinking.append(data["delta"])
            return [ThinkingChunkEvent(content=data["delta"])]
        if kind == "response.refusal.delta":
            r.refusal.append(data["delta"])
            return []
        if kind in ("response.created", "response.in_progress"):
            resp = data.get("response") or {}
            r.response_id, r.model = resp.get("id"), resp.get("model")
            return []
        if kind in ("response.completed", "response.incomplete"):
            self._take_final(data.get("response") or {}, from_stream=True)
            return []
        if kind == "response.failed":
            error = (data.get("response") or {}).get("error") or {}
            raise self._failure(error.get("code"), error.get("message") or "the response failed")
        if kind == "error":
            raise self._failure(data.get("code"), data.get("message") or "stream error")
        return []

    def _failure(self, etype: str | None, message: str) -> errors.LLMError:
        status = errors.status_for_error_type(etype) or 500
        return errors.class_for_status(status)(
            message, status=status, provider=PROVIDER, error_type=etype, partial_text=self.text
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
        r.response_id, r.model = resp.get("id"), resp.get("model")
        if resp.get("usage") is not None:
            r.usage = _usage(resp["usage"], _RESPONSES_USAGE)
        r.finish_reason = (resp.get("incomplete_details") or {}).get("reason") or resp.get("status")
        texts: list[str] = []
        refusals: list[str] = []
        thinking: list[str] = []
        r.tools = {}
        for item in resp.get("output") or ():
            itype = item.get("type", "")
            if itype == "message":
                for part in item.get("content") or ():
                    if part.get("type") == "output_text":
                        texts.append(part.get("text") or "")
                    elif part.get("type") == "refusal":
                        refusals.append(part.get("refusal") or "")
            elif itype == "function_call":
                r.tools[len(r.tools)] = {"name": item.get("name") or "", "arguments": item.get("arguments") or "", "id": item.get("call_id")}
            elif itype == "reasoning":
                thinking.extend(summary.get("text", "") for summary in item.get("summary") or ())
        # The final object is authoritative; deltas already seen are replaced, not doubled.
        r.text, r.refusal = texts, refusals
        if not from_stream or not r.thinking:
            r.thinking = thinking


# ---------------------------------------------------------------------------- request building


def _chat_part(part: Any) -> Any:
    if isinstance(part, dict) and part.get("type") == "image" and "source_type" in part:
        url = part["data"] if part["source_type"] == "url" else f"data:{part.get('media_type') or 'image/png'};base64,{part['data']}"
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
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part.get("text", "")}
    if ptype == "image" and "source_type" in part:
        return {"type": "input_image", "image_url": _chat_part(part)["image_url"]["url"], "detail": "auto"}
    if ptype == "image_url":
        url = part["image_url"]["url"] if isinstance(part.get("image_url"), dict) else part.get("image_url")
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
            items.append({"type": "function_call_output", "call_id": m.get("tool_call_id"), "output": text_of(m.get("content"))})
            continue
        content = m.get("content")
        if content:
            if isinstance(content, list):
                content = [_responses_part(p, role) for p in content]
            item = {k: v for k, v in m.items() if k not in ("tool_calls", "content")}
            item["content"] = content
            items.append(item)
        for call in m.get("tool_calls") or []:
            fn = call.get("function", {})
            items.append({"type": "function_call", "call_id": call.get("id"), "name": fn.get("name"), "arguments": fn.get("arguments", "{}")})
    return items


def responses_input_and_instructions(messages: list[dict[str, Any]]) -> tuple[str | list[dict[str, Any]], str | None]:
    """Leading system text becomes ``instructions``; a lone plain user turn is sent as a string."""
    leading: list[str] = []
    rest = list(messages)
    while rest and rest[0].get("role") in ("system", "developer") and isinstance(rest[0].get("content"), str) and set(rest[0]) == {"role", "content"}:
        leading.append(rest.pop(0)["content"])
    instructions = "\n\n".join(leading) if leading else None
    if len(rest) == 1 and set(rest[0]) == {"role", "content"} and rest[0]["role"] == "user" and isinstance(rest[0]["content"], str):
        return rest[0]["content"], instructions
    return to_responses_input(rest), instructions


def _tool_choice(choice: Any, api: str) -> Any:
    if choice is None:
        return None
    if isinstance(choice, ToolChoice):
        return choice.value
    if isinstance(choice, str) and choice not in ("auto", "required", "none"):
        return {"type": "function", "function": {"name": choice}} if api == "chat_completions" else {"type": "function", "name": choice}
    return choice


def _tool_name(tool: Any) -> str:
    if isinstance(tool, Tool):
        return tool.name
    if isinstance(tool, dict):
        return tool.get("name") or tool.get("function", {}).get("name", "")
    raise TypeError(f"tools must be Tool objects or provider tool dicts, got {type(tool).__name__}")


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
        **model_kwargs: Any,
    ) -> None:
        if provider not in (None, PROVIDER):
            raise errors.ConfigurationError(f"the OpenAI client cannot serve provider={provider!r}")
        if api not in ("chat_completions", "responses"):
            raise errors.ConfigurationError(f"api must be 'chat_completions' or 'responses', got {api!r}")
        self.model = model_name
        # The SDK would read OPENAI_BASE_URL itself; we read it too so server.address is true.
        self.base_url = base_url or server_url or os.environ.get("OPENAI_BASE_URL") or None
        self.info = get_model_info(model_name)
        self.api = api
        self.streaming = stream
        self.include_usage = include_usage
        self.reasoning_effort = getattr(reasoning_effort, "value", reasoning_effort)
        self.response_format = response_format
        self.tools = list(tools) if tools else []
        self.tool_names = [_tool_name(t) for t in self.tools]
        self.tool_choice = tool_choice
        self.cache_content = [cache_content] if isinstance(cache_content, str) else list(cache_content or [])
        self._check_response_format(response_format)
        self.mode = "structured" if response_format is not None else ("tools" if self.tools else "stream")
        self._kind = {"structured": "structured", "tools": "tools"}.get(self.mode, "text")
        reasoning = is_reasoning_model(model_name, self.info) or self.reasoning_effort is not None
        sampling = drop_none({"temperature": temperature, "top_p": top_p, **model_kwargs})
        if reasoning:
            sampling = {k: v for k, v in sampling.items() if k not in _REASONING_REJECTS}
        self._sampling = sampling
        self.max_tokens = max_tokens
        self.n = n
        self._api_key = resolve_api_key(api_key, ENV_KEY, PROVIDER, allow_dummy=self.base_url is not None)
        self._max_retries = max_retries
        self._timeout = timeout
        host, port = server_address(self.base_url, "api.openai.com")
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
                "output_type": "json" if response_format is not None else None,  # only when a format is requested
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

    def _sdk_classes(self) -> tuple[type, type]:
        import openai

        return openai.OpenAI, openai.AsyncOpenAI

    def request_attributes(self) -> dict[str, Any]:
        return self._request_attributes

    # ------------------------------------------------------------------ requests

    def build_request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The keyword arguments for the SDK call (public so tests and the harness can see them)."""
        prefix = [{"role": "system", "content": text} for text in self.cache_content]
        msgs = prefix + list(messages)
        if self.api == "responses":
            return self._responses_request(msgs)
        params: dict[str, Any] = {"model": self.model, "messages": to_chat_messages(msgs), **self._sampling}
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
            params["tools"] = [t.to_openai() if isinstance(t, Tool) else t for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = _tool_choice(self.tool_choice, self.api)
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
            params["tools"] = [t.to_openai_responses() if isinstance(t, Tool) else t for t in self.tools]
            if self.tool_choice is not None:
                params["tool_choice"] = _tool_choice(self.tool_choice, self.api)
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

    def __init__(self, model_name: str, *, tools: list[Tool | dict[str, Any]], tool_choice: Any = ToolChoice.REQUIRED, **kwargs: Any) -> None:
        if not tools:
            raise errors.ConfigurationError("OpenAITools needs at least one tool: pass tools=[Tool(...)]")
        kwargs.setdefault("temperature", 0.2)
        super().__init__(model_name, tools=tools, tool_choice=tool_choice, **kwargs)


# ---------------------------------------------------------------------------- recorded requests


def client_from_recorded_request(path: str, body: dict[str, Any] | str | bytes, **overrides: Any) -> tuple[OpenAI, list[dict[str, Any]]]:
    """Rebuild our client call from a recorded OpenAI request (URL path + JSON body).

    Returns the client and the messages to call it with, so ``client(messages)`` sends an
    equivalent request. ``overrides`` go to the client (e.g. ``api_key``, ``max_retries``).
    """
    data = json.loads(body) if isinstance(body, str | bytes) else dict(body)
    if not isinstance(data, dict) or "model" not in data:
        raise ValueError(f"not a recorded OpenAI request body (no 'model'): {str(body)[:120]!r}")
    data = dict(data)
    model = data.pop("model")
    kwargs: dict[str, Any] = {"provider": PROVIDER, "api_key": "sk-replay", "max_retries": 0}
    api = "responses" if path.rstrip("/").endswith("/responses") else "chat_completions"
    if api == "chat_completions" and not path.rstrip("/").endswith("/chat/completions"):
        raise ValueError(f"unsupported OpenAI endpoint {path!r}: expected /chat/completions or /responses")
    kwargs["api"] = api
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
        kwargs["tools"] = data.pop("tools")
        if "tool_choice" in data:
            kwargs["tool_choice"] = data.pop("tool_choice")
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
        messages = [{"role": "user", "content": raw_input}] if isinstance(raw_input, str) else list(raw_input)
        instructions = data.pop("instructions", None)
        if instructions:
            messages.insert(0, {"role": "system", "content": instructions})
        if "max_output_tokens" in data:
            kwargs["max_tokens"] = data.pop("max_output_tokens")
        reasoning = data.get("reasoning")
        if isinstance(reasoning, dict) and set(reasoning) == {"effort"}:
            kwargs["reasoning_effort"] = data.pop("reasoning")["effort"]
        text = data.pop("text", None)
        if isinstance(text, dict) and isinstance(text.get("format"), dict) and text["format"].get("type") != "text":
            fmt = dict(text["format"])
            if fmt.get("type") == "json_schema":
                kwargs["response_format"] = {"type": "json_schema", "json_schema": {k: v for k, v in fmt.items() if k != "type"}}
            else:
                kwargs["response_format"] = fmt
            if set(text) != {"format"}:
                passthrough["text"] = text  # verbosity etc.: the whole object, as recorded
        elif text is not None:
            passthrough["text"] = text
    if passthrough:
        kwargs["extra_body"] = passthrough
    kwargs.update(data)  # everything else travels as-is
    kwargs.update(overrides)
    return OpenAI(model, **kwargs), [dict(m) for m in messages]
