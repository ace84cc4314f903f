"""How many calls per second batch OTLP export keeps up with, and what it drops above that.

sik_llms calls (in-process replay, zero latency, three spans each) are made at a paced rate
for a few seconds, exported by the SDK's ``BatchSpanProcessor`` over OTLP/HTTP to a loopback
collector running in its own process (so decoding there does not share this process's GIL).
After a final flush, spans made minus spans received is what the batch queue dropped.

The processor is built with no arguments, so it reads the standard ``OTEL_BSP_*`` variables
(``OTEL_BSP_MAX_QUEUE_SIZE``, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_BSP_MAX_EXPORT_BATCH_SIZE``,
``OTEL_BSP_EXPORT_TIMEOUT``), as zero-config does: run it once with the defaults and once with
the settings you mean to deploy. ``python -m harness.bench.bsp --rates 500,1000,2000,0``
(0 = as fast as possible) prints one row per rate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

__all__ = ["BSP_VARIABLES", "cpu_budget", "measure_rate", "run"]

BSP_VARIABLES = (
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_EXPORT_TIMEOUT",
)

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


def _pipeline(endpoint: str) -> tuple[Any, Any]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tp = TracerProvider()
    processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=10))
    tp.add_span_processor(processor)
    return tp, processor


def measure_rate(
    rate: float,
    seconds: float,
    collector: _RemoteCollector,
    provider: str = "openai",
    workload: str = "answer",
) -> dict[str, Any]:
    """Calls at ``rate`` per second (0: unpaced) for ``seconds``; spans made, received, dropped."""
    from harness.bench.calls import ours_call

    tp, _processor = _pipeline(collector.endpoint)
    call = ours_call(provider, workload, (tp, None))
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
        "target_calls_per_s": rate or None,
        "calls_per_s": round(calls / elapsed, 1),
        "spans_made": made,
        "spans_received": received,
        "spans_dropped": made - received,
        "dropped_pct": round(100 * (made - received) / made, 2) if made else 0.0,
    }


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


def run(rates: list[float], seconds: float = 4.0) -> dict[str, Any]:
    collector = _RemoteCollector()
    try:
        budget = cpu_budget(collector)
        rows = [measure_rate(rate, seconds, collector) for rate in rates]
    finally:
        collector.close()
    settings = {var: os.environ.get(var) for var in BSP_VARIABLES}
    return {
        "bsp_settings": settings,
        "seconds": seconds,
        "nproc": os.cpu_count(),
        "cpu_budget": budget,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.bsp", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--rates", default="250,500,1000,2000,0", help="calls/s, comma-separated (0 = unpaced)"
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run([float(r) for r in args.rates.split(",")], args.seconds)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    shown = {k: v for k, v in result["bsp_settings"].items() if v is not None} or "SDK defaults"
    print(f"BatchSpanProcessor settings: {shown}; {result['seconds']} s per rate")
    b = result["cpu_budget"]
    print(
        f"CPU per traced call {b['call_cpu_us']} µs, per exported span {b['export_cpu_us_per_span']} µs: "
        f"at most {b['max_calls_per_s_one_core']} calls/s on one core"
    )
    print(f"{'target/s':>9} {'calls/s':>8} {'made':>7} {'received':>9} {'dropped':>8} {'%':>6}")
    for row in result["rows"]:
        target = row["target_calls_per_s"] or "max"
        print(
            f"{target!s:>9} {row['calls_per_s']:8.1f} {row['spans_made']:7d} {row['spans_received']:9d} "
            f"{row['spans_dropped']:8d} {row['dropped_pct']:6.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
