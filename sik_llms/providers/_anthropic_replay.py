"""Recorded Anthropic requests -> our client's options: the model, the keyword arguments and the
messages that send an equivalent request (the beta endpoint included). Fields we cannot take
apart travel as recorded. Pure code; ``sik_llms.providers.anthropic`` builds the client.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit


def recorded_client_args(
    path: str, body: dict[str, Any] | str | bytes, overrides: dict[str, Any]
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Our client call, taken apart from a recorded Anthropic request (URL path + JSON body).

    ``/v1/messages?beta=true`` selects the beta endpoint. Returns the model, the client's
    keyword arguments (``overrides`` applied last) and the messages.
    """
    data = json.loads(body) if isinstance(body, str | bytes) else body
    if not isinstance(data, dict) or not isinstance(data.get("model"), str):
        raise ValueError(f"not a recorded Anthropic request body (no 'model'): {str(body)[:120]!r}")
    if not urlsplit(path).path.rstrip("/").endswith("/messages"):
        raise ValueError(f"unsupported Anthropic endpoint {path!r}: expected /v1/messages")
    data = dict(data)
    model = data.pop("model")
    kwargs: dict[str, Any] = {"provider": "anthropic", "api_key": "sk-ant-replay", "max_retries": 0}
    kwargs["beta"] = "beta=true" in path
    if data.get("stream") is False:  # sent explicitly: keep it on the wire, as recorded
        kwargs["extra_body"] = {"stream": False}
    kwargs["stream"] = bool(data.pop("stream", False))
    kwargs["max_tokens"] = data.pop("max_tokens", None)
    for key in ("temperature", "top_p", "top_k", "thinking"):
        if key in data:
            kwargs[key] = data.pop(key)
    as_recorded: dict[str, Any] = {}  # fields we cannot take apart travel exactly as recorded
    if "tools" in data:
        tools = data.pop("tools")
        usable = isinstance(tools, list) and all(isinstance(t, dict) for t in tools)
        target = kwargs if usable else as_recorded
        target["tools"] = tools
        if "tool_choice" in data:
            target["tool_choice"] = data.pop("tool_choice")
    messages: list[dict[str, Any]] = []
    system = data.pop("system", None)
    if system and isinstance(system, str | list):
        messages.append({"role": "system", "content": system})
    elif system is not None:
        as_recorded["system"] = system
    if as_recorded:
        kwargs["extra_body"] = {**kwargs.get("extra_body", {}), **as_recorded}
    raw_messages = data.pop("messages", [])
    if isinstance(raw_messages, list) and all(isinstance(m, dict) for m in raw_messages):
        messages.extend(dict(m) for m in raw_messages)
    else:
        # Not messages we can take apart (a deliberately invalid request, e.g. ["Invalid
        # content"]): sent exactly as recorded, so the call gets the recorded answer (a typed 400).
        kwargs["extra_body"] = {**kwargs.get("extra_body", {}), "messages": raw_messages}
        if system and isinstance(system, str | list):
            kwargs["extra_body"]["system"] = system
        messages = []
    kwargs.update(data)
    kwargs.update(overrides)
    return model, kwargs, messages
