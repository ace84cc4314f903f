"""One call per setup: the bare SDK (the same request ours sends) or sik_llms, answered from memory."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx2

from harness.bench.model import MODELS, PROMPT
from harness.bench.wire import memory_transport

__all__ = ["bare_call", "our_client", "ours_call", "sdk_call_kwargs", "weather_tool"]


def weather_tool() -> Any:
    from sik_llms import Parameter, Tool

    return Tool(
        name="get_weather",
        description="Current weather in a city.",
        parameters=[Parameter(name="city", param_type=str, required=True, description="City name")],
    )


def our_client(provider: str, workload: str) -> Any:
    """The sik_llms client for this workload (its request is the bare SDK's request too)."""
    from sik_llms import create_client

    kwargs: dict[str, Any] = {
        "api_key": "sk-bench-0000",
        "max_retries": 0,
        "stream": workload.startswith("stream"),
    }
    if workload == "tool":
        kwargs["tools"] = [weather_tool()]
    return create_client(MODELS[provider], **kwargs)


def prompt_messages() -> list[dict[str, Any]]:
    from sik_llms import user_message

    return [user_message(PROMPT)]


_PARAM_NAMES: dict[Any, frozenset[str]] = {}


def sdk_call_kwargs(method: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Split request fields into what the SDK method names and ``extra_body`` for the rest.

    SDK versions differ in what they name (anthropic 2.x dropped ``temperature`` from
    ``messages.create``); reading the installed signature keeps every field on the wire.
    """
    func = getattr(method, "__func__", method)
    names = _PARAM_NAMES.get(func)
    if names is None:
        target = inspect.unwrap(func)
        names = frozenset(inspect.signature(target).parameters) - {"self"}
        _PARAM_NAMES[func] = names
    out = {k: v for k, v in params.items() if k in names}
    extra = {k: v for k, v in params.items() if k not in names}
    if extra:
        out["extra_body"] = {**extra, **(out.get("extra_body") or {})}
    return out


def bare_call(
    provider: str, workload: str, sdk_kwargs: dict[str, Any] | None = None
) -> Callable[[], Any]:
    """One call through the official SDK directly (the same request ours sends), stream consumed."""
    from sik_llms.messages import normalize_messages

    ours = our_client(provider, workload)
    params = ours.build_request(normalize_messages(prompt_messages()))
    http = httpx2.Client(transport=memory_transport(provider, workload))
    streamed = workload.startswith("stream")
    if provider == "openai":
        import openai

        sdk = openai.OpenAI(
            api_key="sk-bench-0000", max_retries=0, http_client=http, **(sdk_kwargs or {})
        )
        create = sdk.chat.completions.create
        kwargs = sdk_call_kwargs(create, params)
        if streamed:

            def call() -> str:
                parts = []
                for chunk in create(**kwargs):  # exhausting the stream closes the response
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                return "".join(parts)

            return call
        return lambda: create(**kwargs)
    import anthropic

    sdk = anthropic.Anthropic(
        api_key="sk-bench-0000", max_retries=0, http_client=http, **(sdk_kwargs or {})
    )
    create = sdk.messages.create
    kwargs = sdk_call_kwargs(create, params)
    if streamed:

        def acall() -> str:
            parts = []
            for event in create(**kwargs):
                if event.type == "content_block_delta":
                    parts.append(event.delta.text)
            return "".join(parts)

        return acall
    return lambda: create(**kwargs)


def ours_call(provider: str, workload: str, providers: tuple[Any, Any] | None) -> Callable[[], Any]:
    """One ``client(messages)`` call; ``providers`` is the (tp, mp) override, None for the default."""
    from sik_llms.telemetry import use_providers
    from sik_llms.transport import use_transport

    client = our_client(provider, workload)
    transport = memory_transport(provider, workload)
    messages = prompt_messages()
    if providers is None:

        def call() -> Any:
            with use_transport(sync=transport):
                return client(messages)

        return call
    tp, mp = providers

    def traced() -> Any:
        with use_transport(sync=transport), use_providers(tp, mp):
            return client(messages)

    return traced
