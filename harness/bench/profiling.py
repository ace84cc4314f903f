"""``sik-llms bench --profile``: where sik_llms spends its time with telemetry on (cProfile)."""

from __future__ import annotations

from harness.bench.calls import ours_call
from harness.bench.pipeline import memory_exporters

__all__ = ["profile_ours"]


def profile_ours(
    provider: str = "openai", workload: str = "stream100", calls: int = 2000, top: int = 25
) -> str:
    """cProfile of sik_llms with in-memory telemetry on, in this process: the top functions by own time."""
    import cProfile
    import io
    import pstats

    exporters = memory_exporters()
    call = ours_call(provider, workload, (exporters.tracer_provider, exporters.meter_provider))
    for _ in range(20):
        call()
    exporters.drain()
    prof = cProfile.Profile()
    prof.enable()
    for i in range(calls):
        call()
        if i % 100 == 99:
            exporters.drain()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    return buf.getvalue()
