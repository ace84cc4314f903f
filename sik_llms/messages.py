"""Message helpers (to be completed by the client issue)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def normalize_messages(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """Copies of the caller's messages as plain dicts (never mutates the input)."""
    out = []
    for m in messages:
        out.append(dict(m.model_dump() if hasattr(m, "model_dump") else m))
    return out
