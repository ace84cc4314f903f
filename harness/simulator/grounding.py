"""Ground generated values in the conversation, the way a model fills them in.

A model asked "What's the weather in Seattle and San Francisco?" with a ``get_weather(location)``
tool calls it twice, once per city, with the cities as arguments; asked to pick a next step
from an enum (``use_tool`` / ``finished``) after being shown a list of tools, it uses the listed
tools it has not used yet, then finishes. This module reads those cues from a ``RequestView``
(pure functions, deterministic) and gives the schema generator a ``fill`` hook.
"""

from __future__ import annotations

import re
from typing import Any

from harness.simulator.model import RequestView, ToolSpec
from harness.simulator.schemagen import SKIP, Fill

__all__ = ["Grounding", "pick_tools"]

_ENTITY = re.compile(r"\b[A-Z][a-zA-Z]+(?:[ \t]+[A-Z][a-zA-Z]+)*")
_SENTENCE_START = re.compile(r"(?:^|[.?!:]\s+|\n\s*)([A-Z][a-zA-Z]*)")
_LISTED = re.compile(r"^\s*[-*]\s*`?([A-Za-z_][\w.-]*)`?\s*[:(]", re.MULTILINE)
_WORDS = re.compile(r"[a-z]{3,}")
_PLACE_WORDS = ("city", "location", "place", "destination", "country", "town", "region", "where")
_FROM_WORDS = ("origin", "from", "departure_city", "source")
_PROSE_NAMES = (
    "thought",
    "reasoning",
    "explanation",
    "rationale",
    "summary",
    "answer",
    "response",
    "text",
    "content",
    "message",
    "reply",
)
_DATES = ("2026-05-15", "2026-05-17")
_ACT = ("tool", "call", "search", "act", "use")
_FINISH = ("finish", "done", "final", "answer", "complete", "stop", "end")
_STOP = {
    "the",
    "and",
    "for",
    "with",
    "what",
    "whats",
    "this",
    "that",
    "use",
    "get",
    "find",
    "given",
    "tool",
    "then",
}


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORDS.findall(text.lower())} - _STOP


class Grounding:
    """Cues in a request: named entities, listed tool names, tools already used."""

    def __init__(self, view: RequestView) -> None:
        text = view.last_user_text
        starts = {m.group(1) for m in _SENTENCE_START.finditer(text)}
        entities: list[str] = []
        for match in _ENTITY.finditer(text):
            words = match.group(0).split()
            if words[0] in starts:  # "What's", "Use", "Plan": sentence openers are not names
                words = words[1:]
            phrase = " ".join(words)
            if phrase and phrase not in entities:
                entities.append(phrase)
        self.entities = entities
        prompt = f"{view.system_text}\n{view.prompt_text}"
        self.listed = list(dict.fromkeys(_LISTED.findall(prompt)))
        self.used = [name for name in self.listed if f"{name}(" in prompt]
        self.question = _words(text)
        self._view = view

    def unused_tool(self) -> str | None:
        """The listed tool that best fits the question among those not used yet."""
        left = [name for name in self.listed if name not in self.used]
        if not left:
            return None
        return max(
            left,
            key=lambda name: (
                len(_words(name.replace("_", " ")) & self.question),
                -left.index(name),
            ),
        )

    def fill(self, calls: int = 1, index: int = 0) -> Fill:
        """A schemagen ``fill`` hook for call ``index`` of ``calls`` (entity ``index`` goes in)."""

        def hook(name: str, schema: dict[str, Any]) -> Any:
            if "enum" in schema:
                return self._choose(list(schema["enum"]))
            if schema.get("maxLength") is not None or schema.get("pattern"):
                return SKIP
            value = pick(name, schema)
            return (
                SKIP
                if isinstance(value, str) and len(value) < int(schema.get("minLength", 0))
                else value
            )

        def pick(name: str, schema: dict[str, Any]) -> Any:
            lowered = f"{name} {schema.get('description', '')}".lower()
            if "tool" in lowered and "name" in lowered:
                return self.unused_tool() or SKIP
            if any(
                w in name.lower() for w in _FROM_WORDS
            ):  # the origin is rarely the place asked about
                return self.entities[1] if len(self.entities) > 1 and calls == 1 else SKIP
            if self.entities and any(w in lowered for w in _PLACE_WORDS):
                return self.entities[min(index, len(self.entities) - 1)]
            if any(w in name.lower() for w in ("date", "check_in", "check_out", "depart", "arriv")):
                return (
                    _DATES[1]
                    if any(w in name.lower() for w in ("return", "out", "end", "arriv"))
                    else _DATES[0]
                )
            if name.lower() in _PROSE_NAMES:
                return self._prose()
            return SKIP

        return hook

    def _prose(self) -> str:
        """A sentence about where the conversation stands (for thought / answer fields)."""
        subject = " and ".join(self.entities[:2]) or "the request"
        tool = self.unused_tool()
        if tool is not None:
            return f"To answer about {subject}, I need the results of {tool} first."
        if self.used:
            return (
                f"The results of {', '.join(self.used)} give what I need to answer about {subject}."
            )
        return f"I have what I need to answer about {subject}."

    def _choose(self, options: list[Any]) -> Any:
        """An enum value by conversation progress: act while listed tools are unused, then finish."""
        texts = [str(o).lower() for o in options]
        act = [o for o, t in zip(options, texts, strict=True) if any(w in t for w in _ACT)]
        finish = [o for o, t in zip(options, texts, strict=True) if any(w in t for w in _FINISH)]
        if act and self.unused_tool() is not None:
            return act[0]
        if finish and (self.listed or act):
            return finish[0]
        return SKIP


def pick_tools(view: RequestView, grounding: Grounding) -> list[tuple[ToolSpec, int]]:
    """The (tool, entity index) calls a model makes for a user turn with tools on offer.

    Several tools: the two that fit the question best (word overlap with name and description;
    offer order breaks ties), in parallel. One tool: once per entity the question names (two
    cities: two calls), at most two. ``parallel_tool_calls: false`` keeps one call.
    """
    tools = [t for t in view.tools if not t.builtin]
    if not tools:
        return []
    limit = 2 if view.parallel_tool_calls else 1
    if len(tools) == 1:
        count = min(max(len(grounding.entities), 1), limit)
        return [(tools[0], i) for i in range(count)]

    def score(tool: ToolSpec) -> int:
        return len(_words(f"{tool.name.replace('_', ' ')} {tool.description}") & grounding.question)

    ranked = sorted(tools, key=lambda t: (-score(t), tools.index(t)))
    return [(tool, 0) for tool in ranked[:limit]]
