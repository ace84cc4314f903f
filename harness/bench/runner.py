"""The parent side of the bench: one worker process per setup, driven in interleaved rounds.

Every setup answers the same requests from memory (``harness.bench.wire``: pre-built wire
bodies, SSE served one event per chunk, zero latency), so what is left is the client-side cost of
the SDK, of sik_llms, and of whichever instrumentation is on. Each setup runs in its own worker
subprocess (``harness.bench.worker``: peers instrument by patching the SDKs globally, and ours
must not import the OpenTelemetry SDK when telemetry is off); the parent drives all workers in
rounds, in a shuffled order per round, so slow drift of the machine hits every setup alike. A
sample is the mean of one batch of calls; a figure is the median of the samples, with its
interquartile range (``harness.bench.analysis``).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.bench.analysis import assemble
from harness.bench.model import SETUP_BY_NAME, BenchConfig, Setup
from harness.bench.worker import dist_version

__all__ = ["Worker", "run_bench", "start_worker", "versions"]

#: the folder holding the ``harness`` package, so workers import this same copy
_IMPORT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    """A running worker subprocess for one setup."""

    setup: Setup
    proc: subprocess.Popen[str]
    ready: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def ask(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.setup.name} died (exit {self.proc.poll()})")
        return json.loads(line)

    def close(self) -> dict[str, Any]:
        if self.proc.poll() is not None:
            return {}
        try:
            done = self.ask({"op": "quit"}) if self.skipped is None else {}
        except (RuntimeError, BrokenPipeError, ValueError):
            done = {}
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return done


def start_worker(setup: Setup, endpoint: str | None) -> Worker:
    """Start one setup's worker."""
    cmd = [sys.executable, "-m", "harness.bench.worker", setup.name]
    if endpoint:
        cmd += ["--endpoint", endpoint]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for var in (
        "OTEL_SDK_DISABLED",
        "OTEL_SEMCONV_STABILITY_OPT_IN",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "SIK_LLMS_TELEMETRY_PROFILE",  # the ours_lean worker sets it for itself
    ):
        env.pop(var, None)  # every setup runs with its defaults
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=_IMPORT_ROOT,
    )
    return Worker(setup, proc)


def _await_ready(worker: Worker, timeout: float = 120.0) -> None:
    assert worker.proc.stdout is not None
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(worker.proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        worker.skipped = f"worker did not start within {timeout:.0f} s"
        worker.proc.kill()
        return
    line = worker.proc.stdout.readline()
    if not line:
        worker.skipped = f"worker exited during setup (exit {worker.proc.wait()})"
        return
    msg = json.loads(line)
    if "skipped" in msg:
        worker.skipped = msg["skipped"]
    else:
        worker.ready = msg


def versions() -> dict[str, str | None]:
    dists = (
        "sik-llms",
        "openai",
        "anthropic",
        "httpx2",
        "opentelemetry-sdk",
        "opentelemetry-exporter-otlp-proto-http",
        "opentelemetry-instrumentation-openai-v2",
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
    )
    return {d: dist_version(d) for d in dists}


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure every setup in ``cfg`` (one worker process each) and return the report dict."""
    from harness.collector import Collector

    say = progress or (lambda _m: None)
    rng = random.Random(cfg.seed)
    setups = [SETUP_BY_NAME[n] for n in cfg.setups]
    if "bare" not in cfg.setups:
        setups.insert(0, SETUP_BY_NAME["bare"])  # every ratio needs it
    collector = Collector().start()
    workers: list[Worker] = []
    started = time.perf_counter()
    try:
        say(f"starting {len(setups)} worker processes ...")
        workers = [start_worker(s, collector.endpoint) for s in setups]
        for w in workers:
            _await_ready(w)
            say(f"  {w.setup.name}: " + (f"skipped: {w.skipped}" if w.skipped else "ready"))
        live = [w for w in workers if w.skipped is None]
        bare = next(w for w in live if w.setup.name == "bare")
        cells = [(p, wl) for p in cfg.providers for wl in cfg.workloads]
        # calibration: the same number of calls per batch for every setup of a cell
        batch: dict[tuple[str, str], int] = {}
        for cell in cells:
            probe = bare.ask({"op": "run", "provider": cell[0], "workload": cell[1], "calls": 20})
            per_call_ms = probe["wall_ns"] / 20 / 1e6
            batch[cell] = max(3, int(cfg.batch_ms / per_call_ms))
        # memory first, while each worker's peak RSS is still its warm-up peak
        memory = []
        if cfg.memory_calls:
            for w in live:
                for p in w.setup.providers:
                    if p not in cfg.providers:
                        continue
                    say(f"memory: {w.setup.name} / {p}: {cfg.memory_calls} calls ...")
                    res = w.ask(
                        {
                            "op": "mem",
                            "provider": p,
                            "workload": "answer",
                            "calls": cfg.memory_calls,
                        }
                    )
                    memory.append(
                        {"setup": w.setup.name, "provider": p, "workload": "answer", **res}
                    )
        samples: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        # same-process batches (``harness.bench.pairs``): the floor's and each peer's, per
        # setup, cell and round
        paired: dict[tuple[str, str, str], list[dict[str, tuple[float, float]]]] = {}
        pairing = [w for w in live if w.ready.get("pairs")]
        for r in range(cfg.rounds):
            say(f"round {r + 1}/{cfg.rounds}")
            for cell in cells:
                order = [w for w in live if cell[0] in w.setup.providers]
                rng.shuffle(order)
                n = batch[cell]
                for w in order:
                    res = w.ask({"op": "run", "provider": cell[0], "workload": cell[1], "calls": n})
                    samples.setdefault((w.setup.name, *cell), []).append(
                        (res["wall_ns"] / n / 1000.0, res["cpu_ns"] / n / 1000.0)
                    )
                for w in pairing:
                    if f"{cell[0]}/{cell[1]}" in w.ready.get("pair_cells", ()):
                        paired.setdefault((w.setup.name, *cell), []).append(_pair(w, cell, n))
        finals = {w.setup.name: w.close() for w in live}
        time.sleep(0.2)
        received = len(collector.spans())
    finally:
        for w in workers:
            w.close()
        collector.stop()
    report = assemble(
        cfg, setups, workers, samples, batch, memory, finals, received, versions(), paired
    )
    report.update(_harness_sections(cfg, say))
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _pair(worker: Worker, cell: tuple[str, str], calls: int) -> dict[str, tuple[float, float]]:
    """One ``pair`` request: (wall, CPU) µs per call by pair name."""
    res = worker.ask({"op": "pair", "provider": cell[0], "workload": cell[1], "calls": calls})
    if "error" in res:
        raise RuntimeError(f"worker {worker.setup.name}: {res['error']}")
    return {
        name: (got["wall_ns"] / got["calls"] / 1000.0, got["cpu_ns"] / got["calls"] / 1000.0)
        for name, got in res.items()
    }


def _harness_sections(cfg: BenchConfig, say: Callable[[str], None]) -> dict[str, Any]:
    """The per-test harness suites and the batch-export search, after the workers are gone."""
    from harness.bench import bsp, pertest

    sections: dict[str, Any] = {"pertest": None, "bsp": None}
    if cfg.pertest_tests:
        say(f"per test: {cfg.pertest_tests} tests x {len(pertest.ALL_SUITES)} suites ...")
        try:
            sections["pertest"] = pertest.run(
                cfg.pertest_tests,
                cfg.pertest_rounds,
                warmup=min(10, cfg.pertest_tests // 3),
                suites=pertest.ALL_SUITES,
                progress=say,
            )
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:  # keep the rest
            sections["pertest"] = {"error": str(exc).splitlines()[0]}
    if cfg.bsp_seconds:
        say("batch export: the highest rate with zero drops ...")
        try:
            sections["bsp"] = bsp.measure_sustained(cfg.bsp_seconds, progress=say)
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            say(f"batch export: not measured ({exc})")
    return sections
