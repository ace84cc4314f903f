"""Latency model: time to first token, tokens per second, seeded jitter.

The schedule (seconds before each streamed event) is computed up front from the seed and the
request's ordinal, so the same seed gives the same schedule on every run; tests assert the
schedule itself, never wall time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    """``ttft`` seconds before the first event; then ``tokens / tps`` per event.

    ``jitter`` is a fraction: each delay is scaled by a factor in [1 - jitter, 1 + jitter].
    ``tps = 0`` means infinitely fast after the first token.
    """

    ttft: float = 0.0
    tps: float = 0.0
    jitter: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.ttft < 0 or self.tps < 0 or not 0 <= self.jitter <= 1:
            raise ValueError(
                f"bad latency {self}: ttft and tps must be >= 0 and jitter within 0..1 "
                "(e.g. Latency(ttft=0.2, tps=50, jitter=0.1))"
            )

    @property
    def is_zero(self) -> bool:
        return self.ttft == 0 and self.tps == 0

    def schedule(self, tokens_per_event: list[int], key: int = 0) -> list[float]:
        """Delay before each event; the first event carries the time to first token."""
        if self.is_zero:
            return [0.0] * len(tokens_per_event)
        rng = random.Random(f"latency:{self.seed}:{key}")
        out: list[float] = []
        for i, tokens in enumerate(tokens_per_event):
            base = self.ttft if i == 0 else (tokens / self.tps if self.tps else 0.0)
            factor = 1.0 + self.jitter * (2 * rng.random() - 1) if self.jitter else 1.0
            out.append(base * factor)
        return out

    def total(self, output_tokens: int, key: int = 0) -> float:
        """Time for a non-streamed answer: first token plus the rest at ``tps``."""
        if self.is_zero:
            return 0.0
        rng = random.Random(f"latency:{self.seed}:{key}")
        rest = output_tokens / self.tps if self.tps else 0.0
        factor = 1.0 + self.jitter * (2 * rng.random() - 1) if self.jitter else 1.0
        return (self.ttft + rest) * factor

    @classmethod
    def from_dict(cls, data: dict[str, float] | None, where: str = "latency") -> Latency:
        if not data:
            return cls()
        unknown = set(data) - {"ttft", "tps", "jitter", "seed"}
        if unknown:
            raise ValueError(
                f"{where}: unknown keys {sorted(unknown)}; use ttft, tps, jitter, seed"
            )
        return cls(**{k: (int(v) if k == "seed" else float(v)) for k, v in data.items()})
