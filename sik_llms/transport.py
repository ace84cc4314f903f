"""The HTTP seam: every request the provider SDKs make passes through these transports.

Two jobs, both per HTTP attempt (so SDK retries are visible):
- telemetry: an ``http.request`` span when a call is being traced;
- testing: a context-local override (``use_transport``) lets the harness answer requests from
  a cassette or a scripted transport without patching anything global.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpx2

from sik_llms import telemetry

_SYNC_OVERRIDE: ContextVar[httpx2.BaseTransport | None] = ContextVar(
    "sik_sync_transport", default=None
)
_ASYNC_OVERRIDE: ContextVar[httpx2.AsyncBaseTransport | None] = ContextVar(
    "sik_async_transport", default=None
)


@contextmanager
def use_transport(
    sync: httpx2.BaseTransport | None = None,
    async_: httpx2.AsyncBaseTransport | None = None,
) -> Iterator[None]:
    """Route this context's provider requests to the given transports instead of the network."""
    tokens = (_SYNC_OVERRIDE.set(sync), _ASYNC_OVERRIDE.set(async_))
    try:
        yield
    finally:
        _SYNC_OVERRIDE.reset(tokens[0])
        _ASYNC_OVERRIDE.reset(tokens[1])


class _SpanClosingStream(httpx2.SyncByteStream):
    """Ends the ``http.request`` span when the body has been read or the response closed."""

    def __init__(self, inner: Any, finish: Any) -> None:
        self._inner = inner
        self._finish = finish

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()


class _AsyncSpanClosingStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, finish: Any) -> None:
        self._inner = inner
        self._finish = finish

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            aclose = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            self._finish()


class SikTransport(httpx2.BaseTransport):
    """Sync transport used by every sync SDK client sik_llms creates."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self._inner = inner

    def _default(self) -> httpx2.BaseTransport:
        if self._inner is None:  # created lazily: replay-only tests never open a pool
            self._inner = httpx2.HTTPTransport()
        return self._inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = _SYNC_OVERRIDE.get() or self._default()
        attempt = telemetry.http_attempt(request)
        if attempt is None:
            return transport.handle_request(request)
        try:
            response = transport.handle_request(request)
        except BaseException as exc:
            attempt.fail(exc)
            raise
        attempt.got_response(response)
        if response.is_closed:  # body already read (e.g. in-memory content): nothing left to time
            attempt.end()
        else:
            response.stream = _SpanClosingStream(response.stream, attempt.end)
        return response

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


class AsyncSikTransport(httpx2.AsyncBaseTransport):
    """Async twin of ``SikTransport``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._inner = inner

    def _default(self) -> httpx2.AsyncBaseTransport:
        if self._inner is None:
            self._inner = httpx2.AsyncHTTPTransport()
        return self._inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = _ASYNC_OVERRIDE.get() or self._default()
        attempt = telemetry.http_attempt(request)
        if attempt is None:
            return await transport.handle_async_request(request)
        try:
            response = await transport.handle_async_request(request)
        except BaseException as exc:
            attempt.fail(exc)
            raise
        attempt.got_response(response)
        if response.is_closed:
            attempt.end()
        else:
            response.stream = _AsyncSpanClosingStream(response.stream, attempt.end)
        return response

    async def aclose(self) -> None:
        if self._inner is not None:
            await self._inner.aclose()


def sync_http_client(timeout: float | None = None) -> httpx2.Client:
    """An httpx2 client for a sync provider SDK, routed through ``SikTransport``."""
    kwargs: dict[str, Any] = {"transport": SikTransport()}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return httpx2.Client(**kwargs)


def async_http_client(timeout: float | None = None) -> httpx2.AsyncClient:
    """An httpx2 async client for a provider SDK, routed through ``AsyncSikTransport``."""
    kwargs: dict[str, Any] = {"transport": AsyncSikTransport()}
    if timeout is not None:
        kwargs["timeout"] = timeout
    return httpx2.AsyncClient(**kwargs)
