"""The worker side of the bench: one setup per process, answering the parent over stdin/stdout.

Protocol (JSON lines): the worker prints ``{"ready": ...}`` or ``{"skipped": reason}``, then
answers ``{"op": "run" | "mem" | "pair" | "quit", ...}`` requests, one line each. ``pair``
(the ``floor`` worker only) runs telemetry off, on, and off followed by the floor, three
rotations of one batch each in this one process (``run_pair``), so the floor ratio compares code on one heap and one set of caches
(``same_process_callers``). Run as
``python -m harness.bench.worker SETUP [--endpoint URL]`` (``harness.bench.runner`` does).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.bench.calls import bare_call, ours_call
from harness.bench.model import SETUP_BY_NAME, WORD, WORKLOADS

__all__ = ["Exporters", "build_callers", "dist_version", "memory_exporters", "worker_main"]


@dataclass
class Exporters:
    """The telemetry pipeline a worker set up, so batches can clear and count it."""

    tracer_provider: Any = None
    meter_provider: Any = None
    span_exporter: Any = None
    spans: int = 0

    def drain(self) -> None:
        if self.span_exporter is not None:
            self.spans += len(self.span_exporter.get_finished_spans())
            self.span_exporter.clear()

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):  # best effort at exit
                    provider.shutdown()


def memory_exporters() -> Exporters:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    mp = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return Exporters(tp, mp, exporter)


def otlp_exporters(endpoint: str) -> Exporters:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tp = TracerProvider()
    tp.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=2))
    )
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=2),
        export_interval_millis=5000,
    )
    mp = MeterProvider(metric_readers=[reader])
    return Exporters(tp, mp, None)


def dist_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


PEER_DISTS = {
    "openai_v2": ("opentelemetry-instrumentation-openai-v2", "opentelemetry-util-genai", "httpx"),
    "openllmetry": (
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
    ),
    "anthropic_sdk": ("anthropic",),
}


def build_callers(
    setup: str, endpoint: str | None
) -> tuple[dict[tuple[str, str], Callable[[], Any]], Exporters, dict[str, Any]]:
    """(callers by (provider, workload), exporters, notes) for one setup, in this process.

    Raises ``LookupError(reason)`` when the setup cannot run here (a peer is not installed).
    """
    spec = SETUP_BY_NAME[setup]
    notes: dict[str, Any] = {}
    exporters = Exporters()
    callers: dict[tuple[str, str], Callable[[], Any]] = {}
    if setup in ("ours_on", "ours_lean", "floor", "openai_v2", "openllmetry", "anthropic_sdk"):
        exporters = memory_exporters()
    if setup == "ours_lean":  # this worker's process only: the runner clears it for the others
        from sik_llms.telemetry.state import PROFILE_VAR

        os.environ[PROFILE_VAR] = "lean"
    elif setup == "ours_otlp":
        if not endpoint:
            raise LookupError("no collector endpoint given")
        exporters = otlp_exporters(endpoint)
    tp, mp = exporters.tracer_provider, exporters.meter_provider
    if setup == "openai_v2":
        try:
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2
        except ImportError as exc:
            if dist_version("opentelemetry-instrumentation-openai-v2"):
                raise LookupError(
                    f"opentelemetry-instrumentation-openai-v2 {dist_version('opentelemetry-instrumentation-openai-v2')} "
                    f"is installed but cannot be imported: {exc} (it needs httpx and "
                    "opentelemetry-util-genai<1.2b0: pip install -e '.[dev]' pins both)"
                ) from None
            raise LookupError(
                f"opentelemetry-instrumentation-openai-v2 is not installed ({exc})"
            ) from None
        V2().instrument(tracer_provider=tp, meter_provider=mp)
        notes["content_capture"] = "off (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT unset)"
    elif setup == "openllmetry":
        try:
            from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop
        except ImportError as exc:
            raise LookupError(f"OpenLLMetry's instrumentations are not installed ({exc})") from None
        Traceloop().instrument(tracer_provider=tp, meter_provider=mp)
        AnthropicInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
        notes["content_capture"] = (
            f"TRACELOOP_TRACE_CONTENT={os.environ.get('TRACELOOP_TRACE_CONTENT', 'unset (default: on)')}"
        )
    for provider in spec.providers:
        for workload in WORKLOADS:
            key = (provider, workload)
            if setup in ("bare", "openai_v2", "openllmetry"):
                callers[key] = bare_call(provider, workload)
            elif setup == "anthropic_sdk":
                callers[key] = bare_call(
                    provider, workload, {"open_telemetry": {"tracer_provider": tp}}
                )
            elif setup == "ours_off":
                callers[key] = ours_call(provider, workload, None)
            elif setup == "floor":
                from harness.bench.floor import bench_floor_call

                callers[key] = bench_floor_call(provider, workload, tp, mp)
            else:
                callers[key] = ours_call(provider, workload, (tp, mp))
    notes["versions"] = {d: dist_version(d) for d in PEER_DISTS.get(setup, ())}
    return callers, exporters, notes


def same_process_callers() -> tuple[dict[tuple[str, str], dict[str, Callable[[], Any]]], Exporters]:
    """For the ``floor`` worker: per (provider, workload), ``off`` (telemetry off) and ``on``
    (telemetry on into in-memory providers of its own, returned to be drained), made in the
    floor's process, so ``pair`` measures off, on and off + floor side by side with no
    process-to-process difference."""
    pipe = memory_exporters()
    return {
        (provider, workload): {
            "off": ours_call(provider, workload, None),
            "on": ours_call(provider, workload, (pipe.tracer_provider, pipe.meter_provider)),
        }
        for provider in SETUP_BY_NAME["floor"].providers
        for workload in WORKLOADS
    }, pipe


def run_pair(
    callers: dict[str, Callable[[], Any]], floor: Callable[[], Any], calls: int, turn: int
) -> dict[str, dict[str, float]]:
    """Three rotations of one batch each of ``off``, ``on`` and ``floor`` (the starting setup
    moving with ``turn``, so none always runs first or last), a collection before each batch so
    one setup's garbage is not collected on another's time; nanoseconds summed per setup, as
    ``run_batch`` counts them (three batches of ``calls`` each)."""
    order = [("off", callers["off"]), ("on", callers["on"]), ("floor", floor)]
    totals = {name: {"wall_ns": 0, "cpu_ns": 0, "calls": 0} for name, _ in order}
    for i in range(len(order)):
        start = (turn + i) % len(order)
        for name, call in order[start:] + order[:start]:
            gc.collect()
            got = run_batch(call, calls)
            totals[name]["wall_ns"] += got["wall_ns"]
            totals[name]["cpu_ns"] += got["cpu_ns"]
            totals[name]["calls"] += calls
    return totals


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


def check_call(
    setup: str, key: tuple[str, str], call: Callable[[], Any], exporters: Exporters
) -> str | None:
    """Why this caller is not measuring what it claims, or None (answer right, spans made)."""
    exporters.drain()
    before = exporters.spans
    result = call()
    exporters.drain()
    text = getattr(result, "response", None) if setup.startswith("ours") else None
    if setup.startswith("ours") and key[1] != "tool" and not (text and text.startswith(WORD)):
        return f"unexpected answer {result!r:.80}"
    if (
        setup.startswith("ours")
        and key[1] == "tool"
        and not getattr(result, "tool_predictions", None)
    ):
        return f"no tool prediction in {result!r:.80}"
    if exporters.span_exporter is not None and exporters.spans == before:
        return "instrumented, but the call produced no spans"
    return None


def worker_main(setup: str, endpoint: str | None) -> int:
    """Serve one setup's measurements over stdin/stdout (JSON lines)."""
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the protocol

    def send(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    try:
        callers, exporters, notes = build_callers(setup, endpoint)
    except LookupError as exc:
        send({"skipped": str(exc)})
        return 0
    broken: dict[str, str] = {}
    for key, call in callers.items():
        for _ in range(3):  # warm up: imports, lazily built SDK clients, caches
            call()
        problem = check_call(setup, key, call, exporters)
        if problem:
            broken[f"{key[0]}/{key[1]}"] = problem
    pairs, pair_exporters = same_process_callers() if setup == "floor" else ({}, Exporters())
    for pair in pairs.values():
        for call in pair.values():
            for _ in range(3):  # warm up as the setup's own callers were
                call()
    send({"ready": True, "notes": notes, "broken": broken})
    total = 4 * len(callers)  # warm-up and check calls made spans too
    turn = 0
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "quit":
            break
        call = callers[(req["provider"], req["workload"])]
        if op == "pair":
            if not pairs:
                send({"error": f"setup {setup} measures no pair (only floor does)"})
                continue
            res: dict[str, Any] = run_pair(
                pairs[(req["provider"], req["workload"])], call, int(req["calls"]), turn
            )  # the pair's "on" calls export to a pipeline of their own: not counted here
            total += int(res["floor"]["calls"])  # three batches of the floor's calls
            turn += 1
            exporters.drain()
            pair_exporters.drain()
        elif op == "run":
            total += int(req["calls"])
            res = run_batch(call, int(req["calls"]))
            exporters.drain()
        else:
            res = run_memory(call, int(req["calls"]), exporters)
            total += int(req["calls"]) + min(int(req["calls"]), 200)  # and its warm-up
        send(res)
    exporters.shutdown()
    send({"done": True, "spans": exporters.spans, "calls": total})
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] != "--endpoint":
        ep = sys.argv[sys.argv.index("--endpoint") + 1] if "--endpoint" in sys.argv else None
        sys.exit(worker_main(sys.argv[1], ep))
    print(
        "usage: python -m harness.bench.worker SETUP [--endpoint URL]  (or: sik-llms bench)",
        file=sys.stderr,
    )
    sys.exit(2)
