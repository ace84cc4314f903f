"""SIK_LLMS_TELEMETRY_PROFILE=lean: one vocabulary per span, no duplicate duration histogram;
the default keeps every promise."""

from __future__ import annotations

from typing import Any

import pytest

from harness.bench.floor import bench_shapes, memory_providers, recorder_call
from harness.bench.model import MODELS
from sik_llms.telemetry import names as n
from sik_llms.telemetry import use_providers
from sik_llms.telemetry.state import PROFILE_VAR

SHAPE = bench_shapes(("stream10",))[("openai", "stream10")]


def _run(
    monkeypatch: pytest.MonkeyPatch, profile: str | None
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    if profile is None:
        monkeypatch.delenv(PROFILE_VAR, raising=False)
    else:
        monkeypatch.setenv(PROFILE_VAR, profile)
    pipe = memory_providers()
    with use_providers(pipe.tracer_provider, pipe.meter_provider):
        recorder_call(SHAPE)()
    spans = {s.name: dict(s.attributes) for s in pipe.span_exporter.get_finished_spans()}
    metrics = {
        m.name
        for rm in pipe.metric_reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    return spans, metrics


def test_the_lean_profile_keeps_one_vocabulary_per_span_and_drops_the_duplicate_duration(
    monkeypatch,
):
    spans, metrics = _run(monkeypatch, "lean")
    inference = spans[n.span_inference("openai", "stream")]
    request = spans[n.SPAN_REQUEST]
    assert {k for k in inference if k.startswith("llm.")} == {n.LLM_MODEL, n.LLM_PROVIDER}
    assert (
        inference[n.GEN_AI_USAGE_OUTPUT_TOKENS] == 10
        and n.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in inference
    )
    assert not any(k.startswith("gen_ai.") for k in request)
    assert request[n.LLM_COST_TOTAL] > 0 and request[n.LLM_TOKENS_TOTAL] == 22
    assert n.METRIC_REQUEST_DURATION in metrics and n.METRIC_GEN_AI_TOKEN_USAGE in metrics
    assert n.METRIC_GEN_AI_OPERATION_DURATION not in metrics


@pytest.mark.parametrize("profile", [None, "full", "FULL "])
def test_the_default_profile_keeps_both_vocabularies_and_every_metric(monkeypatch, profile):
    spans, metrics = _run(monkeypatch, profile)
    inference = spans[n.span_inference("openai", "stream")]
    assert inference[n.LLM_DURATION_SECONDS] > 0 and inference[n.LLM_STREAMING] is True
    # one chat operation per call (#17): the GenAI model is on the inference span, not llm.request
    assert (
        n.GEN_AI_REQUEST_MODEL not in spans[n.SPAN_REQUEST]
        and inference[n.GEN_AI_REQUEST_MODEL] == MODELS["openai"]
    )
    assert {n.METRIC_REQUEST_DURATION, n.METRIC_GEN_AI_OPERATION_DURATION} <= metrics


def test_an_unknown_profile_warns_once_and_keeps_the_full_profile(monkeypatch, caplog):
    with caplog.at_level("WARNING", logger="sik_llms"):
        _spans, metrics = _run(monkeypatch, "tiny")
    assert n.METRIC_GEN_AI_OPERATION_DURATION in metrics
    assert f"{PROFILE_VAR}='tiny' is not one of full, lean" in caplog.text
