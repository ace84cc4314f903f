"""Provider SDK clients shared by sik_llms clients with equal settings, where a caller asks.

A sik_llms client builds its provider SDK client (``openai.OpenAI``, ``anthropic.Anthropic`` or
an async twin, over an httpx2 client routed through ``SikTransport``) on its first call: about
60 µs in a warm loop, over 100 µs between the tests of a pytest run. A test suite that makes a
client per test pays it per test. Inside ``share_sdk_clients()``, clients with equal settings
use one SDK client instead, built by the first of them.

Equal settings means equal in everything the SDK client is built from:

- the SDK class;
- every keyword sik_llms passes to it (API key, base URL, retries, timeout, and the
  provider's own options); a client whose keywords cannot be compared (an unhashable option)
  builds its own;
- the values of the environment variables the SDK reads when it is built (each provider's
  ``sdk_environment``, from the SDK's constructor), so a test that sets ``OPENAI_ORG_ID`` or
  ``ANTHROPIC_OPEN_TELEMETRY`` gets a client built with it;
- OpenTelemetry's global tracer provider: an SDK that traces its own calls (``anthropic``)
  gets its tracer from it on a client's first request and keeps it, so a test that installs
  its own provider (OpenTelemetry's ``TestBase``, ``reset_trace_globals``) gets a client that
  traces into that provider, not into an earlier test's;
- for async SDK clients, the running event loop (an async client is bound to its loop).

Every sik_llms client keeps its own cookies, as with an SDK client of its own: a shared
client's httpx2 client sends and stores the cookies of the sik_llms client whose request it is
sending (``own_cookies``), so cookies set by one client's responses never reach another
client's requests. Sharing is context-local (a ``ContextVar``): a thread started inside the
block builds its own clients. A pool keeps at most ``max_clients`` SDK clients (least recently
handed out dropped first); a dropped client stays usable by whoever holds it.

The harness shares clients in its replay-only cassette sessions (``harness.cassettes``), where
every request is answered from the cassette through ``use_transport``.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from http.cookiejar import CookieJar
from typing import Any

import httpx2
from opentelemetry import trace

__all__ = ["SdkClientPool", "active_pool", "new_cookie_jar", "own_cookies", "share_sdk_clients"]

#: ``(SDK client, its httpx2 client)`` as built by the caller's factory
Built = tuple[Any, Any]


class SdkClientPool:
    """SDK clients keyed by everything they are built from; thread-safe.

    ``max_clients``: how many SDK clients one pool keeps (per event loop for async ones).
    """

    def __init__(self, max_clients: int = 32) -> None:
        if max_clients < 1:
            raise ValueError(f"max_clients must be at least 1, not {max_clients!r}")
        self.max_clients = max_clients
        self._lock = threading.Lock()
        self._sync: OrderedDict[Any, Built] = OrderedDict()
        self._async: weakref.WeakKeyDictionary[Any, OrderedDict[Any, Built]] = (
            weakref.WeakKeyDictionary()
        )

    def __len__(self) -> int:
        """How many SDK clients the pool keeps, sync and async."""
        with self._lock:
            return len(self._sync) + sum(len(d) for d in self._async.values())

    def __repr__(self) -> str:  # never the keys: they hold API keys
        return f"<SdkClientPool {len(self)} of at most {self.max_clients}>"

    def clear(self) -> None:
        """Forget every kept client (those handed out stay usable)."""
        with self._lock:
            self._sync.clear()
            self._async.clear()

    def get(
        self,
        sdk_class: type,
        kwargs: Mapping[str, Any],
        environment: tuple[str, ...],
        build: Callable[[], Built],
        loop: Any = None,
    ) -> Any | None:
        """The SDK client for these settings, built with ``build`` (returning the SDK client
        and its httpx2 client) when the pool has none. ``environment``: the names of the
        variables the SDK reads when built. ``loop``: the event loop of an async client.
        None when the settings cannot be compared: the caller builds its own client."""
        get = os.environ.get
        # the provider's id is safe: a client holding a tracer from it keeps it alive, and one
        # holding none gets its tracer from the provider of the test making the request
        key = (
            sdk_class,
            tuple(sorted(kwargs.items())),
            tuple(get(name) for name in environment),
            id(trace.get_tracer_provider()),
        )
        try:
            hash(key)
        except TypeError:
            return None
        with self._lock:
            kept = self._kept(loop)
            if kept is None:
                return None
            hit = kept.get(key)
            if hit is not None:
                kept.move_to_end(key)
        if hit is None:
            built = build()  # outside the lock: building takes tens of microseconds
            with self._lock:
                kept = self._kept(loop)
                if kept is None:
                    return built[0]
                hit = kept.setdefault(key, built)
                if hit is built:  # cookies: the jar of the caller sending (``own_cookies``)
                    built[1].cookies = _CallersJar()
                kept.move_to_end(key)
                while len(kept) > self.max_clients:
                    kept.popitem(last=False)
        return hit[0]

    def _kept(self, loop: Any) -> OrderedDict[Any, Built] | None:
        """The clients kept for ``loop`` (None: the sync ones); None when ``loop`` cannot be
        weakly referenced (it is then never shared). Called with the lock held."""
        if loop is None:
            return self._sync
        try:
            kept = self._async.get(loop)
            if kept is None:
                kept = self._async[loop] = OrderedDict()
        except TypeError:
            return None
        return kept


_ACTIVE: ContextVar[SdkClientPool | None] = ContextVar("sik_llms_sdk_client_pool", default=None)
_CALLERS_JAR: ContextVar[CookieJar | None] = ContextVar("sik_llms_callers_jar", default=None)


class _CallersJar(CookieJar):
    """A shared httpx2 client's cookie jar (installed with the client's public ``cookies``
    setter, which keeps a ``CookieJar`` as given): every operation httpx2 makes on a client's
    cookies (adding the header, extracting from a response, iterating, clearing) goes to the
    jar of the sik_llms client whose request is being sent (``own_cookies``), else to this
    jar itself."""

    def add_cookie_header(self, request: Any) -> None:
        jar = _CALLERS_JAR.get()
        return super().add_cookie_header(request) if jar is None else jar.add_cookie_header(request)

    def extract_cookies(self, response: Any, request: Any) -> None:
        jar = _CALLERS_JAR.get()
        if jar is None:
            return super().extract_cookies(response, request)
        return jar.extract_cookies(response, request)

    def set_cookie(self, cookie: Any) -> None:
        jar = _CALLERS_JAR.get()
        return super().set_cookie(cookie) if jar is None else jar.set_cookie(cookie)

    def clear(self, domain: Any = None, path: Any = None, name: Any = None) -> None:
        jar = _CALLERS_JAR.get()
        if jar is None:
            return super().clear(domain, path, name)
        return jar.clear(domain, path, name)

    def __iter__(self) -> Iterator[Any]:
        jar = _CALLERS_JAR.get()
        return super().__iter__() if jar is None else iter(jar)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def new_cookie_jar() -> CookieJar:
    """An empty cookie jar of the kind httpx2 clients keep (for ``own_cookies``)."""
    return httpx2.Cookies().jar


class _ContextValue:
    """A ContextVar set for a block and reset after (a class: entered once per call or test)."""

    __slots__ = ("_token", "_value", "_var")

    def __init__(self, var: ContextVar[Any], value: Any) -> None:
        self._var = var
        self._value = value
        self._token: Any = None

    def __enter__(self) -> Any:
        self._token = self._var.set(self._value)
        return self._value

    def __exit__(self, *exc: object) -> None:
        self._var.reset(self._token)


#: what ``own_cookies(None)`` returns: a client with an SDK client of its own sets nothing
_OWN_JAR = nullcontext()


def own_cookies(jar: CookieJar | None) -> AbstractContextManager[None]:
    """Requests that shared SDK clients send in the block send and store the cookies of
    ``jar`` (the calling sik_llms client's, from ``new_cookie_jar``; None: the shared client's
    own), as an SDK client of the caller's own would."""
    return _OWN_JAR if jar is None else _ContextValue(_CALLERS_JAR, jar)


def active_pool() -> SdkClientPool | None:
    """The pool ``share_sdk_clients`` made active in this context, or None."""
    return _ACTIVE.get()


def share_sdk_clients(pool: SdkClientPool | None = None) -> AbstractContextManager[SdkClientPool]:
    """Clients whose first call is in the block share SDK clients through ``pool`` (a new
    one when None, kept only for the block); the block gets the pool. Nested blocks use the
    innermost pool. A client keeps the SDK client it got after the block ends."""
    return _ContextValue(_ACTIVE, pool if pool is not None else SdkClientPool())
