"""Helpers both provider modules share: API keys, error mapping, structured-output validation.

Everything here is provider-neutral in shape; each provider module passes in what is specific
(its SDK's exception classes are recognised by duck typing on ``status_code`` / ``body``).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

import httpx2
from pydantic import BaseModel, ValidationError

from sik_llms import errors
from sik_llms.redact import invalid_header_value_reason, redact, register_secret, scrub_chain
from sik_llms.shared_clients import active_pool, new_cookie_jar, own_cookies
from sik_llms.sse import SseDecoder, SseEvent
from sik_llms.transport import async_http_client, sync_http_client
from sik_llms.types import Event, Response

# Both SDKs put platform.platform() in their request headers; its first call forks `uname -p`.
# Under gevent (locust, gunicorn's gevent workers) many greenlets make that first call at once,
# and with the OTel batch processor's at-fork hook each fork ran greenlets in the child: a fork
# storm. Paying the ~5 ms once here, at import, before any greenlet runs, avoids it.
platform.platform()


def resolve_api_key(api_key: str | None, env_var: str, provider: str, *, allow_dummy: bool) -> str:
    """The key from the argument or the environment; a clear error when neither has one."""
    key = api_key or os.environ.get(env_var)
    if key:
        register_secret(
            key if isinstance(key, str) else None
        )  # whatever it looks like, it is redacted from every text we write
        return key
    if allow_dummy:  # OpenAI-compatible servers (vLLM, Ollama, simulators) usually ignore the key
        return "sk-no-key-required"
    raise errors.MissingAPIKeyError(
        f"No {provider} API key: set the {env_var} environment variable or pass api_key=... "
        "to the client.",
        provider=provider,
    )


def server_address(base_url: str | None, default_host: str) -> tuple[str, int]:
    """Host and port the requests go to (for ``server.address`` / ``server.port``)."""
    if not base_url:
        return default_host, 443
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or default_host, port


def _body_error(body: Any) -> tuple[str | None, str | None]:
    """(error type, message) from an error body in OpenAI's or Anthropic's envelope."""
    if isinstance(body, Mapping):
        inner = body.get("error") if isinstance(body.get("error"), Mapping) else body
        etype = inner.get("type") or inner.get("code")
        message = inner.get("message")
        return (str(etype) if etype else None), (str(message) if message is not None else None)
    if isinstance(body, str) and body:
        return None, body
    return None, None


def error_from_body(
    body: Any,
    provider: str,
    *,
    status: int | None = None,
    headers: Any = None,
    fallback: str = "",
    partial_text: str = "",
) -> errors.LLMError:
    """The typed error for an error body, from an HTTP error response or an in-stream error.

    In-stream errors arrive with HTTP 200 (or no status): the error type tells the real one.
    """
    if isinstance(status, int) and 300 <= status < 400:
        return redirect_error(provider, status, headers)
    etype, message = _body_error(body)
    if isinstance(status, int) and status >= 400:
        effective = status
    else:
        effective = errors.status_for_error_type(etype) or 500
    cls = errors.class_for_status(effective)
    if effective == 500 and etype == "overloaded_error":
        cls = errors.OverloadedError
    return cls(
        message or fallback or f"{provider} returned an error",
        status=effective,
        provider=provider,
        error_type=etype,
        retry_after=errors.parse_retry_after(headers) if effective == 429 else None,
        partial_text=partial_text,
        body=body,
    )


def redirect_error(provider: str, status: int, headers: Any) -> errors.RedirectError:
    """The typed error for a 3xx answer (the SDKs do not follow redirects on API calls)."""
    location = None
    try:
        raw = headers.get("location") if headers is not None else None
    except Exception:  # headers of an unexpected type: no location to report
        raw = None
    if isinstance(raw, str) and raw:
        parts = urlsplit(raw)  # the query string can carry credentials: never repeated
        location = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
    where = f" to {location}" if location else ""
    return errors.RedirectError(
        f"{provider} answered HTTP {status}, a redirect{where}; API calls are not redirected: "
        "set base_url to the final address",
        status=status,
        provider=provider,
        location=location,
    )


def body_kind(response: Any, provider: str, streaming: bool) -> str:
    """``"sse"`` or ``"json"``: how to read a successful response, from its content type.

    No content type: what was asked for. ``text/event-stream``: SSE. JSON on a streamed call:
    the server ignored ``stream`` (or sent an error envelope) and the body is read whole.
    Anything else (an HTML proxy or login page, plain text) is ``UnexpectedContentError``, never
    an empty success.
    """
    raw = response.headers.get("content-type") or ""
    ctype = raw.split(";", 1)[0].strip().lower()
    if not ctype:
        return "sse" if streaming else "json"
    if ctype == "text/event-stream" and streaming:
        return "sse"
    if ctype == "application/json" or ctype.endswith("+json"):
        return "json"
    expected = "text/event-stream" if streaming else "application/json"
    raise errors.UnexpectedContentError(
        f"{provider} answered HTTP {response.status_code} with content-type {ctype!r} where {expected} "
        f"was expected ({response.request.url.path}): check base_url, or a proxy in the way",
        status=response.status_code,
        provider=provider,
        content_type=ctype,
    )


def no_events(provider: str, response: Any) -> errors.MalformedStreamError:
    """A streamed answer that carried no server-sent event at all (an empty body, or a page
    without a content type): never an empty success."""
    return errors.MalformedStreamError(
        f"{provider} answered HTTP {response.status_code} to a streamed call without a single "
        f"server-sent event ({response.request.url.path}): check base_url, or a proxy in the way",
        status=response.status_code,
        provider=provider,
    )


def map_exception(exc: BaseException, provider: str, partial_text: str = "") -> BaseException:
    """The typed ``LLMError`` for an SDK/transport failure (other exceptions come back as is).

    Secrets in ``exc`` and its chain are redacted in place first: it is chained to what we raise."""
    scrub_chain(exc)
    if isinstance(exc, errors.LLMError):
        if partial_text and not exc.partial_text:
            exc.partial_text = partial_text
        return exc
    status = getattr(exc, "status_code", None)
    if hasattr(exc, "body") and isinstance(status, int):  # the SDK's APIStatusError
        return error_from_body(
            exc.body,
            provider,
            status=status,
            headers=getattr(getattr(exc, "response", None), "headers", None),
            fallback=getattr(exc, "message", None) or str(exc),
            partial_text=partial_text,
        )
    name = type(exc).__name__
    if name in ("APIConnectionError", "APITimeoutError") or isinstance(exc, httpx2.TransportError):
        cause = exc.__cause__ or exc.__context__
        detail = f"{exc}" + (
            f" ({type(cause).__name__}: {cause})" if cause and str(cause) not in str(exc) else ""
        )
        return errors.ConnectionError(
            f"could not complete the request to {provider}: {redact(detail)}",
            provider=provider,
            error_type="timeout"
            if "Timeout" in name or isinstance(exc, httpx2.TimeoutException)
            else None,
            partial_text=partial_text,
        )
    if isinstance(exc, json.JSONDecodeError) or name == "APIResponseValidationError":
        return errors.MalformedStreamError(
            f"{provider} sent data that could not be parsed: {redact(str(exc))}",
            provider=provider,
            partial_text=partial_text,
        )
    return exc


def validate_structured(model: type[BaseModel], data: Any, provider: str) -> BaseModel:
    """Validate output into the caller's model; a failure raises StructuredOutputError."""
    try:
        if isinstance(data, str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.StructuredOutputError(
            f"the {provider} model's output does not match {model.__name__}: {exc}",
            provider=provider,
            raw=data,
        ) from exc


def parse_json_output(text: str, provider: str) -> Any:
    """Parse JSON output for a raw-schema (dict) response_format."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.StructuredOutputError(
            f"the {provider} model's output is not valid JSON: {exc}", provider=provider, raw=text
        ) from exc


def loads_arguments(raw: str) -> dict[str, Any]:
    """Tool-call arguments JSON -> dict (empty for an empty string)."""
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise errors.MalformedStreamError(
            f"tool call arguments are not valid JSON: {raw[:200]!r}"
        ) from exc
    return value if isinstance(value, dict) else {"value": value}


def split_sdk_options(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(JSON body, request options) from ``create``-style params, applying ``extra_body``,
    ``extra_headers`` and ``extra_query`` the way the SDKs' ``create`` does."""
    body = dict(params)
    options: dict[str, Any] = {}
    extra_body = body.pop("extra_body", None)
    if extra_body:
        body.update(extra_body)
    headers = body.pop("extra_headers", None)
    if headers:
        options["headers"] = dict(headers)
    query = body.pop("extra_query", None)
    if query:
        options["params"] = dict(query)
    return body, options


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class WireParser(Protocol):
    """What a provider's pure parser offers the shared I/O below."""

    @property
    def text(self) -> str: ...

    def feed_sse(self, sse: SseEvent) -> list[Event]: ...

    def feed_body(self, body: bytes) -> list[Event]: ...

    def finish(self) -> Response: ...


class SdkClients:
    """The official SDK clients of one provider client, and the two I/O faces over them.

    One sync client, created on first use; async clients are created lazily (sync-only users
    never need a loop) and once per event loop, because an async connection pool cannot be
    shared across loops (each ``asyncio.run`` makes a new one). Subclasses name their SDK
    classes in ``_sdk_classes`` and may add keyword arguments in ``_sdk_kwargs``.

    The SDK makes the request: auth, headers, retries with backoff, timeouts, HTTP errors as its
    typed exceptions. We go through its public ``post`` with ``cast_to=httpx2.Response`` (the
    SDKs' documented way to call an endpoint raw) and parse the body ourselves, skipping the
    two costliest things a ``create`` call does: transforming the request params against their
    TypedDict annotations (about 190 µs for a short chat request) and building a pydantic object
    per chunk. Our request is plain JSON already, and our parsers only need the JSON.
    Subclasses supply ``build_request``, ``_wire_request`` and ``_parser``.
    """

    provider: ClassVar[str]
    streaming: bool

    _api_key: str
    base_url: str | None
    _max_retries: int | None
    _timeout: float | None
    _sync_sdk: Any = None
    _async_sdk: Any = None
    _async_loop: Any = None
    #: this client's cookies while its SDK client is shared (None: the SDK client is its own)
    _sync_jar: Any = None
    _async_jar: Any = None
    #: environment variables the SDK reads when its client is built (its constructor's docs);
    #: clients shared by ``sik_llms.shared_clients`` are keyed on their values too
    sdk_environment: ClassVar[tuple[str, ...]] = ()

    def _sdk_classes(self) -> tuple[type, type]:
        raise NotImplementedError

    def _sdk_kwargs(self) -> dict[str, Any]:
        problem = invalid_header_value_reason(self._api_key)
        if problem:  # the HTTP layer would raise an error quoting the key; say it here, without it
            raise errors.InvalidAPIKeyError(
                f"the {self.provider} API key cannot be sent as an HTTP header: {problem} (the key is "
                "not shown). A key read from a file usually ends in a newline: use .strip().",
                provider=self.provider,
            )
        kwargs: dict[str, Any] = {"api_key": self._api_key}
        if self.base_url:
            kwargs["base_url"] = self.base_url
        if self._max_retries is not None:
            kwargs["max_retries"] = self._max_retries
        if self._timeout is not None:
            kwargs["timeout"] = self._timeout
        return kwargs

    def _sync_client(self) -> Any:
        if self._sync_sdk is None:
            sdk_class = self._sdk_classes()[0]
            self._sync_sdk, self._sync_jar = self._new_sdk(sdk_class, sync_http_client, None)
        return self._sync_sdk

    def _async_client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._async_sdk is None or self._async_loop is not loop:
            sdk_class = self._sdk_classes()[1]
            self._async_sdk, self._async_jar = self._new_sdk(sdk_class, async_http_client, loop)
            self._async_loop = loop
        return self._async_sdk

    def _new_sdk(self, sdk_class: type, http_client: Any, loop: Any) -> tuple[Any, Any]:
        """``(SDK client, this client's cookie jar)``: the active pool's shared SDK client and a
        jar of this client's own (``sik_llms.shared_clients``), else a new SDK client over
        ``http_client(timeout)`` and None."""
        kwargs = self._sdk_kwargs()

        def build() -> tuple[Any, Any]:
            http = http_client(self._timeout)
            return sdk_class(http_client=http, **kwargs), http

        pool = active_pool()
        shared = (
            pool.get(sdk_class, kwargs, self.sdk_environment, build, loop)
            if pool is not None
            else None
        )
        return (build()[0], None) if shared is None else (shared, new_cookie_jar())

    def build_request(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def _parser(self) -> WireParser:
        raise NotImplementedError

    def _wire_request(self, params: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(path, JSON body, request options) for the SDK's ``post`` from ``build_request``'s output."""
        raise NotImplementedError

    def _events_sync(self, messages: list[dict[str, Any]]) -> Iterator[Event | Response]:
        path, body, options = self._wire_request(self.build_request(messages))
        parser = self._parser()
        try:
            sdk = self._sync_client()
            with own_cookies(self._sync_jar):
                response = sdk.post(
                    path, cast_to=httpx2.Response, body=body, options=options, stream=self.streaming
                )
            try:
                if body_kind(response, self.provider, self.streaming) == "sse":
                    decoder = SseDecoder()
                    seen = 0
                    for chunk in response.iter_bytes():
                        for sse in decoder.feed(chunk):
                            seen += 1
                            yield from parser.feed_sse(sse)
                    for sse in decoder.flush():
                        seen += 1
                        yield from parser.feed_sse(sse)
                    if not seen:
                        raise no_events(self.provider, response)
                else:
                    yield from parser.feed_body(response.read())
            finally:
                response.close()
            result = parser.finish()
        except Exception as exc:
            mapped = map_exception(exc, self.provider, parser.text)
            if mapped is exc:
                raise
            raise mapped from exc
        yield result

    async def _events_async(
        self, messages: list[dict[str, Any]]
    ) -> AsyncIterator[Event | Response]:
        path, body, options = self._wire_request(self.build_request(messages))
        parser = self._parser()
        try:
            sdk = self._async_client()
            with own_cookies(self._async_jar):
                response = await sdk.post(
                    path, cast_to=httpx2.Response, body=body, options=options, stream=self.streaming
                )
            try:
                if body_kind(response, self.provider, self.streaming) == "sse":
                    decoder = SseDecoder()
                    seen = 0
                    async for chunk in response.aiter_bytes():
                        for sse in decoder.feed(chunk):
                            seen += 1
                            for event in parser.feed_sse(sse):
                                yield event
                    for sse in decoder.flush():
                        seen += 1
                        for event in parser.feed_sse(sse):
                            yield event
                    if not seen:
                        raise no_events(self.provider, response)
                else:
                    for event in parser.feed_body(await response.aread()):
                        yield event
            finally:
                await response.aclose()
            result = parser.finish()
        except Exception as exc:
            mapped = map_exception(exc, self.provider, parser.text)
            if mapped is exc:
                raise
            raise mapped from exc
        yield result
