"""How many calls per second batch OTLP export keeps up with, and what it drops above that.

Traced calls are made at a paced rate for a few seconds, exported by the SDK's
``BatchSpanProcessor`` over OTLP/HTTP to a loopback collector running in its own process (so
decoding there does not share this process's GIL). After a final flush, spans made minus spans
received is what the batch queue dropped.

Producers: ``ours`` is a real sik_llms call replayed in process (SDK client, HTTP stack,
three spans); ``floor`` is ``harness.bench.floor.FloorEmitter``: the same three spans with the
same attributes, emitted by the thinnest code. The exporter only sees spans, so ``floor``
measures what the export pipeline sustains when the application's own work is not the limit
(as for real calls, which wait on the network without holding the GIL); in one process, a
tight loop of ``ours`` calls is itself too slow to outrun the exporter on a busy machine.
``find_sustained`` searches the highest rate with zero drops, bounded in probes and seconds.

The processor is built with no arguments, so it reads the standard ``OTEL_BSP_*`` variables
(``OTEL_BSP_MAX_QUEUE_SIZE``, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``,
``OTEL_BSP_EXPORT_TIMEOUT``), as zero-config does: run it once with the defaults and once with
the settings you mean to deploy. ``python -m harness.bench.bsp --find`` searches;
``--rates 500,1000,2000,0`` (0 = as fast as possible) prints one row per rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

__all__ = [
    "BSP_VARIABLES",
    "PRODUCERS",
    "SUSTAINED",
    "cpu_budget",
    "find_sustained",
    "measure_rate",
    "run",
    "sustained_note",
]

BSP_VARIABLES = (
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_EXPORT_TIMEOUT",
)
PRODUCERS = ("floor", "ours")

#: Measured on the project's bench machine with the default ``OTEL_BSP_*`` settings (see
#: docs/bench.md, "Batch export"): the highest rate with zero drops over 6 s, and the lowest
#: rate found dropping. ``sik-llms bench`` and ``sik-llms load`` report drops against it.
SUSTAINED = {
    "calls_per_s": 2064,
    "drops_from_calls_per_s": 2177,
    "spans_per_call": 3,
    "machine": "2 CPU, load average 1 (977 / 1006 at load average 7)",
    "command": "python -m harness.bench.bsp --find",
}

_COLLECTOR = """
import sys
from harness.collector import Collector
with Collector() as c:
    print(c.endpoint, flush=True)
    for line in sys.stdin:
        print(len(c.spans()), flush=True)
"""


class _RemoteCollector:
    """``harness.collector.Collector`` in a child process; ``count()`` asks it for spans seen."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _COLLECTOR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http://127.0.0.1"):
            self.close()
            raise RuntimeError(f"the collector did not start (said {self.endpoint!r})")

    def count(self) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _pipeline(endpoint: str, env: dict[str, str] | None = None) -> tuple[Any, Any]:
    """A provider exporting through a ``BatchSpanProcessor`` built with no arguments, so it
    reads the ``OTEL_BSP_*`` variables: the process's, overridden by ``env`` for this one."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        tp = TracerProvider()
        processor = BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=10)
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    tp.add_span_processor(processor)
    return tp, processor


def _producer(name: str, tp: Any, provider: str, workload: str) -> Any:
    if name == "ours":
        from harness.bench.calls import ours_call

        return ours_call(provider, workload, (tp, None))
    if name == "floor":
        from opentelemetry.sdk.metrics import MeterProvider

        from harness.bench.floor import bench_shapes, floor_call

        shape = bench_shapes((workload,))[(provider, workload)]
        return floor_call(shape, tp, MeterProvider(shutdown_on_exit=False))
    raise ValueError(f"producer must be one of {', '.join(PRODUCERS)}, not {name!r}")


def measure_rate(
    rate: float,
    seconds: float,
    collector: _RemoteCollector,
    provider: str = "openai",
    workload: str = "answer",
    producer: str = "ours",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Calls at ``rate`` per second (0: unpaced) for ``seconds``; spans made, received, dropped.
    ``env``: ``OTEL_BSP_*`` values for this run's processor (the rest as the process has them)."""
    tp, _processor = _pipeline(collector.endpoint, env)
    call = _producer(producer, tp, provider, workload)
    before = collector.count()
    calls = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        now = time.perf_counter()
        if now >= deadline:
            break
        if rate:
            due = start + calls / rate
            if due > now:
                time.sleep(due - now)
        call()
        calls += 1
    elapsed = time.perf_counter() - start
    tp.force_flush(30_000)
    made = calls * 3
    received = collector.count() - before
    for _ in range(50):  # the collector may still be decoding the last batch
        if received >= made:
            break
        time.sleep(0.1)
        received = collector.count() - before
    tp.shutdown()
    return {
        "producer": producer,
        "settings": ",".join(f"{k}={v}" for k, v in (env or {}).items()) or "defaults",
        "target_calls_per_s": rate or None,
        "calls_per_s": round(calls / elapsed, 1),
        "received_calls_per_s": round(received / 3 / elapsed, 1),
        "spans_made": made,
        "spans_received": received,
        "spans_dropped": made - received,
        "dropped_pct": round(100 * (made - received) / made, 2) if made else 0.0,
    }


def find_sustained(
    collector: _RemoteCollector,
    seconds: float = 6.0,
    probes: int = 7,
    producer: str = "floor",
    progress: Any = None,
    measure: Any = None,
) -> dict[str, Any]:
    """The highest paced rate (calls/s) with zero drops, and the lowest found dropping.

    Starts unpaced (the rate the spans really left at is the first guess), then bisects
    between the best zero-drop rate and the lowest dropping rate, ``probes`` runs of
    ``seconds`` each. A queue of ``OTEL_BSP_MAX_QUEUE_SIZE`` spans absorbs an excess of
    ``q / seconds`` spans/s for the run, so the resolution is about ``q / (3 * seconds)``
    calls/s: longer runs, tighter figure. ``measure`` stands in for ``measure_rate``.
    """
    say = progress or (lambda _m: None)
    measure = measure or measure_rate
    first = measure(0, seconds, collector, producer=producer)
    rows = [first]
    say(f"unpaced: {first['calls_per_s']} calls/s made, {first['spans_dropped']} spans dropped")
    if first["spans_dropped"] == 0:  # the producer cannot outrun the exporter
        ok, bad = first["calls_per_s"], None
    else:
        ok, bad = 0.0, first["calls_per_s"]
        rate = 0.9 * first["received_calls_per_s"]
        for _ in range(probes):
            row = measure(round(rate), seconds, collector, producer=producer)
            rows.append(row)
            say(f"{round(rate)}/s: {row['calls_per_s']} made, {row['spans_dropped']} spans dropped")
            if row["spans_dropped"]:
                bad = min(bad, rate)
            else:
                ok = max(ok, min(rate, row["calls_per_s"]))
                if row["calls_per_s"] < 0.97 * rate:
                    break  # the producer fell behind its pace: the exporter is not the limit
            if bad - ok <= max(10.0, 0.03 * bad):
                break
            rate = (ok + bad) / 2 if ok else rate * 0.8
    return {
        "producer": producer,
        "seconds": seconds,
        "calls_per_s": round(ok),
        "drops_from_calls_per_s": None if bad is None else round(bad),
        "rows": rows,
    }


def measure_sustained(
    seconds: float = 5.0, probes: int = 5, progress: Any = None
) -> dict[str, Any]:
    """``find_sustained`` with the floor producer against a fresh loopback collector."""
    collector = _RemoteCollector()
    try:
        found = find_sustained(collector, seconds, probes, "floor", progress=progress)
    finally:
        collector.close()
    return {**_settings(), **found}


def markdown_section(found: dict[str, Any] | None, report: dict[str, Any]) -> list[str]:
    """The batch-export lines of the bench's Markdown: the rate found this run (or the
    documented one), and the OTLP setup's calls and drops against it."""
    lines = [""]
    if found:
        shown = {k: v for k, v in found["bsp_settings"].items() if v} or "the SDK defaults"
        drops = found["drops_from_calls_per_s"]
        lines.append(
            f"Batch export that keeps up (`python -m harness.bench.bsp --find`, {shown}): up to "
            f"{found['calls_per_s']} calls/s ({3 * found['calls_per_s']} spans/s) with zero drops "
            f"over {found['seconds']:g} s"
            + (f", drops from {drops} calls/s" if drops else ", no rate found dropping")
            + " (three spans a call from the floor emitter, OTLP/HTTP to a loopback collector)."
        )
        limit = found["calls_per_s"]
    else:
        limit = SUSTAINED["calls_per_s"]
        lines.append(
            f"Batch export: the default BatchSpanProcessor sustains about {limit} calls/s on the "
            f"bench machine (documented figure, docs/bench.md; not measured in this run)."
        )
    rates = [
        1e6 / r["wall_us"]["median"]
        for r in report.get("results", [])
        if r.get("setup") == "ours_otlp" and r.get("status") == "ok"
    ]
    otlp = report.get("otlp") or {}
    if rates and otlp.get("calls") and limit:
        made, received = otlp["spans_expected"], otlp["collector_spans_received"]
        dropped = max(0, made - received)
        lines.append(
            f"The OTLP setup calls in a tight loop at {min(rates):.0f} to {max(rates):.0f} calls/s "
            f"({max(rates) / limit:.1f}x the sustained rate at most): {dropped} of "
            f"about {made} spans dropped. Above the sustained rate the queue "
            "(OTEL_BSP_MAX_QUEUE_SIZE) only absorbs a burst; sampling or more processes raise "
            "the rate itself (docs/bench.md, 'Batch export')."
            + (
                " Drops while every round's median rate is below the sustained one come from "
                "faster stretches within a round, or from a slower receiver: the setups export "
                "to a collector thread of the bench's own process, the search to a collector "
                "process of its own, minutes apart on a shared machine."
                if dropped and max(rates) < limit
                else ""
            )
        )
    return lines


def sustained_note(runs: list[tuple[str, float, int]]) -> str:
    """One sentence putting runs' drops next to ``SUSTAINED``: ``runs`` are (name, calls per
    second, spans dropped). Drops at a rate under the figure are not the queue outrun by calls
    but exports that failed (a collector down or refusing)."""
    limit = SUSTAINED["calls_per_s"]
    if not limit or not runs:
        return ""
    head = (
        f"Batch export: the default BatchSpanProcessor sustains about {limit} calls/s on the "
        "bench machine (docs/bench.md, 'Batch export')"
    )
    dropped = [(name, rate, n) for name, rate, n in runs if n]
    if not dropped:
        fastest = max(rate for _, rate, _ in runs)
        return f"{head}; no run dropped spans (the fastest made {fastest:.0f} calls/s)."
    parts = []
    for name, rate, n in dropped:
        why = "above it: calls outran the export" if rate > limit else "below it: exports failed"
        parts.append(f"{name} {n} spans at {rate:.0f} calls/s ({why})")
    return f"{head}; dropped: " + "; ".join(parts) + "."


def cpu_budget(
    collector: _RemoteCollector,
    calls: int = 600,
    provider: str = "openai",
    workload: str = "answer",
) -> dict[str, Any]:
    """CPU µs (this thread) per traced call, and per span exported by OTLP/HTTP in batches
    of 512. With the exporter thread sharing the GIL, one process sustains at most
    1e6 / (call + 3 spans' export) calls per second; above that the queue grows until it
    drops. Thread CPU time, so a loaded machine inflates it less than wall time."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from harness.bench.calls import ours_call

    memory = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(memory))
    call = ours_call(provider, workload, (tp, None))
    for _ in range(50):
        call()
    memory.clear()
    cpu = time.thread_time_ns
    c0 = cpu()
    for _ in range(calls):
        call()
    call_us = (cpu() - c0) / calls / 1000
    spans = list(memory.get_finished_spans())
    exporter = OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces", timeout=10)
    exporter.export(spans[:512])  # connection and first-use costs
    c0 = cpu()
    exported = 0
    for i in range(0, len(spans) - 511, 512):
        exporter.export(spans[i : i + 512])
        exported += 512
    span_us = (cpu() - c0) / max(exported, 1) / 1000
    exporter.shutdown()
    tp.shutdown()
    per_call = call_us + 3 * span_us
    return {
        "call_cpu_us": round(call_us, 1),
        "export_cpu_us_per_span": round(span_us, 1),
        "max_calls_per_s_one_core": round(1e6 / per_call),
    }


def run(
    rates: list[float],
    seconds: float = 4.0,
    producer: str = "ours",
    envs: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One row per rate and per setting (``envs``: ``OTEL_BSP_*`` overrides, ``{}`` for the
    process's own), the settings interleaved at each rate so machine drift hits them alike."""
    collector = _RemoteCollector()
    try:
        budget = cpu_budget(collector)
        rows = [
            measure_rate(rate, seconds, collector, producer=producer, env=env)
            for rate in rates
            for env in envs or [{}]
        ]
    finally:
        collector.close()
    return {**_settings(), "seconds": seconds, "cpu_budget": budget, "rows": rows}


def _settings() -> dict[str, Any]:
    return {
        "bsp_settings": {var: os.environ.get(var) for var in BSP_VARIABLES},
        "nproc": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def _print_rows(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'producer':>8} {'target/s':>9} {'calls/s':>8} {'made':>7} {'received':>9} {'dropped':>8} "
        f"{'%':>6}  settings"
    )
    for row in rows:
        target = row["target_calls_per_s"] or "max"
        print(
            f"{row['producer']:>8} {target!s:>9} {row['calls_per_s']:8.1f} {row['spans_made']:7d} "
            f"{row['spans_received']:9d} {row['spans_dropped']:8d} {row['dropped_pct']:6.2f}  "
            f"{row.get('settings', 'defaults')}"
        )


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.bsp", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--rates", default="250,500,1000,2000,0", help="calls/s, comma-separated (0 = unpaced)"
    )
    parser.add_argument(
        "--find", action="store_true", help="search the highest rate with zero drops instead"
    )
    parser.add_argument("--producer", choices=PRODUCERS, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="per rate (4; 6 with --find)")
    parser.add_argument("--probes", type=int, default=7, help="paced runs at most (--find)")
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="VAR=VALUE[,VAR=VALUE]",
        help="also run every rate with these OTEL_BSP_* settings, interleaved (repeatable)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    envs: list[dict[str, str]] = [{}]
    for spec in args.compare:
        pairs = [p.split("=", 1) for p in spec.split(",") if p.strip()]
        bad = [p[0] for p in pairs if len(p) != 2 or p[0] not in BSP_VARIABLES]
        if bad:
            parser.error(f"--compare takes {', '.join(BSP_VARIABLES)}=VALUE, not {bad}")
        envs.append(dict(pairs))  # type: ignore[arg-type]
    if args.find:
        collector = _RemoteCollector()
        try:
            found = find_sustained(
                collector,
                args.seconds or 6.0,
                args.probes,
                args.producer or "floor",
                progress=lambda m: print(m, file=sys.stderr, flush=True),
            )
        finally:
            collector.close()
        result = {**_settings(), **found}
    else:
        result = run(
            [float(r) for r in args.rates.split(",")],
            args.seconds or 4.0,
            args.producer or "ours",
            envs,
        )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    shown = {k: v for k, v in result["bsp_settings"].items() if v is not None} or "SDK defaults"
    print(
        f"BatchSpanProcessor settings: {shown}; {result['seconds']} s per rate; "
        f"{result['nproc']} CPU, load {result['load_1m']}"
    )
    if "cpu_budget" in result:
        b = result["cpu_budget"]
        print(
            f"CPU per traced call {b['call_cpu_us']} µs, per exported span {b['export_cpu_us_per_span']} µs: "
            f"at most {b['max_calls_per_s_one_core']} calls/s on one core"
        )
    _print_rows(result["rows"])
    if args.find:
        drops = result["drops_from_calls_per_s"]
        print(
            f"sustained: {result['calls_per_s']} calls/s with zero drops"
            + (f"; drops at {drops} calls/s" if drops else "; no drops found")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
