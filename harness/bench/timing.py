"""Timing a batch of calls in a bench worker: wall and CPU time (``run_batch``) and resident
memory growth (``run_memory``)."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from typing import Any

from harness.bench.pipeline import Exporters

__all__ = ["run_batch", "run_memory"]


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # pragma: no cover - not Linux
        return 0


def _maxrss_kb() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_batch(call: Callable[[], Any], calls: int) -> dict[str, float]:
    """Wall and CPU (this process, all threads) nanoseconds for ``calls`` calls."""
    perf, cpu = time.perf_counter_ns, time.process_time_ns
    w0, c0 = perf(), cpu()
    for _ in range(calls):
        call()
    w1, c1 = perf(), cpu()
    return {"wall_ns": w1 - w0, "cpu_ns": c1 - c0}


def run_memory(call: Callable[[], Any], calls: int, exporters: Exporters) -> dict[str, int]:
    """Peak and current RSS growth over ``calls`` calls after as many warm-up calls (at most 200;
    in-memory spans cleared every 100), so first-use allocations are not counted as growth."""
    for i in range(min(calls, 200)):
        call()
        if i % 100 == 99:
            exporters.drain()
    exporters.drain()
    gc.collect()
    peak0, rss0 = _maxrss_kb(), _rss_kb()
    for i in range(calls):
        call()
        if i % 100 == 99:
            exporters.drain()
    exporters.drain()
    gc.collect()
    return {
        "calls": calls,
        "peak_rss_growth_kb": _maxrss_kb() - peak0,
        "rss_growth_kb": _rss_kb() - rss0,
    }
