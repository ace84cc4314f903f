"""``sik-llms demo``: the guide's X-ray view, from real replayed calls, the same on every run.

The tour replays the project's cassettes (``cassettes/openai/*.yaml``, recorded by
``sik-llms record`` against the simulator's seeded latency model) through the instrumented
client and ReasoningAgent, on a virtual clock, with spans and metrics captured in memory:

1. the trip-planning request as the guide's X-ray tree (durations, tokens, cost per step;
   the agent's iterations and tool calls; the slowest step marked);
2. the metrics the guide lists, scraped by the real Prometheus exporter (names as Prometheus
   shows them), plus the guide's derived queries;
3. beyond the happy path: a 401 (``error=true``), a 429 answered on the retry (two
   ``http.request`` spans), and the guide's CostBasedSampler keeping an expensive call while
   dropping a cheap one;
4. where to look next.

Everything printed comes from the captured spans and metrics; nothing is typed in. This module
runs the calls; ``harness.demo.sections`` turns what they left into the report (plain data,
``--json`` prints it), ``harness.demo.text`` renders it as text (rich colour on a TTY) and
``harness.demo.html`` as a self-contained HTML waterfall. ``live=True`` runs the same tour
against the simulator in real time instead of replaying.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from harness.cassettes import suite
from harness.demo.sections import (
    error_section,
    metrics_section,
    next_steps,
    retry_section,
    trip_section,
)
from harness.samplers import CostBasedSampler, GuideCostBasedSampler
from harness.trip_tools import TRIP_QUESTION
from sik_llms import telemetry

__all__ = ["Runner", "run_tour"]

PROVIDER = "openai"
Progress = Callable[[str], None]


# --------------------------------------------------------------------------- running the calls


@dataclass
class Runner:
    """Runs suite calls either from cassettes (virtual clock) or against a live simulator."""

    live: bool
    cassettes: Path
    clock: Any = None
    targets: dict[str, suite.Target] | None = None
    progress: Progress = lambda _msg: None

    def target(self, provider: str, name: str) -> suite.Target:
        if self.live:
            assert self.targets is not None
            return self.targets[provider]
        from harness.cassettes import load_cassette

        meta = load_cassette(self.path(provider, name)).metadata.get(suite.SUITE_KEY) or {}
        base_url = meta.get("base_url") or suite.SIMULATOR_BASE_URLS[provider]
        return suite.Target(provider, base_url, suite.SIMULATOR_KEY)

    def path(self, provider: str, name: str) -> Path:
        return suite.cassette_path(self.cassettes, provider, name)

    @contextmanager
    def call(self, provider: str, name: str) -> Iterator[suite.Target]:
        """The block's requests are answered by the cassette (replay) or the simulator (live)."""
        self.progress(f"{'calling the simulator' if self.live else 'replaying'}: {provider}/{name}")
        target = self.target(provider, name)
        if self.live:
            yield target
            return
        from harness.cassettes import use_cassette

        path = self.path(provider, name)
        if not path.is_file():
            raise FileNotFoundError(
                f"cassette {path} is missing: run 'sik-llms record' to rebuild the library"
            )
        with use_cassette(path, mode="none", timing="virtual", clock=self.clock, unused="error"):
            yield target


def _as_typed(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _otlp_endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def run_tour(
    *,
    live: bool = False,
    cassettes: Path | None = None,
    otlp: str | None = None,
    progress: Progress = lambda _msg: None,
) -> dict[str, Any]:
    """Run the whole tour and return the report (plain, JSON-ready data)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry

    from harness.clock import VirtualClock
    from harness.spans.capture import capture

    cassettes = Path(cassettes or suite.CASSETTE_ROOT)
    registry = CollectorRegistry()
    prom = PrometheusMetricReader(registry=registry, disable_target_info=True)
    meter_provider = MeterProvider(
        metric_readers=[prom, InMemoryMetricReader()], shutdown_on_exit=False
    )
    clock = None if live else VirtualClock()
    report: dict[str, Any] = {
        "title": "sik-llms demo: the guide's X-ray vision, from real calls",
        "mode": "live" if live else "replay",
    }
    with ExitStack() as stack:
        targets = None
        if live:
            targets, _sim = stack.enter_context(_live_targets())
        runner = Runner(
            live=live, cassettes=cassettes, clock=clock, targets=targets, progress=progress
        )
        cap = stack.enter_context(capture(clock=clock if clock is not None else None))
        batch = checked = None
        if otlp:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            from harness.otlp_check import CheckedExporter

            checked = CheckedExporter(OTLPSpanExporter(endpoint=_otlp_endpoint(otlp), timeout=2))
            stack.enter_context(checked.quiet_exporter_logs())
            batch = BatchSpanProcessor(
                checked, schedule_delay_millis=200, export_timeout_millis=2000
            )
            cap.tracer_provider.add_span_processor(batch)
        with telemetry.use_providers(cap.tracer_provider, meter_provider):
            trip_answer = _trip(runner, cap)
            error_node = _error_401(runner, cap)
            retry_node = _retry_429(runner, cap)
        spans = cap.spans()
        tree = cap.tree(metrics=False)  # ordered by the capture's own start sequence
        trip_root = next(r for r in tree.roots if r.name == "trip_planning.request")
        report["trip"] = trip_section(trip_root, trip_answer)
        report["metrics"] = metrics_section(registry)
        report["scenarios"] = [
            error_section(tree, error_node),
            retry_section(tree, retry_node),
            _sampler_section(runner, progress),
        ]
        if batch is not None and checked is not None:
            batch.force_flush(timeout_millis=3000)
            batch.shutdown()  # "flushed" is not "delivered": the checked exporter says what was
            report["otlp"] = {"endpoint": _otlp_endpoint(otlp or ""), **checked.outcome(len(spans))}
    report["next"] = next_steps(_as_typed(runner.path(PROVIDER, "agent_trip")))
    return report


@contextmanager
def _live_targets() -> Iterator[tuple[dict[str, suite.Target], Any]]:
    from harness.simulator import Simulator

    with Simulator(scenario=suite.SCENARIO, seed=7) as sim:
        bases = {"openai": sim.openai_base_url, "anthropic": sim.anthropic_base_url}
        yield {p: suite.Target(p, url, suite.SIMULATOR_KEY) for p, url in bases.items()}, sim


def _trip(runner: Runner, cap: Any) -> str:
    tracer = cap.tracer("trip-planner")
    with runner.call(PROVIDER, "agent_trip") as target:
        with tracer.start_as_current_span("trip_planning.request") as root:
            root.set_attribute("user.question", TRIP_QUESTION)
            agent = suite.make_trip_agent(target)
            response = agent([{"role": "user", "content": TRIP_QUESTION}])
            root.set_attribute("response.length", len(response.response))
    return response.response


def _error_401(runner: Runner, cap: Any) -> str:
    with runner.call(PROVIDER, "error_401") as target:
        outcome = suite.error_401(target)
    return type(outcome.error).__name__ if outcome.error else "no error"


def _retry_429(runner: Runner, cap: Any) -> str:
    with runner.call(PROVIDER, "retry_429") as target:
        outcome = suite.retry_429(target)
    return outcome.summary


def _sampler_section(runner: Runner, progress: Progress) -> dict[str, Any]:
    """Expensive and cheap calls through the guide's sampler (as printed, and fixed)."""
    from harness.spans.capture import IncrementalIdGenerator

    models = suite.MODELS[PROVIDER]
    calls = [
        ("expensive", models["expensive"], suite.expensive),
        ("text", models["cheap"], suite.text),
    ]
    rows = []
    for sampler_cls in (CostBasedSampler, GuideCostBasedSampler):
        exporter = InMemorySpanExporter()
        provider = TracerProvider(
            sampler=ParentBased(root=sampler_cls()),
            id_generator=IncrementalIdGenerator(),
            shutdown_on_exit=False,
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        meters = MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
        for name, model, fn in calls:
            before = len(exporter.get_finished_spans())
            with ExitStack() as stack:
                stack.enter_context(telemetry.use_providers(provider, meters))
                target = stack.enter_context(runner.call(PROVIDER, name))
                outcome = fn(target)
            kept = exporter.get_finished_spans()[before:]
            response = outcome.responses[0]
            rows.append(
                {
                    "sampler": sampler_cls().get_description(),
                    "model": model,
                    "cost_usd": round(float(response.total_cost), 8),
                    "decision": "kept" if kept else "dropped",
                    "spans_exported": len(kept),
                }
            )
    return {
        "id": "cost_sampler",
        "title": "CostBasedSampler: keep the expensive call, drop the cheap one",
        "note": (
            "As printed in the guide, the sampler knows models by name only (gpt-4, gpt-3.5, "
            "claude-3-opus; and 'gpt-4' in 'gpt-4o-mini' is true, so that cheap model is always "
            "kept): current models fall to its default rate. The fixed sampler checks cheap models "
            "first and sorts the rest by their published price. Both wrapped in ParentBased so a "
            "kept call keeps its whole tree."
        ),
        "rows": rows,
    }
