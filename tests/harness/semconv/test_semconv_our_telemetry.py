"""Our telemetry keeps the GenAI conventions: zero violations on every recording we have.

Every project cassette (the suite's calls and the ReasoningAgent run) and every real recording
in ../shared/cassettes-real through each entry point, with content captured on spans and as
log-record events. With the GenAI span names opted in there is nothing to declare; with the
seed's names (the default the guide promises) only the span-name rule is left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.semconv import assert_semconv, check
from harness.semconv.corpus import (
    ENTRY_POINTS,
    real_recordings,
    replay_project_cassettes,
    replay_recording,
)
from harness.semconv.inputs import log_record
from tests.conftest import REAL, Script, ok, openai_sse, scripted


@pytest.mark.parametrize("semconv_names", [True, False], ids=["genai-names", "seed-names"])
def test_every_project_cassette_and_the_agent_keep_the_conventions(semconv_names: bool) -> None:
    runs = replay_project_cassettes(semconv_names=semconv_names)
    assert any(r.label.endswith("agent_trip") for r in runs)
    assert all(r.report.spans_checked for r in runs)
    assert sum(r.report.log_records_checked for r in runs) > len(runs)  # content events arrived
    bad = [f"{r.label}: {v}" for r in runs for v in r.report.violations]
    assert bad == []


def _rows() -> list[object]:
    if not (REAL / "MANIFEST.jsonl").is_file():
        return [
            pytest.param(
                None, None, marks=pytest.mark.skip(reason=f"real recordings not present at {REAL}")
            )
        ]
    return [
        pytest.param(path, index, id=f"{path.parent.name}/{path.name}")
        for path, index in real_recordings(REAL)
    ]


@pytest.mark.real_cassettes
@pytest.mark.parametrize(("path", "index"), _rows())
def test_every_real_recording_through_every_entry_point_keeps_the_conventions(
    path: Path, index: int
) -> None:
    for entry in ENTRY_POINTS:
        checked = replay_recording(path, index, entry)
        assert checked.report.spans_checked >= 3, entry
        assert checked.report.violations == [], f"{entry}: {checked.report.render()}"


@pytest.mark.llm_spans(global_=False)
def test_the_llm_spans_fixture_is_checked_with_one_call(llm_spans, monkeypatch) -> None:
    from sik_llms import create_client

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "EVENT_ONLY")
    with scripted(Script(ok(openai_sse("hi")))):
        create_client("gpt-4o-mini", api_key="sk-test")([{"role": "user", "content": "hi"}])
    # the seed's span names are ours by default: declared, so they cannot silently come back
    report = assert_semconv(llm_spans, expected=["span.name"])
    assert report.by_rule() == {"span.name": 1}
    (event,) = [log_record(r) for r in llm_spans.logs()]
    assert event.event_name == "gen_ai.client.inference.operation.details"
    assert event.attributes["gen_ai.provider.name"] == "openai"
    assert event.attributes["gen_ai.output.messages"] == [
        {"role": "assistant", "parts": [{"type": "text", "content": "hi"}], "finish_reason": "stop"}
    ]
    assert event.span_id == llm_spans.find("llm.openai.stream").span_id


def test_sdk_objects_are_read_as_they_come() -> None:
    """ReadableSpan, InMemoryMetricReader and ReadableLogRecord straight from the SDK."""
    from opentelemetry._logs import LogRecord
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    with tp.get_tracer("peer").start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as span:
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4o",
            }
        )
    reader = InMemoryMetricReader()
    MeterProvider(metric_readers=[reader]).get_meter("peer").create_histogram(
        "gen_ai.client.token.usage", "tokens"
    ).record(3, {"gen_ai.operation.name": "chat", "gen_ai.token.type": "input"})
    logs = InMemoryLogRecordExporter()
    lp = LoggerProvider()
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs))
    lp.get_logger("peer").emit(LogRecord(event_name="gen_ai.choice", attributes={}))
    report = check(spans.get_finished_spans(), reader, logs.get_finished_logs())
    rules = report.by_rule()
    assert rules["attribute.deprecated"] == 1  # gen_ai.system
    assert rules["span.required"] == 1  # gen_ai.provider.name
    assert {"metric.unit", "metric.buckets", "metric.required", "event.deprecated"} <= set(rules)
