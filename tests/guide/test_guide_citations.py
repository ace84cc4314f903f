"""The lines of the guide the tests and docs cite still read as quoted.

See tests/guide/conftest.py for where the calls go and why some examples run in a fresh
interpreter."""

from __future__ import annotations

import pytest

from tests.guide.guide_helpers import (
    GUIDE,
)

# =========================================================================== the citations


CITED = [
    (77, 'response = client([{"role": "user", "content": "What\'s 2+2?"}])'),
    (111, 'with tracer.start_as_current_span("llm.request") as span:'),
    (130, 'with tracer.start_as_current_span("llm.gpt4.call"):'),
    (158, 'response = client([{"role": "user", "content": "Hello"}])'),
    (180, 'agent = ReasoningAgent(model_name="gpt-4o-mini")'),
    (263, "export OTEL_SDK_DISABLED=false"),
    (280, 'response = client([{"role": "user", "content": "What\'s the capital of France?"}])'),
    (291, 'Choose "my-chatbot" (or "sik-llms" if you didn\'t set a custom name)'),
    (378, 'export OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer your-token"'),
    (421, 'endpoint="https://api.honeycomb.io/v1/traces/your-dataset",'),
    (452, "sampler=TraceIdRatioBased(0.1)  # 10% sampling"),
    (456, 'jaeger_exporter = OTLPSpanExporter(endpoint="http://localhost:4318")'),
    (470, '"k8s.pod.name": os.getenv("HOSTNAME", "local"),'),
    (484, "if isinstance(current_provider, NoOpTracerProvider):"),
    (507, 'export OTEL_EXPORTER_OTLP_HEADERS="x-honeycomb-team=your-api-key"'),
    (725, 'print(f"Telemetry enabled: {is_telemetry_enabled()}")'),
    (740, 'print(f"Is NoOp: {isinstance(provider, NoOpTracerProvider)}")'),
    (749, "logging.basicConfig(level=logging.DEBUG)"),
    (764, "if hasattr(provider, '_span_processors'):"),
    (778, "exporter=your_exporter,"),
    (832, "schedule_delay_millis=30000,   # Export every 30s instead of 5s"),
    (863, 'response = client([{"role": "user", "content": clean_input}])'),
    (891, "if hasattr(response, 'trace_id') and hasattr(response, 'span_id'):"),
    (915, "conversation_counter = meter.create_counter("),
    (963, "context = TextMapPropagator().extract(request.headers)"),
    (972, "with trace.use_context(context):"),
    (
        988,
        "def should_sample(self, parent_context, trace_id, name, kind, attributes, links, trace_state):",
    ),
    (995, 'if "gpt-4" in model or "claude-3-opus" in model:'),
]


@pytest.mark.skipif(not GUIDE.is_file(), reason=f"the guide is not at {GUIDE}")
@pytest.mark.parametrize(("line", "text"), CITED, ids=[str(line) for line, _ in CITED])
def test_cited_guide_lines_still_read_as_quoted(line: int, text: str) -> None:
    # The tests above cite the guide by line; if the guide moves, this says which citation broke.
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    assert text in lines[line - 1], f"otel_101.md line {line} is now {lines[line - 1]!r}"
