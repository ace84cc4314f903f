"""The boundary between provider JSON and our parsers: every value is checked for its shape.

Providers (and OpenAI-compatible servers, proxies, broken recordings) can send anything: a
JSON array where an event object belongs, ``"choices": [1]``, a number as ``model``, bytes
that are not UTF-8. Each accessor here either returns a value of the documented type or
raises ``MalformedStreamError`` naming the field, so a parser never meets ``AttributeError``,
``TypeError``, ``KeyError`` or ``UnicodeDecodeError`` from provider data. ``guard`` is the
backstop around each parser entry point: anything untyped that still escapes becomes a
``MalformedStreamError`` too (typed errors pass through unchanged). Pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sik_llms.errors import LLMError, MalformedStreamError

__all__ = [
    "as_dict",
    "dict_list",
    "guard",
    "load_json",
    "opt_dict",
    "opt_int",
    "opt_str",
    "str_list",
]


def _bad(provider: str, what: str, value: Any, expected: str) -> MalformedStreamError:
    shown = repr(value)
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return MalformedStreamError(
        f"{provider} sent {what} that is not {expected}: {shown}", provider=provider
    )


def load_json(data: bytes | str, provider: str, what: str = "an event") -> Any:
    """``json.loads`` whose failures (bad JSON, non-UTF-8 bytes) are ``MalformedStreamError``."""
    try:
        return json.loads(data)
    except (
        ValueError,
        RecursionError,
    ) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise MalformedStreamError(
            f"{provider} sent {what} that is not valid JSON ({type(exc).__name__}: {str(exc)[:200]})",
            provider=provider,
        ) from exc


def as_dict(value: Any, provider: str, what: str) -> dict[str, Any]:
    """``value`` when it is a JSON object, else ``MalformedStreamError``."""
    if not isinstance(value, dict):
        raise _bad(provider, what, value, "a JSON object")
    return value


def opt_dict(data: dict[str, Any], key: str, provider: str) -> dict[str, Any] | None:
    """``data[key]`` when it is an object, None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    return as_dict(value, provider, f"{key!r}")


def opt_str(data: dict[str, Any], key: str, provider: str) -> str | None:
    """``data[key]`` when it is a string, None when absent or null."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(provider, f"{key!r}", value, "a string")


def opt_int(data: dict[str, Any], key: str, provider: str) -> int | None:
    """``data[key]`` when it is a non-negative integer (token counts), None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(provider, f"{key!r}", value, "a non-negative integer")
    return value


def dict_list(data: dict[str, Any], key: str, provider: str) -> list[dict[str, Any]]:
    """``data[key]`` when it is a list of objects ([] when absent or null)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(provider, f"{key!r}", value, "a list")
    for item in value:
        if not isinstance(item, dict):
            raise _bad(provider, f"an item of {key!r}", item, "a JSON object")
    return value


def str_list(data: dict[str, Any], key: str, provider: str) -> list[str]:
    """``data[key]`` when it is a list of strings ([] when absent or null)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(provider, f"{key!r}", value, "a list of strings")
    return value


@contextmanager
def guard(provider: str, partial_text: str = "") -> Iterator[None]:
    """Run parser code: typed errors pass, anything else raised by bad data becomes typed."""
    try:
        yield
    except LLMError as exc:
        if partial_text and not exc.partial_text:
            exc.partial_text = partial_text
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as exc:
        raise MalformedStreamError(
            f"{provider} sent data of an unexpected shape ({type(exc).__name__}: {str(exc)[:200]})",
            provider=provider,
            partial_text=partial_text,
        ) from exc
