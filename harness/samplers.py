"""The guide's ``CostBasedSampler`` ("Sampling Strategies"), as printed and as fixed: the one copy
the demo and the load tests use (``tests/guide/`` keeps its own quoted copy, to prove the quote).

``GuideCostBasedSampler`` is the guide's class with only what it needs to run at all (see the
comments). As printed, ``"gpt-4" in "gpt-4o-mini"`` is true, so the cheap model is always kept:
``CostBasedSampler`` checks cheap models first (and counts Claude Haiku as cheap), and since the
guide's name tests know no model newer than ``gpt-4o``, it also sorts a model by its published
output price in the ``sik_llms`` registry (cheap up to ``CHEAP_OUTPUT_USD``, expensive from
``EXPENSIVE_OUTPUT_USD`` per million tokens; an unpriced model falls through to the guide's
rules). Both decide on the span name and the ``llm.model`` attribute that sik_llms sets at span
start; wrap them in ``ParentBased`` so a kept call keeps its whole tree.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from sik_llms.models import get_model_info

__all__ = [
    "CHEAP_OUTPUT_USD",
    "EXPENSIVE_OUTPUT_USD",
    "CostBasedSampler",
    "GuideCostBasedSampler",
    "kept_fraction",
    "price_tier",
]

#: USD per million output tokens: at most this is cheap (Claude Haiku 4.5, gpt-5.4-mini) ...
CHEAP_OUTPUT_USD = 5.0
#: ... and at least this is expensive (Claude Opus 4.6, gpt-5.5).
EXPENSIVE_OUTPUT_USD = 25.0


def price_tier(model: str) -> str | None:
    """``"cheap"`` / ``"expensive"`` by the registry's published output price (None: in between
    or unpriced)."""
    info = get_model_info(model) if model else None
    price = info.output_price if info else None
    if price is None:
        return None
    if price <= CHEAP_OUTPUT_USD:
        return "cheap"
    return "expensive" if price >= EXPENSIVE_OUTPUT_USD else None


class GuideCostBasedSampler(Sampler):
    """Sample more expensive operations at higher rates."""

    # One change from the guide: defaults from ``kind`` on. The SDK (1.45) calls samplers
    # without ``trace_state``, so the guide's signature raises TypeError on every root span.
    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        # Always sample reasoning operations (they're complex)
        if "reasoning" in name.lower():
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample expensive models more frequently
        model = (attributes or {}).get("llm.model", "")  # the SDK may pass attributes=None
        if "gpt-4" in model or "claude-3-opus" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample cheap models less frequently
        if "gpt-3.5" in model or "gpt-4o-mini" in model:
            # 10% sampling
            return SamplingResult(
                Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP
            )

        # Default sampling
        return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 5 == 0 else Decision.DROP)

    # Not in the guide: ``Sampler`` declares ``get_description`` abstract, so the guide's class
    # cannot be instantiated without it.
    def get_description(self) -> str:
        return "GuideCostBasedSampler"


class CostBasedSampler(GuideCostBasedSampler):
    """The guide's sampler with its one bug fixed: cheap models are checked first."""

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        model = str((attributes or {}).get("llm.model", ""))
        tier = price_tier(model)
        if "gpt-3.5" in model or "gpt-4o-mini" in model or "haiku" in model or tier == "cheap":
            return SamplingResult(
                Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP
            )
        if tier == "expensive":
            return SamplingResult(Decision.RECORD_AND_SAMPLE)
        return super().should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "CostBasedSampler"


def kept_fraction(sampler: Sampler, name: str, attributes: dict[str, Any]) -> float:
    """The exact fraction of root spans ``sampler`` keeps for this span name and attributes.

    Both samplers' rules are periodic in ``trace_id`` with period 10, so asking the real sampler
    about trace ids 0..9 gives the exact rate (no copy of its branch logic).
    """
    kept = sum(
        sampler.should_sample(None, tid, name, None, attributes, None, None).decision
        == Decision.RECORD_AND_SAMPLE
        for tid in range(10)
    )
    return kept / 10
