"""The client base: four entry points over one primitive, instrumented once.

A provider client implements two generators over the same pure parser: ``_events_sync`` (the
SDK's sync client) and ``_events_async`` (its async client). Each yields events and ends with
exactly one response. Everything else lives here, once: message normalisation, timing, the
telemetry wrapper, and the four ways to call (``client()``, ``run_async``, ``stream``,
``stream_sync``), which therefore all produce the same spans and metrics exactly once.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator
from enum import StrEnum
from typing import Any, ClassVar

from sik_llms import clock as _clock
from sik_llms import telemetry
from sik_llms.messages import normalize_messages
from sik_llms.types import RESPONSE_TYPES, Event, Response, TokenSummary


class RegisteredClients(StrEnum):
    """The client classes ``create_client`` and ``Client.instantiate`` know by name."""

    OPENAI = "OpenAI"
    OPENAI_TOOLS = "OpenAITools"
    ANTHROPIC = "Anthropic"
    ANTHROPIC_TOOLS = "AnthropicTools"
    REASONING_AGENT = "ReasoningAgent"


class Client(ABC):
    """Base of every client (providers and the ReasoningAgent).

    Subclasses set ``provider`` and implement the two ``_events_*`` generators; ``mode``
    (``stream`` | ``tools`` | ``structured``) names the inference span (``llm.<provider>.<mode>``).
    """

    provider: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[Client]]] = {}

    model: str
    mode: str = "stream"

    # ------------------------------------------------------------------ registry

    @classmethod
    def register(cls, client_type: str | RegisteredClients) -> Any:
        """Class decorator: make a client class instantiable by name (case-insensitive)."""

        def decorator(client_cls: type[Client]) -> type[Client]:
            cls._registry[_registry_key(client_type)] = client_cls
            return client_cls

        return decorator

    @classmethod
    def is_registered(cls, client_type: str | RegisteredClients) -> bool:
        return _registry_key(client_type) in cls._registry

    @classmethod
    def instantiate(
        cls, client_type: str | RegisteredClients, model_name: str, **kwargs: Any
    ) -> Client:
        key = _registry_key(client_type)
        if key not in cls._registry:
            known = ", ".join(sorted(cls._registry))
            raise ValueError(f"Unknown client type {client_type!r}; registered: {known}")
        return cls._registry[key](model_name=model_name, **kwargs)

    # ------------------------------------------------------------------ provider hooks

    @abstractmethod
    def _events_sync(self, messages: list[dict[str, Any]]) -> Iterator[Event | Response]:
        """Yield events, then exactly one response, using blocking I/O."""

    @abstractmethod
    def _events_async(self, messages: list[dict[str, Any]]) -> AsyncIterator[Event | Response]:
        """Yield events, then exactly one response, using asyncio I/O."""

    def request_attributes(self) -> dict[str, Any]:
        """Request parameters telemetry records (``temperature``, ``max_tokens``, ``top_p``,
        ``stream``, ``server_address``, ``server_port``, ...). Providers override."""
        return {}

    # ------------------------------------------------------------------ entry points

    def __call__(self, messages: Iterable[Any]) -> Response:
        """Run the call synchronously (no event loop) and return the final response."""
        return _last_response(self.stream_sync(messages))

    async def run_async(self, messages: Iterable[Any]) -> Response:
        """Run the call on the running event loop and return the final response."""
        last: Any = None
        async for item in self.stream(messages):
            last = item
        return _check_response(last)

    async def sample(self, messages: Iterable[Any], n: int) -> list[Response]:
        """``n`` independent answers to the same messages, run concurrently (one call each)."""
        if n < 1:
            raise ValueError(f"sample needs n >= 1, got {n}")
        msgs = list(messages)
        return list(await asyncio.gather(*(self.run_async(msgs) for _ in range(n))))

    async def generate_multiple(
        self, message_lists: Iterable[Iterable[Any]], sample_n: int = 1
    ) -> list[list[Response]]:
        """``sample_n`` answers for each conversation, all run concurrently."""
        return list(await asyncio.gather(*(self.sample(m, sample_n) for m in message_lists)))

    def stream_sync(self, messages: Iterable[Any]) -> Iterator[Event | Response]:
        """Iterate events as they arrive (blocking), ending with the response."""
        msgs = normalize_messages(messages)
        start = _clock.perf_counter()
        call = telemetry.start_call(self, msgs)
        inner = self._events_sync(msgs)
        if call is None:
            for item in inner:
                if isinstance(item, RESPONSE_TYPES):
                    _finish(item, start)
                yield item
            return
        try:
            # Context is attached only while the request is made (the first item): that is
            # where HTTP attempts and retries happen. Later chunks only get counted.
            with call.active():
                item = next(inner, _DONE)
            while item is not _DONE:
                if isinstance(item, RESPONSE_TYPES):
                    _finish(item, start)
                    call.succeed(item)
                else:
                    call.observe(item)
                yield item
                item = next(inner, _DONE)
        except GeneratorExit:
            call.cancel()
            inner.close()
            raise
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.close()

    async def stream(self, messages: Iterable[Any]) -> AsyncIterator[Event | Response]:
        """Async-iterate events as they arrive, ending with the response."""
        msgs = normalize_messages(messages)
        start = _clock.perf_counter()
        call = telemetry.start_call(self, msgs)
        inner = self._events_async(msgs)
        if call is None:
            async for item in inner:
                if isinstance(item, RESPONSE_TYPES):
                    _finish(item, start)
                yield item
            return
        try:
            with call.active():
                item = await anext(inner, _DONE)
            while item is not _DONE:
                if isinstance(item, RESPONSE_TYPES):
                    _finish(item, start)
                    call.succeed(item)
                else:
                    call.observe(item)
                yield item
                item = await anext(inner, _DONE)
        except GeneratorExit:
            call.cancel()
            await _aclose(inner)
            raise
        except BaseException as exc:  # includes asyncio.CancelledError
            call.fail(exc)
            raise
        finally:
            call.close()


_DONE: Any = object()


def _finish(response: TokenSummary, start: float) -> None:
    response.duration_seconds = _clock.perf_counter() - start


async def _aclose(gen: AsyncIterator[Any]) -> None:
    aclose = getattr(gen, "aclose", None)
    if aclose is not None:
        await aclose()


def _last_response(items: Iterator[Any]) -> Response:
    last: Any = None
    for item in items:
        last = item
    return _check_response(last)


def _check_response(last: Any) -> Response:
    if not isinstance(last, RESPONSE_TYPES):
        raise RuntimeError(
            f"the stream ended without a response (last item: {type(last).__name__})"
        )
    return last  # type: ignore[return-value]


def _registry_key(client_type: str | RegisteredClients) -> str:
    if isinstance(client_type, RegisteredClients):
        return client_type.name.lower()
    text = str(client_type)
    for member in RegisteredClients:
        if text.lower() in (member.name.lower(), member.value.lower()):
            return member.name.lower()
    return text.lower()
