"""Whether a tracer's sampler can strip a span's start attributes (decided once per tracer).

A sampler's ``SamplingResult`` replaces the attributes a span starts with; the guide's
``CostBasedSampler`` returns none. ``recorder.start_prepared`` puts them back, at the price of
a check per span, unless the sampler is known to keep them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["sampler_keeps_attributes"]

_SAMPLERS: dict[int, tuple[Any, bool]] = {}


def sampler_keeps_attributes(tracer: Any) -> bool:
    """True when ``tracer``'s sampler is one of the SDK's constant samplers (``ALWAYS_ON``,
    ``ALWAYS_OFF``, ``DEFAULT_ON`` = parent-based always-on, the default, ``DEFAULT_OFF``):
    their results keep a span's start attributes, so ``start_prepared`` need not check each
    span. Any other sampler (or tracer) is checked per span. Decided once per tracer."""
    cached = _SAMPLERS.get(id(tracer))
    if cached is None or cached[0] is not tracer:
        keeps = False
        # only an SDK tracer can hold the SDK's samplers (and then the SDK is imported already)
        if type(tracer).__module__.startswith("opentelemetry.sdk."):
            from opentelemetry.sdk.trace import sampling

            sampler = getattr(tracer, "sampler", None)
            keeps = any(
                sampler is known
                for known in (
                    sampling.DEFAULT_ON,
                    sampling.ALWAYS_ON,
                    sampling.DEFAULT_OFF,
                    sampling.ALWAYS_OFF,
                )
            )
        if len(_SAMPLERS) >= 256:  # bounded, however many providers a process makes
            _SAMPLERS.clear()
        cached = _SAMPLERS[id(tracer)] = (tracer, keeps)
    return cached[1]
