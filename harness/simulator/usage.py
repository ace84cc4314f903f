"""Token usage for an answer: explicit scenario values win, the rest is estimated.

Prompt caching is simulated the way the providers behave: Anthropic caches the prefix up to the
last ``cache_control`` breakpoint (first sight writes, later sights read; tokens up to the last
``ttl: "1h"`` breakpoint are written to the 1-hour bucket); OpenAI caches automatically for
prompts of 1024+ tokens, in 128-token steps, once the prefix was seen (a repeat of the whole
prompt, e.g. the same string ``input``, reads all of it but the last partial step).
"""

from __future__ import annotations

import json
import threading

from harness.simulator.model import Answer, RequestView, Usage
from harness.simulator.tokens import count_tokens


def output_tokens(answer: Answer) -> int:
    """Tokens the model produced (text, refusal, tool arguments, thinking)."""
    total = count_tokens(answer.text or "") + count_tokens(answer.refusal or "")
    total += (
        count_tokens(answer.thinking or "")
        + answer.reasoning_tokens
        + count_tokens(answer.compaction or "")
    )
    for call in answer.tool_calls:
        args = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
        total += count_tokens(args) + count_tokens(call.name) + 3
    return max(total, 1)


class PromptCache:
    """Remembers which prompt prefixes were seen (per simulator) to report cache hits."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def usage(self, view: RequestView, answer: Answer) -> Usage:
        cache_read = cache_write = cached = write_1h = 0
        if view.provider == "anthropic" and view.cache_prefix_key:
            with self._lock:
                hit = view.cache_prefix_key in self._seen
                self._seen.add(view.cache_prefix_key)
            if hit:
                cache_read = view.cache_prefix_tokens
            else:
                cache_write = view.cache_prefix_tokens
                write_1h = min(view.cache_prefix_1h_tokens, cache_write)
        elif view.provider == "openai" and (view.cache_full_key or view.cache_prefix_key):
            with self._lock:
                whole = bool(view.cache_full_key) and view.cache_full_key in self._seen
                prefix = bool(view.cache_prefix_key) and view.cache_prefix_key in self._seen
                self._seen.update(k for k in (view.cache_full_key, view.cache_prefix_key) if k)
            if view.prompt_tokens >= 1024 and (whole or prefix):
                seen_tokens = view.prompt_tokens - 1 if whole else view.cache_prefix_tokens
                cached = (seen_tokens // 128) * 128
        out = output_tokens(answer) * max(view.n, 1)
        reasoning = answer.reasoning_tokens + (
            count_tokens(answer.thinking or "") if view.provider == "openai" else 0
        )
        usage = Usage(
            input_tokens=view.prompt_tokens
            - (cache_read + cache_write if view.provider == "anthropic" else 0),
            output_tokens=out,
            cached_tokens=cached,
            reasoning_tokens=reasoning,
            cache_creation_input_tokens=cache_write,
            cache_read_input_tokens=cache_read,
            cache_creation_1h_input_tokens=write_1h,
            server_tool_use=_server_tool_use(answer) if answer.server_tools else {},
        )
        for key, value in answer.usage.items():
            setattr(usage, key, int(value))
        usage.input_tokens = max(usage.input_tokens, 0)
        usage.cache_creation_1h_input_tokens = min(
            usage.cache_creation_1h_input_tokens, usage.cache_creation_input_tokens
        )
        return usage


def _server_tool_use(answer: Answer) -> dict[str, int]:
    """Anthropic ``usage.server_tool_use``: requests per server tool kind."""
    counts: dict[str, int] = {}
    for use in answer.server_tools:
        key = f"{use.kind}_requests"
        counts[key] = counts.get(key, 0) + 1
    return counts
