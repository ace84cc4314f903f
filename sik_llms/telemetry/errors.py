"""The ``error.type`` value for an exception, shared by spans and metrics."""

from __future__ import annotations


def error_type(exc: BaseException) -> str:
    """Low-cardinality ``error.type``: the provider's error type when known, else the class."""
    explicit = getattr(exc, "error_type", None)
    if isinstance(explicit, str) and explicit:
        return explicit
    cls = type(exc)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
