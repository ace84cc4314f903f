"""Folding streamed tool-call deltas into whole calls: one rule for every provider API.

A streamed tool call arrives as deltas that carry two kinds of field:

- **complete** values (``id``, ``type``/kind, ``name``): whole whenever present. They are
  *set*, never concatenated, so a server that repeats ``"name": "read_file"`` in every chunk
  still yields one call named ``read_file``;
- **streamed** values (``arguments`` / ``partial_json`` / custom-tool ``input``): pieces that
  are appended in arrival order.

Deltas are keyed by the position the provider gives them (Chat Completions ``index``,
Responses ``output_index``, Anthropic content-block ``index``). A delta whose ``id`` differs
from the id of the call open at its key starts a new call, even at a reused key; a delta
without ``id`` continues the call open at its key (or opens one there). Calls come out in the
order they were opened.

Applied by ``OpenAIChatParser`` (``delta.tool_calls``), ``OpenAIResponsesParser``
(``response.output_item.added`` / ``*.delta`` / ``*.done``) and ``AnthropicParser``
(``content_block_start`` / ``input_json_delta``). Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FoldedCall", "ToolCallFolder"]


@dataclass
class FoldedCall:
    """One tool call as folded so far.

    ``kind`` is ``"function"`` (JSON arguments) or ``"custom"`` (OpenAI free-form input, kept
    as raw text) or ``"server"`` (a tool the provider runs); ``arguments`` is the streamed text,
    ``input`` a complete structured input when the provider gave one (Anthropic's
    ``tool_use.input``).
    """

    id: str | None = None
    name: str = ""
    kind: str = "function"
    type: str = ""  # the provider's own type of the block / item, when it has one
    pieces: list[str] = field(default_factory=list)
    input: Any = None

    @property
    def arguments(self) -> str:
        return "".join(self.pieces)


class ToolCallFolder:
    """Applies the folding rule above; ``calls()`` returns the folded calls in opening order."""

    __slots__ = ("_calls", "_open")

    def __init__(self) -> None:
        self._open: dict[Any, FoldedCall] = {}
        self._calls: list[FoldedCall] = []

    def __bool__(self) -> bool:
        return bool(self._calls)

    def start(
        self,
        key: Any,
        *,
        id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
        input: Any = None,
    ) -> FoldedCall:
        """An explicit start event (a new block / output item): always a new call at ``key``."""
        call = FoldedCall(id=id or None, name=name or "", kind=kind or "function", input=input)
        self._open[key] = call
        self._calls.append(call)
        return call

    def delta(
        self,
        key: Any,
        *,
        id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
        piece: str | None = None,
    ) -> FoldedCall:
        """One delta: complete fields set when present, ``piece`` appended."""
        call = self._open.get(key)
        if call is None or (id and call.id and id != call.id):
            call = self.start(key, id=id, name=name, kind=kind)
        else:
            if id:
                call.id = id
            if name:
                call.name = name
            if kind:
                call.kind = kind
        if piece:
            call.pieces.append(piece)
        return call

    def complete(
        self,
        key: Any,
        *,
        id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
        value: str | None = None,
    ) -> FoldedCall:
        """A "done" event carrying the whole streamed value: it replaces the pieces."""
        call = self.delta(key, id=id, name=name, kind=kind)
        if value is not None:
            call.pieces = [value]
        return call

    def calls(self) -> list[FoldedCall]:
        return list(self._calls)

    def clear(self) -> None:
        self._open.clear()
        self._calls.clear()
