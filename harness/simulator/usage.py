"""Token usage for an answer: explicit scenario values win, the rest is estimated.

Prompt caching is simulated the way the providers behave: Anthropic caches the prefix up to the
last ``cache_control`` breakpoint (first sight writes, later sights read); OpenAI caches
automatically for prompts of 1024+ tokens, in 128-token steps, once the prefix was seen.
"""

from __future__ import annotations

import json
import threading

from harness.simulator.model import Answer, RequestView, Usage
from harness.simulator.tokens import count_tokens


def output_tokens(answer: Answer) -> int:
    """Tokens the model produced (text, refusal, tool arguments, thinking)."""
    total = count_tokens(answer.text or "") + count_tokens(answer.refusal or "")
    total += count_tokens(answer.thinking or "")
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
        cache_read = cache_write = cached = 0
        if view.cache_prefix_key:
            with self._lock:
                hit = view.cache_prefix_key in self._seen
                self._seen.add(view.cache_prefix_key)
            if view.provider == "anthropic":
                if hit:
                    cache_read = view.cache_prefix_tokens
                else:
                    cache_write = view.cache_prefix_tokens
            elif hit and view.prompt_tokens >= 1024:
                cached = (view.cache_prefix_tokens // 128) * 128
        out = output_tokens(answer) * max(view.n, 1)
        reasoning = count_tokens(answer.thinking or "") if view.provider == "openai" else 0
        usage = Usage(
            input_tokens=view.prompt_tokens - (cache_read + cache_write if view.provider == "anthropic" else 0),
            output_tokens=out,
            cached_tokens=cached,
            reasoning_tokens=reasoning,
            cache_creation_input_tokens=cache_write,
            cache_read_input_tokens=cache_read,
        )
        for key, value in answer.usage.items():
            setattr(usage, key, int(value))
        usage.input_tokens = max(usage.input_tokens, 0)
        return usage
