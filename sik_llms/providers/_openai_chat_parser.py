"""OpenAI Chat Completions, parsed: chunks (or one full completion) -> our events and one
response. Pure code, no I/O; the shared rules (usage, cost, the response) are in
``_openai_parsers``.
"""

from __future__ import annotations

from typing import Any

from sik_llms.providers._openai_parsers import (
    CHAT_USAGE,
    OpenAIWire,
    P,
    usage_counts,
)
from sik_llms.providers._shape import (
    dict_list,
    opt_dict,
    opt_int,
    opt_str,
)
from sik_llms.types import (
    Event,
    TextChunkEvent,
    ThinkingChunkEvent,
    ToolCallChunkEvent,
)

__all__ = ["OpenAIChatParser"]


class OpenAIChatParser(OpenAIWire):
    """Chat Completions chunks (or one full completion), as JSON -> events + one response. No I/O.

    Only choice 0 is the answer (``n > 1`` requests still parse). Usage comes from the final
    chunk (``include_usage``), whose ``choices`` is empty. Tool calls of ``"type": "function"``
    (``function.name`` / ``function.arguments``) and ``"type": "custom"`` (``custom.name`` /
    ``custom.input``) are folded by the rule in ``_fold``.
    """

    def feed(self, data: dict[str, Any]) -> list[Event]:
        r = self._r
        r.response_id = r.response_id or opt_str(data, "id", P)
        r.model = opt_str(data, "model", P) or r.model
        usage = opt_dict(data, "usage", P)
        if usage is not None:
            r.usage = usage_counts(usage, CHAT_USAGE)
        events: list[Event] = []
        for choice in dict_list(data, "choices", P):
            if (opt_int(choice, "index", P) or 0) != 0:
                continue
            finish = opt_str(choice, "finish_reason", P)
            if finish:
                r.finish_reason = finish
            delta = opt_dict(choice, "delta", P)
            if not delta:
                continue
            reasoning = opt_str(delta, "reasoning_content", P)  # OpenAI-compatible servers
            if reasoning:
                r.thinking.append(reasoning)
                events.append(ThinkingChunkEvent(content=reasoning))
            content = opt_str(delta, "content", P)
            if content:
                r.text.append(content)
                if self._emit_text:
                    events.append(TextChunkEvent(content=content, logprob=_first_logprob(choice)))
            refusal = opt_str(delta, "refusal", P)
            if refusal:
                r.refusal.append(refusal)
            for call in dict_list(delta, "tool_calls", P):
                events.append(self._fold_call(call))
        return events

    def _fold_call(self, call: dict[str, Any]) -> ToolCallChunkEvent:
        kind, name, piece = _chat_call_parts(call)
        folded = self._r.tools.delta(
            opt_int(call, "index", P) or 0,
            id=opt_str(call, "id", P),
            name=name,
            kind=kind,
            piece=piece,
        )
        return ToolCallChunkEvent(
            name=folded.name, call_id=folded.id, arguments_delta=piece or "", kind=folded.kind
        )

    def feed_full(self, data: dict[str, Any]) -> list[Event]:
        """A non-streamed completion: one text chunk with the whole text (if any)."""
        r = self._r
        r.response_id = opt_str(data, "id", P)
        r.model = opt_str(data, "model", P)
        usage = opt_dict(data, "usage", P)
        if usage is not None:
            r.usage = usage_counts(usage, CHAT_USAGE)
        choices = dict_list(data, "choices", P)
        if not choices:
            return []
        choice = choices[0]
        r.finish_reason = opt_str(choice, "finish_reason", P)
        message = opt_dict(choice, "message", P) or {}
        events: list[Event] = []
        content = opt_str(message, "content", P)
        if content:
            r.text.append(content)
            if self._emit_text:
                events.append(TextChunkEvent(content=content))
        refusal = opt_str(message, "refusal", P)
        if refusal:
            r.refusal.append(refusal)
        for index, call in enumerate(dict_list(message, "tool_calls", P)):
            kind, name, piece = _chat_call_parts(call)
            if kind is not None or name:
                r.tools.start(index, id=opt_str(call, "id", P), name=name, kind=kind)
                r.tools.delta(index, piece=piece)
        return events


def _chat_call_parts(call: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(kind, name, streamed piece) of one Chat Completions tool-call entry or delta."""
    ctype = opt_str(call, "type", P)
    custom = opt_dict(call, "custom", P)
    if custom is not None or ctype == "custom":
        custom = custom or {}
        return "custom", opt_str(custom, "name", P), opt_str(custom, "input", P)
    fn = opt_dict(call, "function", P) or {}
    return (
        ("function" if ctype or fn else None),
        opt_str(fn, "name", P),
        opt_str(fn, "arguments", P),
    )


def _first_logprob(choice: dict[str, Any]) -> float | None:
    content = dict_list(opt_dict(choice, "logprobs", P) or {}, "content", P)
    if not content:
        return None
    value = content[0].get("logprob")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
