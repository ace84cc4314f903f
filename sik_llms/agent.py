"""ReasoningAgent: think step by step, call tools, answer; every step visible in the trace.

The loop itself lives in ``sik_llms.agent_loop`` as a generator of steps (events and effects).
This module configures the agent and drives that loop twice over: once with blocking I/O
(``stream_sync`` / ``__call__``, no event loop) and once with asyncio (``stream`` /
``run_async``), so both faces share every decision the loop makes.

Telemetry: the agent does not go through ``Client``'s per-call wrapper (that would add an
``llm.request`` span and count the inner calls' tokens twice). It opens its own tree::

    llm.reasoning_agent.stream
     +- reasoning.thinking.iteration_N   (+ llm.request of the structured reasoning call)
     +- reasoning.tool.<name>            (+ llm.request of the argument prediction, and the run)
     +- reasoning.final_answer           (+ llm.request of the streamed answer)

and records only its own metrics (``add_agent_metrics``). A span's context is attached only
while a driver performs an effect, never across a ``yield`` to the consumer, and every span is
ended in a ``finally``, so an abandoned or cancelled stream still ends its spans.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sik_llms.agent_loop import (
    DEFAULT_AGENT_NAME,
    AgentRun,
    Infer,
    ReasoningAction,
    ReasoningStep,
    ReasoningStepError,
    RunTool,
    ToolArgumentsError,
)
from sik_llms.client import Client, RegisteredClients
from sik_llms.messages import normalize_messages
from sik_llms.telemetry import names as n
from sik_llms.tools import Tool, ToolChoice
from sik_llms.types import RESPONSE_TYPES, Event, ReasoningEffort, Response

__all__ = [
    "ReasoningAction",
    "ReasoningAgent",
    "ReasoningStep",
    "ReasoningStepError",
    "ToolArgumentsError",
]

# --------------------------------------------------------------------------- the agent


@Client.register(RegisteredClients.REASONING_AGENT)
class ReasoningAgent(Client):
    """An agent that reasons in structured steps, calls tools, then streams a final answer.

    ``tools`` may be plain functions (their signature and docstring describe them) or
    ``Tool`` definitions with a ``func``. ``reasoning_effort`` labels the run's telemetry and
    is passed to the models that support reasoning. ``model_kwargs`` (``api_key``,
    ``temperature``, ...) go to the reasoning and final-answer clients, and to the tools client
    when it uses the same model (otherwise pass ``tools_kwargs``).
    """

    provider = "agent"
    mode = "agent"

    def __init__(
        self,
        model_name: str,
        client_type: str | RegisteredClients | None = None,
        tools: Iterable[Any] | None = None,
        tools_model_name: str | None = None,
        tools_client_type: str | RegisteredClients | None = None,
        generate_final_response: bool = True,
        max_iterations: int = 5,
        reasoning_effort: ReasoningEffort | str | None = ReasoningEffort.MEDIUM,
        max_parse_retries: int = 2,
        name: str = DEFAULT_AGENT_NAME,
        tools_kwargs: dict[str, Any] | None = None,
        **model_kwargs: Any,
    ) -> None:
        from sik_llms.providers import create_client  # lazily: the SDKs load on first use

        if max_iterations < 1:
            raise ValueError(f"max_iterations must be at least 1, got {max_iterations}")
        if max_parse_retries < 0:
            raise ValueError(f"max_parse_retries must be 0 or more, got {max_parse_retries}")
        self.model = model_name
        self.name = name
        self.max_iterations = max_iterations
        self.max_parse_retries = max_parse_retries
        self.generate_final_response = generate_final_response
        self.reasoning_effort = str(ReasoningEffort(reasoning_effort)) if reasoning_effort else None
        self.tools: dict[str, Tool] = {}
        for tool in (_as_tool(t) for t in tools or ()):
            if tool.name in self.tools:
                raise ValueError(f"two tools are named {tool.name!r}; tool names must be unique")
            self.tools[tool.name] = tool

        chat_kwargs = dict(model_kwargs)
        if client_type is not None:
            chat_kwargs["client_type"] = client_type
        self.reasoning_client = create_client(
            model_name,
            response_format=ReasoningStep,
            **chat_kwargs,
            **self._effort_kwargs(model_name, forced_tool=True),
        )
        self.final_client = create_client(
            model_name, **chat_kwargs, **self._effort_kwargs(model_name, forced_tool=False)
        )
        self.agent_provider: str = getattr(self.reasoning_client, "provider", "") or "unknown"
        self._tools_model = tools_model_name or model_name
        self._tools_client_type = tools_client_type
        # the tools model gets the chat kwargs (api_key, base_url, ...) only if it is the same model
        same_model = self._tools_model == model_name and tools_client_type is None
        self._tools_kwargs = dict(
            tools_kwargs if tools_kwargs is not None else model_kwargs if same_model else {}
        )
        self._tool_clients: dict[str, Client] = {}

    # ------------------------------------------------------------------ entry points
    # All four bypass Client's per-call telemetry wrapper: the agent traces itself.

    def __call__(self, messages: Iterable[Any]) -> Response:
        """Run the agent synchronously (no event loop) and return the final TextResponse."""
        last: Any = None
        for item in self.stream_sync(messages):
            last = item
        return _check_response(last)

    async def run_async(self, messages: Iterable[Any]) -> Response:
        """Run the agent on the running event loop and return the final TextResponse."""
        last: Any = None
        async for item in self.stream(messages):
            last = item
        return _check_response(last)

    def stream_sync(self, messages: Iterable[Any]) -> Iterator[Event | Response]:
        """Iterate the agent's events (blocking), ending with the final TextResponse."""
        return self._events_sync(normalize_messages(messages))

    def stream(self, messages: Iterable[Any]) -> AsyncIterator[Event | Response]:
        """Async-iterate the agent's events, ending with the final TextResponse."""
        return self._events_async(normalize_messages(messages))

    # ------------------------------------------------------------------ drivers

    def _events_sync(self, messages: list[dict[str, Any]]) -> Iterator[Event | Response]:
        steps = AgentRun(self, messages).steps()
        send: Any = None
        throw: BaseException | None = None
        try:
            while True:
                try:
                    item = steps.throw(throw) if throw is not None else steps.send(send)
                except StopIteration:
                    return
                send, throw = None, None
                if isinstance(item, Infer) and item.stream:
                    try:
                        send = yield from _stream_sync(item)
                    except GeneratorExit:
                        raise
                    except BaseException as exc:
                        throw = exc
                elif isinstance(item, Infer):
                    try:
                        with item.span.active():
                            send = item.client(item.messages)
                    except BaseException as exc:
                        throw = exc
                elif isinstance(item, RunTool):
                    try:
                        with item.span.active():
                            send = _run_tool_sync(item.func, item.arguments)
                    except BaseException as exc:
                        throw = exc
                else:
                    yield item
        finally:
            steps.close()

    async def _events_async(
        self, messages: list[dict[str, Any]]
    ) -> AsyncIterator[Event | Response]:
        steps = AgentRun(self, messages).steps()
        send: Any = None
        throw: BaseException | None = None
        try:
            while True:
                try:
                    item = steps.throw(throw) if throw is not None else steps.send(send)
                except StopIteration:
                    return
                send, throw = None, None
                if isinstance(item, Infer) and item.stream:
                    stream = item.client.stream(item.messages)
                    try:
                        with item.span.active():
                            got = await anext(stream, _DONE)
                        while got is not _DONE:
                            if isinstance(got, RESPONSE_TYPES):
                                send = got
                            else:
                                yield got  # no span context is attached here
                            got = await anext(stream, _DONE)
                        if send is None:
                            raise RuntimeError("the final answer stream ended without a response")
                    except GeneratorExit:
                        raise
                    except BaseException as exc:
                        throw = exc
                    finally:
                        await _aclose(stream)
                elif isinstance(item, Infer):
                    try:
                        with item.span.active():
                            send = await item.client.run_async(item.messages)
                    except BaseException as exc:
                        throw = exc
                elif isinstance(item, RunTool):
                    try:
                        with item.span.active():
                            send = await _run_tool_async(item.func, item.arguments)
                    except BaseException as exc:
                        throw = exc
                else:
                    yield item
        finally:
            steps.close()

    # ------------------------------------------------------------------ helpers for the loop

    def tool_client(self, tool: Tool) -> Client:
        """The single-tool, REQUIRED tools client that predicts ``tool``'s arguments."""
        client = self._tool_clients.get(tool.name)
        if client is None:
            from sik_llms.providers import create_client

            kwargs: dict[str, Any] = {
                **self._tools_kwargs,
                **self._effort_kwargs(self._tools_model, forced_tool=True),
                "tools": [tool],
                "tool_choice": ToolChoice.REQUIRED,
            }
            if self._tools_client_type is not None:
                kwargs["client_type"] = self._tools_client_type
            client = self._tool_clients[tool.name] = create_client(self._tools_model, **kwargs)
        return client

    def _effort_kwargs(self, model_name: str, forced_tool: bool) -> dict[str, Any]:
        """``reasoning_effort`` for an inner client, where the model and the call accept it.

        Anthropic rejects extended thinking on a forced tool call, and the agent's structured
        step and argument prediction are forced tool calls there, so only its final answer
        thinks. Models without reasoning support never get it (it only labels the telemetry).
        """
        from sik_llms.models import ModelProvider, get_model_info

        info = get_model_info(model_name)
        if not self.reasoning_effort or info is None or not info.supports_reasoning:
            return {}
        if forced_tool and info.provider == ModelProvider.ANTHROPIC:
            return {}
        return {"reasoning_effort": self.reasoning_effort}

    def metric_attributes(self) -> dict[str, Any]:
        return {
            n.LABEL_REASONING_EFFORT: self.reasoning_effort or "none",
            n.LABEL_MODEL: self.model,
            n.LABEL_PROVIDER: self.agent_provider,
        }


# --------------------------------------------------------------------------- effect helpers


_DONE: Any = object()


def _stream_sync(item: Infer) -> Generator[Event, None, Response]:
    """Forward a streamed inner call's events; return its response. Context only on the request."""
    stream = item.client.stream_sync(item.messages)
    response: Any = None
    try:
        with item.span.active():
            got = next(stream, _DONE)
        while got is not _DONE:
            if isinstance(got, RESPONSE_TYPES):
                response = got
            else:
                yield got
            got = next(stream, _DONE)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if response is None:
        raise RuntimeError("the final answer stream ended without a response")
    return response


async def _aclose(stream: Any) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _is_async(func: Callable[..., Any]) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one."""
    call = getattr(func, "__call__", None)  # noqa: B004 - we want the method, not callability
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(call)


def _run_tool_sync(func: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Run a tool without an event loop: sync directly, async on a private loop in a worker."""
    if not _is_async(func):
        return func(**arguments)
    ctx = contextvars.copy_context()  # the tool span stays current inside the worker
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sik-llms-tool") as pool:
        return pool.submit(ctx.run, lambda: asyncio.run(func(**arguments))).result()


async def _run_tool_async(func: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Await async tools; run sync ones in a thread so they never block the event loop."""
    if _is_async(func):
        return await func(**arguments)
    return await asyncio.to_thread(func, **arguments)


# --------------------------------------------------------------------------- pure helpers


def _as_tool(obj: Any) -> Tool:
    if isinstance(obj, Tool):
        tool = obj
    elif callable(obj):
        tool = Tool.from_function(obj)
    else:
        raise TypeError(f"a tool must be a Tool or a function, got {type(obj).__name__}")
    if getattr(tool, "func", None) is None:
        raise ValueError(f"tool {tool.name!r} has no func, so the agent cannot run it")
    return tool


def _check_response(last: Any) -> Response:
    if not isinstance(last, RESPONSE_TYPES):
        raise RuntimeError(f"the agent ended without a response (last item: {type(last).__name__})")
    return last  # type: ignore[return-value]
