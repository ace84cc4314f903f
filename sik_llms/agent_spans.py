"""The spans the ReasoningAgent owns: a no-op stand-in when tracing is off, and their ending.

A telemetry failure (a broken sampler, say) never fails the agent's run: the step runs
untraced. Used by ``sik_llms.agent_loop``; the spans themselves come from ``sik_llms.telemetry``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from sik_llms import telemetry
from sik_llms.telemetry import names as n

if TYPE_CHECKING:  # pragma: no cover
    from sik_llms.telemetry.recorder import SpanHandle

__all__ = ["AgentSpan", "owned_span", "start_agent_span"]

logger = logging.getLogger("sik_llms")


class AgentSpan:
    """A span the agent owns, or a no-op when tracing is off (so the loop has no branches)."""

    __slots__ = ("handle",)

    def __init__(self, handle: SpanHandle | None) -> None:
        self.handle = handle

    def set(self, key: str, value: Any) -> None:
        if self.handle is not None:
            self.handle.set(key, value)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        if self.handle is not None:
            self.handle.set_attributes(attributes)

    def active(self) -> Any:
        return self.handle.active() if self.handle is not None else nullcontext()

    def fail(self, exc: BaseException) -> None:
        if self.handle is not None:
            self.handle.fail(exc)

    def end(self) -> None:
        if self.handle is not None:
            self.handle.end()

    def trace_context(self) -> Any:
        return self.handle.trace_context() if self.handle is not None else None


def start_agent_span(name: str, attributes: dict[str, Any]) -> AgentSpan:
    """A span under the current context; a telemetry failure (a broken sampler) means no span."""
    try:
        return AgentSpan(telemetry.start_span(name, attributes))
    except Exception:
        logger.debug("starting span %s failed; the agent runs untraced there", name, exc_info=True)
        return AgentSpan(None)


@contextmanager
def owned_span(span: AgentSpan) -> Iterator[AgentSpan]:
    """End ``span`` however the block ends: failure marks it ERROR, an early close is noted."""
    try:
        yield span
    except GeneratorExit:
        span.set(n.LLM_CANCELLED, True)
        raise
    except BaseException as exc:
        span.fail(exc)
        raise
    finally:
        span.end()
