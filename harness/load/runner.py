"""Running bounded locust loads against the simulator: the processes and their deadlines.

``run_phases`` starts the provider simulator and, per phase, a fresh loopback ``Collector``,
runs the locustfile (``loadtests/locustfile.py``, bundled in the wheel) headless in a
subprocess (bounded by ``-t`` and by a hard timeout), stops everything it started by PID, and
compares what the locust process says it did with what reached the collector. ``run_distributed`` does the same with one master and N
workers. ``harness.load.analysis`` turns the results into figures, ``harness.load.report`` into
JSON, a Markdown table and an SVG chart.

Everything is measured in the run; nothing is assumed except the configuration we set.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness.bundled import locustfile
from harness.collector import Collector
from harness.load.analysis import analyse, summarise
from harness.load.phases import PHASES, LoadConfig, Phase
from harness.load.report import write_summary

__all__ = ["free_port", "run_distributed", "run_phase", "run_phases", "start_simulator"]

LOCUSTFILE = locustfile()
LOCUST_GRACE_S = 30.0  # beyond -t and --stop-timeout before the runner kills a locust process
STOP_TIMEOUT_S = 10  # let users finish the call in flight, so every trace is complete
# After the master exits, how long its workers get to exit before being killed: beyond locust's
# MASTER_HEARTBEAT_TIMEOUT (60 s), so a worker that missed "quit" still ends by itself.
WORKER_EXIT_S = 75.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- processes


def _env(phase: Phase, cfg: LoadConfig, endpoint: str, sim: Any, result: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIK_LOAD_"))}
    env.update(
        {
            "SIK_LOAD_OPENAI_BASE_URL": sim.openai_base_url,
            "SIK_LOAD_ANTHROPIC_BASE_URL": sim.anthropic_base_url,
            "SIK_LOAD_RESULT": str(result),
            "SIK_LOAD_PHASE": phase.name,
            "OTEL_SDK_DISABLED": "false" if phase.telemetry else "true",
        }
    )
    if cfg.weights:
        env["SIK_LOAD_WEIGHTS"] = cfg.weights
    if cfg.models:
        env["SIK_LOAD_MODELS"] = cfg.models
    if phase.telemetry:
        env.update(
            {
                "OTEL_SERVICE_NAME": "sik-llms-load",
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_EXPORTER_OTLP_TIMEOUT": str(
                    cfg.export_timeout_s
                ),  # seconds in the Python SDK
                "OTEL_TRACES_SAMPLER": phase.sampler,
                "OTEL_BSP_SCHEDULE_DELAY": "100",
                "OTEL_BSP_MAX_QUEUE_SIZE": "65536",
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "512",
                "OTEL_METRIC_EXPORT_INTERVAL": "5000",
            }
        )
        if phase.sampler_arg is not None:
            env["OTEL_TRACES_SAMPLER_ARG"] = str(phase.sampler_arg)
        if phase.cost_sampler:
            env["SIK_LOAD_SAMPLER"] = "cost"
    return env


def _locust_cmd(cfg: LoadConfig, out: Path, name: str, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(cfg.users),
        "-r",
        str(cfg.users),
        "-t",
        f"{cfg.seconds:g}s",
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--csv",
        str(out / name),
        "--json-file",
        str(out / f"{name}_locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        *extra,
    ]


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int, float]:
    """Wait for ``proc`` until ``deadline`` (monotonic); kill it by PID past that. (rc, end time)."""
    try:
        rc = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait(10)
        rc = rc if rc else -9
    return rc, time.time()


def _settle(collector: Collector | None, quiet: float = 0.5, limit: float = 5.0) -> None:
    """Wait until no new spans arrived for ``quiet`` seconds (at most ``limit``)."""
    if collector is None:
        return
    deadline = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = len(collector.spans())
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def start_simulator(stack: ExitStack, cfg: LoadConfig) -> Any:
    """The provider simulator with the load latency model, stopped when ``stack`` closes."""
    from harness.simulator import Simulator  # type: ignore[attr-defined]
    from harness.simulator.latency import Latency

    return stack.enter_context(Simulator(latency=Latency(ttft=cfg.ttft, tps=cfg.tps)))


def run_phase(
    phase: Phase,
    cfg: LoadConfig,
    sim: Any,
    out: Path,
    workers: int = 0,
    known: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Run one phase (locally, or as a master with ``workers`` workers) and analyse it."""
    result_path = out / f"{phase.name}.json"
    result_path.unlink(missing_ok=True)
    with ExitStack() as stack:
        collector: Collector | None = None
        if phase.fault == "down":
            endpoint = f"http://127.0.0.1:{free_port()}"  # closed: nothing listens there
        else:
            collector = stack.enter_context(
                Collector(
                    fault=phase.fault if phase.fault != "none" else "none", delay=cfg.slow_delay
                )
            )
            endpoint = collector.endpoint
        env = _env(phase, cfg, endpoint, sim, result_path)
        worker_dir = out / f"{phase.name}.workers"  # each worker writes its own totals here at exit
        if workers:
            shutil.rmtree(worker_dir, ignore_errors=True)
            worker_dir.mkdir(parents=True)
            env["SIK_LOAD_WORKER_DIR"] = str(worker_dir)
        procs: list[subprocess.Popen[bytes]] = []
        worker_rcs: list[int] = []
        logs = []
        try:
            extra: list[str] = []
            port = 0
            if workers:
                port = free_port()
                extra = [
                    "--master",
                    "--master-bind-host",
                    "127.0.0.1",
                    "--master-bind-port",
                    str(port),
                    "--expect-workers",
                    str(workers),
                    "--expect-workers-max-wait",
                    "20",
                ]
            log = (out / f"{phase.name}.log").open("wb")
            logs.append(log)
            started = time.time()
            t0 = time.monotonic()
            main = subprocess.Popen(
                _locust_cmd(cfg, out, phase.name, extra), env=env, stdout=log, stderr=log
            )
            procs.append(main)
            for i in range(workers):
                wlog = (out / f"{phase.name}.worker{i}.log").open("wb")
                logs.append(wlog)
                procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "locust",
                            "-f",
                            str(LOCUSTFILE),
                            "--worker",
                            "--master-host",
                            "127.0.0.1",
                            "--master-port",
                            str(port),
                            "--loglevel",
                            "WARNING",
                        ],
                        env=env,
                        stdout=wlog,
                        stderr=wlog,
                    )
                )
            deadline = t0 + cfg.seconds + STOP_TIMEOUT_S + LOCUST_GRACE_S + (20 if workers else 0)
            rc, ended = _wait(main, deadline)
            wall = time.monotonic() - t0
            # one deadline for all workers: each flushes its spans at exit, slower on a busy machine
            workers_deadline = time.monotonic() + WORKER_EXIT_S
            for w in procs[1:]:
                worker_rcs.append(_wait(w, workers_deadline)[0])
        finally:
            for p in procs:  # only ours, by PID
                if p.poll() is None:
                    p.kill()
                    p.wait(10)
            for log in logs:
                log.close()
        _settle(collector)
        spans = collector.spans() if collector else []
        rejected = collector.state.rejected if collector else 0
    if not result_path.exists():
        raise RuntimeError(
            f"phase {phase.name}: locust wrote no result (exit {rc}); see {out / (phase.name + '.log')}"
        )
    raw = json.loads(result_path.read_text())
    if workers:
        raw["worker_exit_codes"] = worker_rcs
        raw["worker_files"] = [json.loads(f.read_text()) for f in sorted(worker_dir.glob("*.json"))]
    return analyse(
        phase,
        raw,
        spans,
        rc=rc,
        wall=wall,
        started=started,
        ended=ended,
        rejected=rejected,
        known=known,
    )


def run_phases(cfg: LoadConfig, out: Path, progress: Any = print) -> dict[str, Any]:
    """Run the configured phases one after another; returns (and writes) the summary."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = [p for p in PHASES if p.name in cfg.phases]
    results = []
    known: dict[str, int] = {}
    t0 = time.monotonic()
    with ExitStack() as stack:
        sim = start_simulator(stack, cfg)
        for phase in chosen:
            progress(f"phase {phase.name}: {cfg.users} users for {cfg.seconds:g}s ...")
            res = run_phase(phase, cfg, sim, out, known=known)
            results.append(res)
            known.update(res.get("spans", {}).get("known_per_call", {}))
            progress(
                f"  {res['calls_total']} calls, {res['failures']} failed, "
                f"{res['throughput_rps']:.1f} req/s, exit {res['exit_seconds']:.2f}s"
            )
    summary = summarise(results, cfg, time.monotonic() - t0)
    write_summary(summary, out)
    return summary


def run_distributed(
    cfg: LoadConfig, out: Path, workers: int = 2, phase_name: str = "always_on"
) -> dict[str, Any]:
    """One phase as a master with ``workers`` workers on loopback; returns its analysis."""
    out.mkdir(parents=True, exist_ok=True)
    phase = next(p for p in PHASES if p.name == phase_name)
    with ExitStack() as stack:
        sim = start_simulator(stack, cfg)
        res = run_phase(phase, cfg, sim, out, workers=workers)
    (out / "distributed.json").write_text(json.dumps(res, indent=2))
    return res
