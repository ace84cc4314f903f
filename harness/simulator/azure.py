"""Azure OpenAI's content-filter annotations (the only shape Azure adds to OpenAI's answers).

Per learn.microsoft.com "Content filtering" / "Content streaming": a chat completion carries
``prompt_filter_results`` (one per prompt, with ``prompt_index``) and each choice a
``content_filter_results`` object; a stream starts with a chunk whose ``id``, ``model`` and
``object`` are empty, ``created`` is 0 and ``choices`` is ``[]``, carrying the prompt results, and
each later choice carries ``content_filter_results`` (``{}`` on the role and finish chunks).
"""

from __future__ import annotations

from typing import Any

__all__ = ["chunk_filter", "completion_filter", "prompt_filter_chunk", "prompt_filter_results"]

_CATEGORIES = ("hate", "self_harm", "sexual", "violence")


def _severity() -> dict[str, Any]:
    return {name: {"filtered": False, "severity": "safe"} for name in _CATEGORIES}


def prompt_filter_results() -> list[dict[str, Any]]:
    return [
        {
            "prompt_index": 0,
            "content_filter_results": {
                **_severity(),
                "jailbreak": {"filtered": False, "detected": False},
            },
        }
    ]


def completion_filter() -> dict[str, Any]:
    return {
        **_severity(),
        "protected_material_code": {"filtered": False, "detected": False},
        "protected_material_text": {"filtered": False, "detected": False},
    }


def chunk_filter(delta: dict[str, Any]) -> dict[str, Any]:
    """What a streamed choice carries: results for content pieces, ``{}`` otherwise."""
    return _severity() if delta.get("content") else {}


def prompt_filter_chunk() -> dict[str, Any]:
    return {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": prompt_filter_results(),
    }
