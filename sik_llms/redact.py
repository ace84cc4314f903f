"""Secrets out of everything sik_llms writes: key shapes, credential names, URL scrubbing.

One home for the rules, shared by the library (exception texts, span attributes and events,
log lines, ``url.full``) and the harness (cassette scrubbing, request matching, the ``scan``
command), so what is redacted on the way out and what the scanner calls a secret never drift.

What counts as a secret:

- **key shapes** (``KEY_PATTERNS``): OpenAI ``sk-``/``sk-proj-``/``sk-svcacct-``/``sk-admin-``,
  Anthropic ``sk-ant-``, AWS ``AKIA``/``ASIA`` access key ids, Google ``AIza`` API keys and
  ``ya29.`` OAuth tokens, GitHub, Slack, Stripe, Hugging Face, Groq and xAI tokens, JWTs, PEM
  private keys. A shape is recognised right after a JSON/C escape (``\\nsk-...``), a ``\\u``
  escape or a percent-escape (``%0Ask-...``), not only after a word boundary;
- **auth-scheme credentials**: whatever follows ``Bearer``/``Basic``/``Digest``/``Token``/
  ``ApiKey``/``AWS4-HMAC-SHA256``/``OAuth``/``Negotiate``/``NTLM`` when it looks like a
  credential (``looks_like_token``; ``Basic`` when it decodes to ``user:password``);
- **registered values**: the API keys the clients were given (``register_secret``), whatever
  they look like, so a local server's ``"my-key"``-style key is redacted too;
- in URLs, the value of every **secret-named query parameter** (``is_secret_param``: keys,
  tokens, passwords, signatures, credentials, and cloud-signed URL parameters such as AWS
  ``X-Amz-Signature``/``X-Amz-Credential``/``X-Amz-Security-Token``, Google ``GoogleAccessId``/
  ``X-Goog-Signature``, Azure SAS ``sig``/``se``/``sp``/``skoid``..., CloudFront ``Signature``/
  ``Policy``/``Key-Pair-Id``), userinfo (``user:pass@`` -> ``REDACTED:REDACTED@``, as the OTel
  ``url.full`` convention says) and any key-shaped value anywhere in the URL.

Every replacement is the literal ``REDACTED``. Placeholders stay narrow: a value is a
placeholder only when it *is* one (``REDACTED``, ``<your-key>``, ``${OPENAI_API_KEY}``,
``xxxx``, ``***``), never merely because it contains a word such as "test".
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from sik_llms._redact_patterns import (
    AUTH_NAMES,
    AUTH_SCHEMES,
    KEY_PATTERNS,
    REDACTED,
    entropy,
    find_key_shaped,
    is_placeholder,
    looks_like_token,
    redact_keys,
    remember_secret,
)
from sik_llms._redact_url import (
    SECRET_PARAM_NAMES,
    is_secret_param,
    redact_url,
    redact_url_cached,
)

__all__ = [
    "AUTH_NAMES",
    "AUTH_SCHEMES",
    "KEY_PATTERNS",
    "REDACTED",
    "SECRET_FIELD",
    "SECRET_PARAM_NAMES",
    "RedactingFilter",
    "entropy",
    "exception_stacktrace",
    "exception_text",
    "find_key_shaped",
    "invalid_header_value_reason",
    "is_placeholder",
    "is_secret_param",
    "looks_like_token",
    "redact",
    "redact_data",
    "redact_url",
    "redact_value",
    "register_secret",
    "scrub_chain",
    "secrets_generation",
]

#: bumped whenever the registry of secrets changes (``secrets_generation``)
_GENERATION = [0]


def register_secret(value: str | None) -> None:
    """Redact this exact value (an API key a client was given) wherever sik_llms writes text.

    Values shorter than 8 characters or that are placeholders are ignored (redacting ``"x"``
    everywhere would destroy messages); the registry keeps the 64 most recent values."""
    remember_secret(value, _registry_changed)


def _registry_changed() -> None:  # runs under the registry's lock
    _redact_cached.cache_clear()
    _GENERATION[0] += 1


def secrets_generation() -> int:
    """A number that changes whenever a newly registered secret changes what ``redact``
    returns: a cache of redacted values keys on it (registering a known key changes nothing)."""
    return _GENERATION[0]


def redact_value(value: Any) -> Any:
    """An attribute value with secrets redacted: strings and sequences of strings; other
    values (numbers, booleans, None) unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        return type(value)(redact(v) if isinstance(v, str) else v for v in value)
    return value


def redact(text: str) -> str:
    """``text`` with every secret ``find_key_shaped`` finds replaced by ``REDACTED``."""
    if len(text) <= 4096:
        return _redact_cached(text)
    return _redact(text)


_URL_IN_TEXT = re.compile(r"""(?i)\bhttps?://[^\s"'<>`\\]+""")


def _redact(text: str) -> str:
    if "://" in text:  # URLs in any text (an error quoting a request URL): by name and shape
        text = _URL_IN_TEXT.sub(
            lambda m: redact_url_cached(m.group(0), False, False, frozenset()), text
        )
    return redact_keys(text)


@lru_cache(maxsize=512)
def _redact_cached(text: str) -> str:
    return _redact(text)


#: JSON field / header names whose string values are credentials, whatever they look like.
SECRET_FIELD = re.compile(
    r"(?i)^(?:x-)?(?:api[-_]?key|secret|client[-_]?secret|password|passwd|authorization|proxy-authorization|"
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|session[-_]?token|bearer|private[-_]?key|token|"
    r"aws[-_]?secret[-_]?access[-_]?key|secret[-_]?access[-_]?key|x-goog-api-key|auth[-_]?token|"
    r"security[-_]?token|credentials?)$"
)


def redact_data(data: Any, extra_fields: tuple[str, ...] = ()) -> Any:
    """JSON-like data with credential fields and key-shaped strings replaced by ``REDACTED``.

    Iterative (no recursion limit on deep documents)."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(data, root, 0)]
    while stack:
        value, parent, slot = stack.pop()
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            parent[slot] = out
            for k, v in value.items():
                if (
                    isinstance(v, str)
                    and isinstance(k, str)
                    and (SECRET_FIELD.match(k) or k in extra_fields)
                ):
                    out[k] = REDACTED
                else:
                    out[k] = None
                    stack.append((v, out, k))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            parent[slot] = items
            stack.extend((v, items, i) for i, v in enumerate(value))
        elif isinstance(value, str):
            parent[slot] = redact(value)
        else:
            parent[slot] = value
    return root[0]


# --- header values --------------------------------------------------------------------------


def invalid_header_value_reason(value: Any) -> str | None:
    """Why ``value`` cannot be sent as an HTTP header value (RFC 9110 field-value), without
    quoting it; ``None`` when it can."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if not value:
        return "it is empty"
    for i, ch in enumerate(value):
        if ch in "\r\n":
            return f"it contains a line break at character {i + 1}"
        if ord(ch) > 126:
            return f"it contains a non-ASCII character at character {i + 1}"
        if (ord(ch) < 32 and ch != "\t") or ord(ch) == 127:
            return f"it contains a control character at character {i + 1}"
    if value != value.strip():
        return "it starts or ends with whitespace"
    return None


# --- exceptions -----------------------------------------------------------------------------


def scrub_chain(exc: BaseException) -> None:
    """Redact, in place, the string arguments of ``exc`` and of every exception chained to it
    (``__cause__`` / ``__context__``), so a traceback printed later shows no secret."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            args = current.args
            clean = tuple(redact(a) if isinstance(a, str) else a for a in args)
            if clean != args:
                current.args = clean
            message = getattr(current, "message", None)  # the SDKs keep the text here too
            if isinstance(message, str) and redact(message) != message:
                current.message = redact(message)  # type: ignore[attr-defined]
        except Exception:  # an exception type that refuses new args keeps them
            pass
        stack += [current.__cause__, current.__context__]  # type: ignore[list-item]


def exception_text(exc: BaseException) -> str:
    """``str(exc)`` with secrets redacted."""
    try:
        return redact(str(exc))
    except Exception:
        return f"<{type(exc).__name__}: unprintable>"


def exception_stacktrace(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` (with its chain) with secrets redacted."""
    import traceback

    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


# --- logs -----------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from a record's message and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _install_log_filter() -> None:
    """Every record the ``sik_llms`` logger emits passes through a ``RedactingFilter``."""
    logger = logging.getLogger("sik_llms")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


_install_log_filter()
