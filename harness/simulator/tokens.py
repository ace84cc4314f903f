"""A deterministic token estimate: plausible counts, same text -> same count, no tokenizer.

Real tokenizers give about four characters per token for English text: common words are one
token, long words a few, punctuation one. We count word-like runs and punctuation marks,
charging one token per started six characters of a run, which lands near four characters per
token on prose (spaces included). Stream pieces are the
words with their leading whitespace, which is how both providers' deltas look.
"""

from __future__ import annotations

import json
import re
from typing import Any

_RUNS = re.compile(r"\w+|[^\w\s]")
_PIECES = re.compile(r"\s*\S+|\s+")


def count_tokens(text: str) -> int:
    """Estimated tokens in ``text`` (0 for empty)."""
    return sum((len(run) + 5) // 6 for run in _RUNS.findall(text))


def count_json_tokens(value: Any) -> int:
    """Tokens of a JSON value as the model would write it."""
    return count_tokens(
        value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    )


def split_pieces(text: str) -> list[str]:
    """Split text into stream deltas (a word with its leading whitespace); joins back exactly."""
    return _PIECES.findall(text) if text else []


def split_fixed(text: str, size: int = 8) -> list[str]:
    """Split text (e.g. JSON arguments) into fixed-size pieces, as tool-argument deltas come."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def truncate_to_tokens(text: str, limit: int) -> tuple[str, bool]:
    """Cut ``text`` after ``limit`` tokens of pieces; returns (text, was_truncated)."""
    if count_tokens(text) <= limit:
        return text, False
    out: list[str] = []
    used = 0
    for piece in split_pieces(text):
        cost = count_tokens(piece)
        if used + cost > limit:
            break
        out.append(piece)
        used += cost
    return "".join(out), True
