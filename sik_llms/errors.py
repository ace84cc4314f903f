"""Typed exceptions for provider failures, independent of which SDK raised them.

Callers (and the telemetry layer) should not need to know the OpenAI or Anthropic SDK's
exception tree: every provider failure surfaces as an ``LLMError`` subclass carrying the HTTP
status, the provider, the provider's own error type and message, and (for 429) how long to wait.
A stream that breaks mid-way keeps the text already received in ``partial_text``.
"""

from __future__ import annotations

from typing import Any

from sik_llms.redact import redact, redact_data


class LLMError(Exception):
    """Base of every error sik_llms raises for a failed provider call."""

    default_error_type = "llm_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        provider: str | None = None,
        error_type: str | None = None,
        retry_after: float | None = None,
        partial_text: str = "",
        body: Any = None,
    ) -> None:
        message = redact(message)  # no key-shaped value in any error text we raise
        super().__init__(message)
        self.message = message
        self.status = status
        self.provider = provider
        self.error_type = error_type or self.default_error_type
        self.retry_after = retry_after
        self.partial_text = partial_text
        self.body = redact_data(body)  # an error body may echo the key

    def __str__(self) -> str:
        prefix = f"[{self.provider} {self.status}] " if self.provider and self.status else ""
        return f"{prefix}{self.message}"


class AuthenticationError(LLMError):
    """401: the API key is missing, wrong or revoked."""

    default_error_type = "authentication_error"


class PermissionDeniedError(LLMError):
    """403: the key is valid but may not use this model or endpoint."""

    default_error_type = "permission_error"


class NotFoundError(LLMError):
    """404: usually an unknown model name or a wrong base_url."""

    default_error_type = "not_found_error"


class BadRequestError(LLMError):
    """400 (and 409/413/422): the request itself was rejected; retrying will not help."""

    default_error_type = "invalid_request_error"


class RateLimitError(LLMError):
    """429: slow down; ``retry_after`` holds the provider's hint in seconds when it gave one."""

    default_error_type = "rate_limit_error"


class ServerError(LLMError):
    """5xx: the provider failed; retrying later may help."""

    default_error_type = "api_error"


class OverloadedError(ServerError):
    """529 (Anthropic ``overloaded_error``): the provider is temporarily over capacity."""

    default_error_type = "overloaded_error"


class ConnectionError(LLMError):
    """The provider could not be reached, or the connection dropped or timed out."""

    default_error_type = "connection_error"


class MalformedStreamError(LLMError):
    """The provider sent data we cannot parse (broken SSE / JSON)."""

    default_error_type = "malformed_stream_error"


class RedirectError(LLMError):
    """3xx: the endpoint answered with a redirect, which API calls do not follow (a POST body
    would be lost or resent to a host you did not choose). ``location`` is where it pointed
    (without its query string); fix ``base_url`` to the final address."""

    default_error_type = "redirect"

    def __init__(self, message: str, *, location: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.location = location


class UnexpectedContentError(MalformedStreamError):
    """A successful status with a body that is not the API's (an HTML login or proxy page, plain
    text): usually a wrong ``base_url`` or a proxy in the way. ``content_type`` is what came."""

    default_error_type = "unexpected_content_type"

    def __init__(self, message: str, *, content_type: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.content_type = content_type


class StructuredOutputError(LLMError):
    """The model's structured output did not validate against the requested schema."""

    default_error_type = "structured_output_error"

    def __init__(self, message: str, *, raw: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.raw = raw


class ConfigurationError(LLMError, ValueError):
    """The client was configured wrongly (missing API key, bad option): fix the call, not the network."""

    default_error_type = "configuration_error"


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the provider's environment variable is not set."""

    default_error_type = "missing_api_key"


class InvalidAPIKeyError(ConfigurationError):
    """The API key cannot be sent as an HTTP header value (a line break, a non-ASCII or control
    character, surrounding whitespace). The message says which and where, never the key."""

    default_error_type = "invalid_api_key"


_STATUS_CLASSES: dict[int, type[LLMError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: BadRequestError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    529: OverloadedError,
}

# Error types providers put in bodies (Anthropic stream errors arrive with HTTP 200).
_TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
}


def class_for_status(status: int | None) -> type[LLMError]:
    """The exception class for an HTTP status (5xx other than 529 -> ServerError)."""
    if status is None:
        return LLMError
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if status >= 500:
        return ServerError
    if status >= 400:
        return BadRequestError
    return LLMError


def status_for_error_type(error_type: str | None) -> int | None:
    """The HTTP status a provider error type stands for (used when the transport said 200)."""
    return _TYPE_STATUS.get(error_type or "")


def error_type_name(exc: BaseException) -> str:
    """A low-cardinality name for the ``error.type`` span attribute."""
    if isinstance(exc, LLMError):
        return exc.error_type
    return type(exc).__name__


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` headers (None if absent or a date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return float(ms) / 1000.0
        value = headers.get("retry-after")
        if value is not None:
            return float(value)
    except (TypeError, ValueError):
        return None
    return None
