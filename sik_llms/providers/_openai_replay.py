"""Recorded OpenAI requests -> our client's options: the model, the keyword arguments and the
messages that send an equivalent request (Chat Completions or Responses; Azure OpenAI routes,
with or without a deployment, and Azure's v1 endpoint included). Fields our options do not
express travel as recorded. Pure code; ``sik_llms.providers.openai`` builds the client.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Azure OpenAI's deployment-scoped route: /openai/deployments/<deployment>/chat/completions
_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)/")


def recorded_client_args(
    path: str, body: dict[str, Any] | str | bytes, overrides: dict[str, Any]
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Our client call, taken apart from a recorded OpenAI request (URL path + JSON body).

    Returns the model, the client's keyword arguments (``overrides`` applied last) and the
    messages, so ``OpenAI(model, **kwargs)(messages)`` sends an equivalent request.
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
    kwargs: dict[str, Any] = {"provider": "openai", "api_key": "sk-replay", "max_retries": 0}
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
    return model, kwargs, [dict(m) for m in messages]
