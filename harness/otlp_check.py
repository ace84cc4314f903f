"""Did an OTLP export really succeed? An exporter wrapper that counts what was accepted.

``BatchSpanProcessor.force_flush`` returns True once the queue is drained, whether the
exporter delivered or failed, so "flushed: True" said nothing about the collector. Wrapping
the exporter records each batch's result; its own log lines (one per retry) are kept as the
failure reason instead of being printed, so a command can report one honest line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["CheckedExporter"]

_EXPORTER_LOGGER = "opentelemetry.exporter.otlp"


class _LastMessage(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.last is None:  # the first complaint names the cause; later ones only repeat it
            self.last = " ".join(record.getMessage().split())[:300]


class CheckedExporter(SpanExporter):
    """Delegates to ``inner`` and counts spans accepted (``sent``) and refused (``failed``)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.sent = 0
        self.failed = 0
        self.error: str | None = None
        self._lock = threading.Lock()
        self._log = _LastMessage()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # an exporter should not raise; count it as a failure if it does
            result = SpanExportResult.FAILURE
            self._log.last = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if result is SpanExportResult.SUCCESS:
                self.sent += len(spans)
            else:
                self.failed += len(spans)
                self.error = self._log.last or "the exporter reported failure"
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)

    @property
    def ok(self) -> bool:
        """True when at least one span was accepted and none was refused."""
        return self.sent > 0 and self.failed == 0

    def outcome(self, total: int) -> dict[str, Any]:
        """JSON-ready: spans produced, accepted, refused, ``ok`` and the last error."""
        return {
            "spans": total,
            "sent": self.sent,
            "failed": self.failed,
            "ok": self.ok and self.sent >= total,
            "error": self.error if not self.ok else None,
        }

    @contextmanager
    def quiet_exporter_logs(self) -> Iterator[None]:
        """Keep the exporter's retry warnings as ``error`` instead of printing them."""
        logger = logging.getLogger(_EXPORTER_LOGGER)
        old = logger.propagate
        logger.addHandler(self._log)
        logger.propagate = False
        try:
            yield
        finally:
            logger.removeHandler(self._log)
            logger.propagate = old
