"""The guide's CostBasedSampler, as printed and as fixed (``harness.samplers``, the one copy)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import Decision

from harness.samplers import CostBasedSampler, GuideCostBasedSampler, kept_fraction


@pytest.mark.parametrize(
    ("model", "printed", "fixed"),
    [
        ("gpt-4o", 1.0, 1.0),
        ("gpt-4o-mini", 1.0, 0.1),  # the guide's bug: "gpt-4" in "gpt-4o-mini"
        ("gpt-3.5-turbo", 0.1, 0.1),
        ("claude-haiku-4-5", 0.2, 0.1),
        ("some-other-model", 0.2, 0.2),
    ],
)
def test_kept_fractions_as_printed_and_as_fixed(model: str, printed: float, fixed: float) -> None:
    attrs = {"llm.model": model}
    assert kept_fraction(GuideCostBasedSampler(), "llm.request", attrs) == printed
    assert kept_fraction(CostBasedSampler(), "llm.request", attrs) == fixed


def test_reasoning_spans_are_always_kept_and_missing_attributes_do_not_raise() -> None:
    for sampler in (GuideCostBasedSampler(), CostBasedSampler()):
        assert (
            sampler.should_sample(None, 3, "llm.reasoning_agent.stream").decision
            == Decision.RECORD_AND_SAMPLE
        )
        assert (
            sampler.should_sample(None, 5, "llm.request", None, None).decision
            == Decision.RECORD_AND_SAMPLE
        )
        assert sampler.should_sample(None, 3, "llm.request", None, None).decision == Decision.DROP
