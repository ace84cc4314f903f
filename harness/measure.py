"""What ``sik-llms bench`` and ``sik-llms load`` both need to report a measurement: order
statistics of samples, a binomial confidence interval, and the facts of the machine measured on.

Pure functions (``machine_info`` reads ``/proc/cpuinfo`` and ``platform``, nothing else).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
from typing import Any

__all__ = ["Z95", "machine_info", "percentile", "quartiles", "wilson"]

#: two-sided 95 % normal quantile
Z95 = 1.959963984540054


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def quartiles(values: list[float]) -> dict[str, float]:
    """Median, quartiles (inclusive method), IQR, min and max of one or more ``values``."""
    values = sorted(values)
    if len(values) >= 2:
        q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = med = q3 = values[0]
    return {"median": med, "q1": q1, "q3": q3, "iqr": q3 - q1, "min": values[0], "max": values[-1]}


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (low, high) for a binomial proportion; (0, 1) for ``n == 0``."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def machine_info() -> dict[str, Any]:
    """CPU count and model, Python version and platform of this machine, and its 1-minute load
    average now (``None`` where the OS has none): a figure measured on a busy machine says so."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    try:
        load_1m: float | None = round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not available
        load_1m = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_1m": load_1m,
    }
