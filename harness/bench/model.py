"""What ``sik-llms bench`` measures: providers, workloads, setups, and how long (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MODELS",
    "PROVIDERS",
    "SETUPS",
    "SETUP_BY_NAME",
    "TELEMETRY_BASE",
    "WORKLOADS",
    "WORKLOAD_LABELS",
    "BenchConfig",
    "Setup",
    "answer_text",
]

MODELS = {"openai": "gpt-5.4-mini", "anthropic": "claude-haiku-4-5"}
PROVIDERS = tuple(MODELS)
#: stream10 exists to measure the per-chunk slope: (stream100 - stream10) / 90.
WORKLOADS = ("answer", "stream10", "stream100", "tool")
WORKLOAD_LABELS = {
    "answer": "non-streamed answer",
    "stream10": "10-chunk stream",
    "stream100": "100-chunk stream",
    "tool": "tool call",
}
PROMPT = "Say something about Paris."
WORD = "word"


def answer_text(words: int) -> str:
    """The answer every setup gets: ``words`` words, one stream chunk each."""
    return " ".join([WORD] * words)


@dataclass(frozen=True)
class Setup:
    """One way of making the call: the bare SDK, ours, or a peer instrumentation."""

    name: str
    label: str
    providers: tuple[str, ...]
    peer: bool = False


SETUPS: tuple[Setup, ...] = (
    Setup("bare", "bare SDK", PROVIDERS),
    Setup("ours_off", "sik-llms, telemetry off", PROVIDERS),
    Setup("ours_on", "sik-llms, telemetry on (in-memory)", PROVIDERS),
    Setup("ours_lean", "sik-llms, lean profile (one GenAI span, in-memory)", PROVIDERS),
    Setup(
        "floor",
        "floor: telemetry off, then ours_on's spans, attributes and points emitted by the "
        "thinnest code on the same SDK (in-memory)",
        PROVIDERS,
    ),
    Setup("ours_otlp", "sik-llms, batch OTLP/HTTP export", PROVIDERS),
    Setup("openai_v2", "peer: opentelemetry-instrumentation-openai-v2", ("openai",), peer=True),
    Setup("openllmetry", "peer: OpenLLMetry (traceloop) instrumentation", PROVIDERS, peer=True),
    Setup("anthropic_sdk", "peer: Anthropic SDK's own tracing", ("anthropic",), peer=True),
)
SETUP_BY_NAME = {s.name: s for s in SETUPS}
# The untraced code each traced setup adds its instrumentation to.
TELEMETRY_BASE = {
    "ours_on": "ours_off",
    "ours_lean": "ours_off",
    "floor": "ours_off",
    "ours_otlp": "ours_off",
    **{s.name: "bare" for s in SETUPS if s.peer},
}


@dataclass
class BenchConfig:
    """How long to measure: rounds of batches, each batch about ``batch_ms`` of bare-SDK time."""

    rounds: int = 15
    batch_ms: float = 40.0
    memory_calls: int = 10_000
    setups: tuple[str, ...] = tuple(s.name for s in SETUPS)
    providers: tuple[str, ...] = PROVIDERS
    workloads: tuple[str, ...] = WORKLOADS
    seed: int = 0
    #: per-test harness suites (``harness.bench.pertest``): tests per suite (0: skip), rounds
    pertest_tests: int = 200
    pertest_rounds: int = 7
    #: seconds per probe of the batch-export search (``harness.bench.bsp``; 0: skip)
    bsp_seconds: float = 5.0

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(
            rounds=3,
            batch_ms=8.0,
            memory_calls=100,
            pertest_tests=30,
            pertest_rounds=1,
            bsp_seconds=0.0,
        )
