"""Shared watchers for the security tests: every place a secret could leave the process.

``leak_watch`` wires a real OTel SDK tracer provider to two exporters (in memory, and the real
OTLP/HTTP exporter pointed at a loopback ``Collector`` that keeps the bytes it receives), and
captures the ``sik_llms`` DEBUG log. ``assert_nowhere`` then checks one secret against the
raised error (message, repr, the whole printed traceback with its chain), every span name,
attribute, event attribute and status, the log text and the OTLP bytes.

Secrets in these tests are assembled at runtime so no source file holds a key-shaped literal.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from harness.collector import Collector
from sik_llms import telemetry
from sik_llms.transport import use_transport

# realistic shapes, assembled so the repository never contains one
OPENAI_KEY = "sk-" + "proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dFx2Lq"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0EdCbA-aB3c"
LOCAL_KEY = "vllm" + "-local-" + "Kq7Wm2Zr"  # not key-shaped: redacted because it is the key in use


@dataclass
class LeakWatch:
    memory: InMemorySpanExporter
    collector: Collector
    provider: TracerProvider
    caplog: pytest.LogCaptureFixture
    errors: list[BaseException] = field(default_factory=list)

    def spans(self) -> list[ReadableSpan]:
        self.provider.force_flush()
        return list(self.memory.get_finished_spans())

    def otlp(self) -> bytes:
        self.provider.force_flush()
        return b"".join(self.collector.state.bodies)

    def texts(self) -> list[str]:
        """Every text a secret could hide in, labelled."""
        out = []
        for exc in self.errors:
            out += [
                f"error str: {exc}",
                f"error repr: {exc!r}",
                "error traceback: " + "".join(traceback.format_exception(exc)),
            ]
        for span in self.spans():
            out.append(f"span name: {span.name}")
            out += [
                f"span {span.name} attribute {k}: {v}" for k, v in (span.attributes or {}).items()
            ]
            out.append(f"span {span.name} status: {span.status.description}")
            for event in span.events:
                out += [
                    f"span {span.name} event {event.name} {k}: {v}"
                    for k, v in (event.attributes or {}).items()
                ]
        out.append("log: " + self.caplog.text)
        out += [f"log record: {r.getMessage()} {r.exc_text or ''}" for r in self.caplog.records]
        return out

    def assert_nowhere(self, *secrets: str) -> None:
        otlp = self.otlp()
        assert self.collector.state.bodies, (
            "the OTLP exporter sent nothing: the check would be empty"
        )
        for secret in secrets:
            for probe in {secret, secret.strip()}:
                leaks = [t[:160] for t in self.texts() if probe in t]
                assert not leaks, f"secret found in: {leaks}"
                assert probe.encode() not in otlp, "secret found in the OTLP bytes"

    def run(self, call: Callable[[], Any]) -> BaseException | None:
        """Run ``call``; keep the exception it raises (if any) for ``assert_nowhere``."""
        try:
            call()
        except Exception as exc:
            self.errors.append(exc)
            return exc
        return None


@pytest.fixture
def leak_watch(caplog: pytest.LogCaptureFixture) -> Iterator[LeakWatch]:
    memory = InMemorySpanExporter()
    with Collector(keep_bodies=True) as collector:
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(memory))
        provider.add_span_processor(
            SimpleSpanProcessor(
                OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces", timeout=5)
            )
        )
        caplog.set_level(logging.DEBUG, logger="sik_llms")
        with telemetry.use_providers(tracer_provider=provider):
            yield LeakWatch(memory, collector, provider, caplog)
        provider.shutdown()


@contextmanager
def answering(handler: Callable[[httpx2.Request], httpx2.Response]) -> Iterator[None]:
    """Provider requests in this block are answered by ``handler`` (no network)."""
    transport = httpx2.MockTransport(handler)
    with use_transport(sync=transport, async_=transport):
        yield
