"""Route every httpx2 / httpx client in the process through the active cassette.

``sik_llms`` asks for its transport through a context-local seam (``sik_llms.transport``);
other code (the official ``openai`` / ``anthropic`` SDKs, libraries on ``httpx`` or
``httpx2``) builds its own ``HTTPTransport``. While a route is active, this module answers
those transports' requests with the route's transport (a ``CassetteTransport`` replaying,
a ``RecordingTransport`` recording) instead of the network: it patches
``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request`` of
``httpx2`` and, when installed, ``httpx``. Streams stay streams: the replay transport's
chunk-per-SSE-event bodies and virtual-clock pacing reach the SDK unchanged (vcrpy's own
httpx stubs replay a body as one blob, which would lose time to first token).

Routes nest: a context-local one (``route(..., scope="context")``, what ``use_cassette``
installs) wins over a process-wide one (``scope="process"``, what the pytest plugin adds so
threads the SDK starts without copying context are served too). With no route the patched
methods call the originals. The recorder's own connection runs inside ``passthrough()``.

A replay miss inside a foreign client is answered with HTTP 400 carrying the miss text
(SDKs retry transport exceptions with back-off and then hide them behind "Connection
error."); the miss itself is kept in ``Route.misses`` for the plugin to fail the test with.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx2

from harness.cassettes.match import CassetteMiss

#: Header on the synthetic response a miss produces, so tests and users can recognise it.
MISS_HEADER = "x-sik-llms-cassette-miss"


@dataclass
class Route:
    """Where intercepted requests go: a transport serving both sync and async requests."""

    transport: Any
    misses: list[CassetteMiss] = field(default_factory=list)
    served: int = 0


_CONTEXT_ROUTE: ContextVar[Route | None] = ContextVar("sik_llms_intercept_route", default=None)
_PASSTHROUGH: ContextVar[bool] = ContextVar("sik_llms_intercept_passthrough", default=False)
_PROCESS_ROUTES: list[Route] = []
_LOCK = threading.Lock()
_ORIGINALS: dict[tuple[Any, str], Any] = {}


def current_route() -> Route | None:
    """The route answering requests in this context right now, if any."""
    if _PASSTHROUGH.get():
        return None
    route = _CONTEXT_ROUTE.get()
    if route is not None:
        return route
    with _LOCK:
        return _PROCESS_ROUTES[-1] if _PROCESS_ROUTES else None


def route(transport: Any, *, scope: str = "context") -> _RouteBlock:
    """Answer every intercepted request in the block with ``transport``; yields the ``Route``.

    ``scope="context"``: only this context (thread / task and what copies its context);
    ``scope="process"``: every thread of the process (under a context route, which wins).
    """
    if scope not in ("context", "process"):
        raise ValueError(f"scope must be 'context' or 'process', not {scope!r}")
    return _RouteBlock(transport, scope)


class _RouteBlock:
    """``route``'s context manager (a class: every cassette test enters two)."""

    __slots__ = ("_route", "_scope", "_token", "_transport")

    def __init__(self, transport: Any, scope: str) -> None:
        self._transport = transport
        self._scope = scope
        self._route: Route | None = None
        self._token: Any = None

    def __enter__(self) -> Route:
        if self._route is not None:
            raise RuntimeError("a route block cannot be entered twice")
        install()
        active = self._route = Route(self._transport)
        if self._scope == "context":
            self._token = _CONTEXT_ROUTE.set(active)
        else:
            with _LOCK:
                _PROCESS_ROUTES.append(active)
        return active

    def __exit__(self, *exc: object) -> None:
        if self._scope == "context":
            _CONTEXT_ROUTE.reset(self._token)
        else:
            with _LOCK:
                _PROCESS_ROUTES.remove(self._route)


@contextmanager
def passthrough() -> Iterator[None]:
    """Let real transports in this block reach the network (the recorder's own connection)."""
    token = _PASSTHROUGH.set(True)
    try:
        yield
    finally:
        _PASSTHROUGH.reset(token)


# ---------------------------------------------------------------------- serving


def _miss_response(active: Route, miss: CassetteMiss) -> httpx2.Response:
    active.misses.append(miss)
    body = json.dumps({"error": {"type": "sik_llms_cassette_miss", "message": str(miss)}}).encode()
    return httpx2.Response(
        400, headers={"content-type": "application/json", MISS_HEADER: "1"}, content=body
    )


def _serve(active: Route, request: httpx2.Request) -> httpx2.Response:
    try:
        response = active.transport.handle_request(request)
    except CassetteMiss as miss:
        return _miss_response(active, miss)
    active.served += 1
    return response


async def _aserve(active: Route, request: httpx2.Request) -> httpx2.Response:
    try:
        response = await active.transport.handle_async_request(request)
    except CassetteMiss as miss:
        return _miss_response(active, miss)
    active.served += 1
    return response


def _httpx2_sync(self: Any, request: httpx2.Request) -> httpx2.Response:
    active = current_route()
    if active is None:
        return _ORIGINALS[(httpx2.HTTPTransport, "handle_request")](self, request)
    return _serve(active, request)


async def _httpx2_async(self: Any, request: httpx2.Request) -> httpx2.Response:
    active = current_route()
    if active is None:
        return await _ORIGINALS[(httpx2.AsyncHTTPTransport, "handle_async_request")](self, request)
    return await _aserve(active, request)


# -- httpx (the 0.x line): same transports, other classes; converted at the edge ----------


def _to_httpx2(request: Any, body: bytes) -> httpx2.Request:
    return httpx2.Request(
        request.method, str(request.url), headers=list(request.headers.multi_items()), content=body
    )


def _from_httpx2(httpx: Any, response: httpx2.Response, sync: bool) -> Any:
    headers = list(response.headers.multi_items())
    extensions = {k: v for k, v in response.extensions.items() if k == "reason_phrase"}
    sync_bridge, async_bridge = _bridge_classes(httpx)
    stream = sync_bridge(response) if sync else async_bridge(response)
    return httpx.Response(
        response.status_code, headers=headers, stream=stream, extensions=extensions
    )


def _httpx_sync(self: Any, request: Any) -> Any:
    import httpx

    active = current_route()
    if active is None:
        return _ORIGINALS[(httpx.HTTPTransport, "handle_request")](self, request)
    return _from_httpx2(httpx, _serve(active, _to_httpx2(request, request.read())), sync=True)


async def _httpx_async(self: Any, request: Any) -> Any:
    import httpx

    active = current_route()
    if active is None:
        return await _ORIGINALS[(httpx.AsyncHTTPTransport, "handle_async_request")](self, request)
    response = await _aserve(active, _to_httpx2(request, await request.aread()))
    return _from_httpx2(httpx, response, sync=False)


_BRIDGES: dict[str, Any] = {}


def _bridge_classes(httpx: Any) -> tuple[Any, Any]:
    """httpx byte streams reading an httpx2 response (built once per httpx module object:
    httpx is imported lazily, and imported anew after pytester or a reload unloaded it)."""
    if _BRIDGES.get("module") is not httpx:
        _BRIDGES.clear()

        class SyncBridge(httpx.SyncByteStream):  # type: ignore[misc,name-defined]
            def __init__(self, response: httpx2.Response) -> None:
                self._response = response

            def __iter__(self) -> Iterator[bytes]:
                yield from self._response.stream  # type: ignore[misc]

            def close(self) -> None:
                self._response.close()

        class AsyncBridge(httpx.AsyncByteStream):  # type: ignore[misc,name-defined]
            def __init__(self, response: httpx2.Response) -> None:
                self._response = response

            async def __aiter__(self) -> AsyncIterator[bytes]:
                async for chunk in self._response.stream:  # type: ignore[union-attr]
                    yield chunk

            async def aclose(self) -> None:
                await self._response.aclose()

        _BRIDGES.update(module=httpx, sync=SyncBridge, async_=AsyncBridge)
    return _BRIDGES["sync"], _BRIDGES["async_"]


def _patch(cls: Any, name: str, replacement: Any) -> None:
    if (cls, name) not in _ORIGINALS:
        _ORIGINALS[(cls, name)] = getattr(cls, name)
        setattr(cls, name, replacement)


def install() -> None:
    """Patch the transports (idempotent; inert while no route is active).

    httpx is patched again when it was imported anew since (pytester's in-process runs
    unload the modules first imported inside them, as ``importlib.reload`` replaces them): a
    fresh module's transports would otherwise reach the network. httpx2 is imported by
    sik_llms before any of this runs, so its classes are the ones every client uses."""
    global _INSTALLED
    # every route calls this (two per cassette test): one dictionary read, no lock
    if _INSTALLED and _INSTALLED_HTTPX is sys.modules.get("httpx", _ABSENT):
        return
    with _LOCK:
        _patch(httpx2.HTTPTransport, "handle_request", _httpx2_sync)
        _patch(httpx2.AsyncHTTPTransport, "handle_async_request", _httpx2_async)
        _install_httpx()
        _INSTALLED = True


def _install_httpx() -> None:
    global _INSTALLED_HTTPX
    try:
        import httpx
    except ImportError:
        _INSTALLED_HTTPX = _ABSENT  # not installed: nothing to patch, now or later
        return
    _patch(httpx.HTTPTransport, "handle_request", _httpx_sync)
    _patch(httpx.AsyncHTTPTransport, "handle_async_request", _httpx_async)
    _INSTALLED_HTTPX = httpx


_INSTALLED = False
_ABSENT = object()
#: the httpx module object patched last (``_ABSENT`` when httpx cannot be imported)
_INSTALLED_HTTPX: Any = None


def installed() -> bool:
    return (httpx2.HTTPTransport, "handle_request") in _ORIGINALS


__all__ = ["MISS_HEADER", "Route", "current_route", "install", "installed", "passthrough", "route"]
