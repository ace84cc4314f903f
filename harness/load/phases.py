"""What a load run is made of: the phases (telemetry off, samplers, collector faults) and the
run's configuration. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["PHASES", "QUICK", "LoadConfig", "Phase"]


@dataclass(frozen=True)
class Phase:
    """One load phase: telemetry off, a sampler, or a collector fault."""

    name: str
    telemetry: bool = True
    sampler: str = "parentbased_always_on"
    sampler_arg: float | None = None
    cost_sampler: bool = False
    fault: str = "none"  # none | down | slow | reject_503 | reject_429

    @property
    def configured_ratio(self) -> float | None:
        if not self.telemetry or self.cost_sampler:
            return None
        return self.sampler_arg if "traceidratio" in self.sampler else 1.0


PHASES: list[Phase] = [
    Phase("off", telemetry=False),
    Phase("always_on"),
    Phase("ratio_0.1", sampler="parentbased_traceidratio", sampler_arg=0.1),
    Phase("cost_sampler", cost_sampler=True),
    Phase("collector_down", fault="down"),
    Phase("collector_slow", fault="slow"),
    Phase("collector_503", fault="reject_503"),
]


@dataclass
class LoadConfig:
    """Users, seconds per phase, the simulator's latency model and the phases to run."""

    users: int = 20
    seconds: float = 20.0
    ttft: float = 0.05
    tps: float = 200.0
    slow_delay: float = 2.0
    export_timeout_s: float = 5.0
    weights: str = ""
    models: str = ""
    phases: list[str] = field(default_factory=lambda: [p.name for p in PHASES])


#: ``sik-llms load --quick``: five short phases, under a minute in total
QUICK = {
    "users": 10,
    "seconds": 4.0,
    "phases": ["off", "always_on", "ratio_0.1", "cost_sampler", "collector_down"],
}
