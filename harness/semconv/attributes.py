"""Attribute-level rules shared by spans, metric points and events: names, types, enum values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from harness.semconv import rules as R
from harness.semconv.model import Violation


def value_type(value: Any) -> str:
    """The OTel attribute type of a Python value (``string[]`` etc. for sequences)."""
    if isinstance(value, bool):
        return R.BOOL
    if isinstance(value, int):
        return R.INT
    if isinstance(value, float):
        return R.DOUBLE
    if isinstance(value, str):
        return R.STRING
    if isinstance(value, (list, tuple)):
        inner = {value_type(v) for v in value}
        return f"{inner.pop()}[]" if len(inner) == 1 else ("string[]" if not inner else "mixed[]")
    return type(value).__name__


def check_attributes(subject: str, attributes: Mapping[str, Any]) -> Iterator[Violation]:
    """Deprecated names, names outside the registry, wrong types, values outside enums."""
    for key, value in attributes.items():
        if key in R.DEPRECATED:
            replacement = R.DEPRECATED[key]
            hint = f"use {replacement}" if replacement else "remove it"
            yield Violation("attribute.deprecated", subject, f"deprecated name; {hint}", key)
            continue
        expected = R.ATTRIBUTE_TYPES.get(key)
        if expected is None:
            if key.startswith(R.CHECKED_NAMESPACES):
                yield Violation(
                    "attribute.unknown",
                    subject,
                    "not in the GenAI registry (a typo or a private name in a semconv namespace?)",
                    key,
                )
            continue
        actual = value_type(value)
        if expected != R.ANY and actual != expected:
            yield Violation(
                "attribute.type", subject, f"is {actual} {value!r}, the spec says {expected}", key
            )
            continue
        allowed = R.ENUMS.get(key)
        if allowed is not None:
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if v not in allowed:
                    yield Violation(
                        "attribute.enum",
                        subject,
                        f"value {v!r} is not one of {', '.join(sorted(allowed))}",
                        key,
                    )
        if key == R._srv.SERVER_ADDRESS and R._srv.SERVER_PORT not in attributes:
            yield Violation(
                "attribute.required",
                subject,
                "server.port is conditionally required when server.address is set",
                R._srv.SERVER_PORT,
            )
