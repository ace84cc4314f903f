"""The per-span sampler check is skipped only for the SDK's constant samplers, which keep a
span's start attributes; any other sampler is still checked (and its stripping undone)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.trace import NoOpTracer

from sik_llms.telemetry.sampler import sampler_keeps_attributes


class StripAll(sampling.Sampler):
    def should_sample(self, parent_context, trace_id, name, *args, **kwargs):
        return sampling.SamplingResult(sampling.Decision.RECORD_AND_SAMPLE)  # no attributes

    def get_description(self) -> str:
        return "StripAll"


@pytest.mark.parametrize(
    "sampler", [None, sampling.ALWAYS_ON, sampling.DEFAULT_ON, sampling.ALWAYS_OFF]
)
def test_the_sdks_constant_samplers_need_no_check_per_span(monkeypatch, sampler) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)  # None: the SDK's default
    assert sampler_keeps_attributes(TracerProvider(sampler=sampler).get_tracer("t")) is True


@pytest.mark.parametrize(
    "sampler",
    [StripAll(), sampling.ParentBased(StripAll()), sampling.TraceIdRatioBased(0.5)],
    ids=["custom", "parent-based-custom", "ratio"],
)
def test_any_other_sampler_is_checked_per_span(sampler) -> None:
    assert sampler_keeps_attributes(TracerProvider(sampler=sampler).get_tracer("t")) is False


def test_a_tracer_that_is_not_the_sdks_is_checked_per_span() -> None:
    assert sampler_keeps_attributes(NoOpTracer()) is False


def test_a_stripping_sampler_still_gets_the_start_attributes_back() -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from harness.bench.floor import bench_shapes, memory_providers, recorder_call
    from sik_llms.telemetry import names as n
    from sik_llms.telemetry import use_providers

    exporter = InMemorySpanExporter()
    tp = TracerProvider(sampler=StripAll())
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    shape = bench_shapes(("answer",))[("anthropic", "answer")]
    with use_providers(tp, memory_providers().meter_provider):
        recorder_call(shape)()
    spans = exporter.get_finished_spans()
    assert len(spans) == 3 and all(s.attributes[n.LLM_MODEL] for s in spans)
