"""OpenTelemetry for sik_llms: enablement, spans, metrics (filled in by the telemetry issue)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def is_telemetry_enabled() -> bool:
    return False


def start_call(client: Any, messages: list[dict[str, Any]]) -> Any:
    """A recorder for one client call, or None when nothing would record it."""
    return None


def http_attempt(request: Any) -> Any:
    """A recorder for one HTTP attempt inside a traced call, or None."""
    return None


def create_span_link(trace_id: str, span_id: str, attributes: dict[str, Any] | None = None) -> Any:
    return None


@contextmanager
def use_providers(tracer_provider: Any = None, meter_provider: Any = None) -> Iterator[None]:
    yield
