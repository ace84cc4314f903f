"""Bounded locust loads against the simulator, in phases, and their summary.

``run_phases`` starts the provider simulator and, per phase, a fresh loopback ``Collector``,
runs ``loadtests/locustfile.py`` headless in a subprocess (bounded by ``-t`` and by a hard
timeout), stops everything it started by PID, and compares what the locust process says it
did with what reached the collector. ``run_distributed`` does the same with one master and N
workers. ``summarise`` turns the phase results into JSON, a Markdown table and an SVG chart.

Everything is measured in the run; nothing is assumed except the configuration we set.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.collector import Collector, ReceivedSpan

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"
LOCUST_GRACE_S = 30.0  # beyond -t and --stop-timeout before the runner kills a locust process
STOP_TIMEOUT_S = 10  # let users finish the call in flight, so every trace is complete
Z95 = 1.959963984540054


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
    users: int = 20
    seconds: float = 20.0
    ttft: float = 0.05
    tps: float = 200.0
    slow_delay: float = 2.0
    export_timeout_s: float = 5.0
    weights: str = ""
    models: str = ""
    phases: list[str] = field(default_factory=lambda: [p.name for p in PHASES])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- processes


def _env(phase: Phase, cfg: LoadConfig, endpoint: str, sim: Any, result: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SIK_LOAD_"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
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
                "OTEL_EXPORTER_OTLP_TIMEOUT": str(cfg.export_timeout_s),  # seconds in the Python SDK
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
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(cfg.users), "-r", str(cfg.users), "-t", f"{cfg.seconds:g}s",
        "--stop-timeout", str(STOP_TIMEOUT_S), "--csv", str(out / name),
        "--json-file", str(out / f"{name}_locust"), "--only-summary", "--loglevel", "WARNING",
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


def run_phase(phase: Phase, cfg: LoadConfig, sim: Any, out: Path, workers: int = 0,
              known: dict[str, int] | None = None) -> dict[str, Any]:
    """Run one phase (locally, or as a master with ``workers`` workers) and analyse it."""
    result_path = out / f"{phase.name}.json"
    result_path.unlink(missing_ok=True)
    with ExitStack() as stack:
        collector: Collector | None = None
        if phase.fault == "down":
            endpoint = f"http://127.0.0.1:{free_port()}"  # closed: nothing listens there
        else:
            collector = stack.enter_context(
                Collector(fault=phase.fault if phase.fault != "none" else "none", delay=cfg.slow_delay)
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
                extra = ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                         "--expect-workers", str(workers), "--expect-workers-max-wait", "20"]
            log = (out / f"{phase.name}.log").open("wb")
            logs.append(log)
            started = time.time()
            t0 = time.monotonic()
            main = subprocess.Popen(_locust_cmd(cfg, out, phase.name, extra), env=env, stdout=log, stderr=log)
            procs.append(main)
            for i in range(workers):
                wlog = (out / f"{phase.name}.worker{i}.log").open("wb")
                logs.append(wlog)
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host",
                     "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"],
                    env=env, stdout=wlog, stderr=wlog))
            deadline = t0 + cfg.seconds + STOP_TIMEOUT_S + LOCUST_GRACE_S + (20 if workers else 0)
            rc, ended = _wait(main, deadline)
            wall = time.monotonic() - t0
            for w in procs[1:]:
                worker_rcs.append(_wait(w, time.monotonic() + 15)[0])
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
        raise RuntimeError(f"phase {phase.name}: locust wrote no result (exit {rc}); see {out / (phase.name + '.log')}")
    raw = json.loads(result_path.read_text())
    if workers:
        raw["worker_exit_codes"] = worker_rcs
        raw["worker_files"] = [json.loads(f.read_text()) for f in sorted(worker_dir.glob("*.json"))]
    return analyse(phase, raw, spans, rc=rc, wall=wall, started=started, ended=ended, rejected=rejected,
                   known=known)


# --------------------------------------------------------------------------- analysis


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def trace_report(spans: list[ReceivedSpan], known: dict[str, int]) -> dict[str, Any]:
    """Traces, orphans and partial traces among the spans a collector received."""
    ids = {s.span_id for s in spans}
    by_trace: dict[str, list[ReceivedSpan]] = defaultdict(list)
    for s in spans:
        by_trace[s.trace_id].append(s)
    orphans = sum(1 for s in spans if s.parent_id and s.parent_id not in ids)
    roots: Counter[str] = Counter()
    partial: Counter[str] = Counter()
    for trace_spans in by_trace.values():
        root = next((s for s in trace_spans if s.parent_id is None), None)
        if root is None:
            continue
        kind = str(root.attributes.get("load.kind", "other"))
        roots[kind] += 1
        if kind in known and len(trace_spans) < known[kind]:
            partial[kind] += 1
    # sik_llms sets llm.model at span start (for samplers); a sampler whose SamplingResult has no
    # attributes (the guide's CostBasedSampler) wipes them: count the llm.request spans without it
    no_model = sum(1 for s in spans if s.name == "llm.request" and "llm.model" not in s.attributes)
    return {"traces": len(by_trace), "orphans": orphans, "llm_request_without_model": no_model, "roots": dict(roots), "partial": dict(partial),
            "partial_total": sum(partial.values())}


def analyse(phase: Phase, raw: dict[str, Any], spans: list[ReceivedSpan], *, rc: int, wall: float,
            started: float, ended: float, rejected: int, known: dict[str, int] | None = None) -> dict[str, Any]:
    """Per-phase numbers from the locust result and the collector's spans."""
    m = raw["metrics"]
    calls: dict[str, int] = m["calls"]
    n_calls = sum(calls.values())
    failures = sum(m["failures"].values())
    latencies = [x for v in m["latency_ms"].values() for x in v]
    duration = max(1e-9, m["last_end"] - m["first_start"]) if n_calls else 0.0
    cpu = sum(p["cpu_seconds"] for p in raw["processes"])
    local_spans = sum(p["spans"]["ended"] for p in raw["processes"])
    sampled_roots: Counter[str] = Counter()
    per_call: dict[str, Counter[int]] = defaultdict(Counter)
    for p in raw["processes"]:
        sampled_roots.update(p["spans"]["roots"])
        for kind, hist in p["spans"]["spans_per_call"].items():
            per_call[kind].update({int(k): v for k, v in hist.items()})
    # spans of one complete call, per kind: measured in-process (this phase and earlier ones)
    known = dict(known or {})
    for k, h in per_call.items():
        if h:
            known[k] = max(known.get(k, 0), max(h))
    variable = {k: sorted(h) for k, h in per_call.items() if len(h) > 1}
    out: dict[str, Any] = {
        "phase": asdict(phase),
        "mode": raw["mode"],
        "workers": raw["workers"],
        "exit_code": rc,
        "calls": calls,
        "calls_total": n_calls,
        "failures": failures,
        "locust_requests": raw["locust"]["Aggregated"]["num_requests"],
        "locust_failures": raw["locust"]["Aggregated"]["num_failures"],
        "throughput_rps": n_calls / duration if duration else 0.0,
        "latency_ms": {f"p{q}": percentile(latencies, q) for q in (50, 95, 99)},
        "latency_ms_by_kind": {k: {f"p{q}": percentile(v, q) for q in (50, 95, 99)}
                               for k, v in m["latency_ms"].items()},
        "ttft_ms_p50": {k: percentile(v, 50) for k, v in m["ttft_ms"].items()},
        "tokens": m["tokens"],
        "cpu_ms_per_call": 1000 * cpu / n_calls if n_calls else None,
        "peak_rss_mb": max(p["peak_rss_kb"] for p in raw["processes"]) / 1024,
        "wall_seconds": wall,
        "exit_seconds": ended - raw["quit_time"],
    }
    if "worker_files" in raw:
        out["aggregation"] = aggregation_report(raw)
    if phase.telemetry:
        tr = trace_report(spans, known)
        expected = sum(sampled_roots[k] * known.get(k, 0) for k in sampled_roots)
        out["spans"] = {
            "known_per_call": known,
            "variable_per_call": variable,
            "expected_from_calls": sum(calls.get(k, 0) * known.get(k, 0) for k in calls),
            "expected": expected,  # sampled calls x spans per call
            "ended_in_process": local_spans,
            "received": len(spans),
            "dropped": max(0, local_spans - len(spans)),
            "traces_expected": sum(sampled_roots.values()),
            "traces_received": tr["traces"],
            "orphans": tr["orphans"],
            "partial_traces": tr["partial_total"],
            "partial_by_kind": tr["partial"],
            "llm_request_without_model": tr["llm_request_without_model"],
            "rejected_exports": rejected,
        }
        out["sampling"] = sampling_report(phase, calls, sampled_roots, raw)
    return out


def aggregation_report(raw: dict[str, Any]) -> dict[str, Any]:
    """The master's custom-metric totals next to the sum of what each worker counted for itself."""
    summed: dict[str, Counter[str]] = defaultdict(Counter)
    for wf in raw["worker_files"]:
        for kind, counts in wf["totals"].items():
            summed[kind].update(counts)
    workers_sum = {kind: dict(c) for kind, c in sorted(summed.items())}
    master = raw["totals"]
    return {
        "master": master,
        "workers_sum": workers_sum,
        "exact": master == workers_sum,
        "worker_files": len(raw["worker_files"]),
        "workers_done": sum(bool(w["done"]) for w in raw["worker_files"]),
        "worker_exit_codes": raw["worker_exit_codes"],
        **(raw.get("reports") or {}),
    }


def sampling_report(phase: Phase, calls: dict[str, int], sampled: Counter[str], raw: dict[str, Any]) -> dict[str, Any]:
    """Sampled fraction vs the configured ratio, with Wilson 95 % intervals (overall and per kind)."""
    n, k = sum(calls.values()), sum(sampled.values())
    lo, hi = wilson(k, n)
    rep: dict[str, Any] = {"sampled": k, "calls": n, "fraction": k / n if n else None, "wilson95": [lo, hi]}
    if phase.cost_sampler:
        rates = raw.get("cost_rates", {})
        rep["by_kind"] = {}
        for kind, c in calls.items():
            s = sampled.get(kind, 0)
            klo, khi = wilson(s, c)
            rate = rates.get(kind)
            rep["by_kind"][kind] = {"model": raw["models"][kind], "configured": rate, "sampled": s, "calls": c,
                                    "fraction": s / c if c else None, "wilson95": [klo, khi],
                                    "inside": rate is not None and klo - 1e-9 <= rate <= khi + 1e-9}
        rep["configured"] = sum(rates.get(kd, 0) * c for kd, c in calls.items()) / n if n else None
        rep["inside"] = all(v["inside"] for v in rep["by_kind"].values())
    else:
        rep["configured"] = phase.configured_ratio
        rep["inside"] = phase.configured_ratio is not None and lo - 1e-9 <= phase.configured_ratio <= hi + 1e-9
    return rep


# --------------------------------------------------------------------------- top level


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


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
            progress(f"  {res['calls_total']} calls, {res['failures']} failed, "
                     f"{res['throughput_rps']:.1f} req/s, exit {res['exit_seconds']:.2f}s")
    summary = summarise(results, cfg, time.monotonic() - t0)
    write_summary(summary, out)
    return summary


def run_distributed(cfg: LoadConfig, out: Path, workers: int = 2, phase_name: str = "always_on") -> dict[str, Any]:
    """One phase as a master with ``workers`` workers on loopback; returns its analysis."""
    out.mkdir(parents=True, exist_ok=True)
    phase = next(p for p in PHASES if p.name == phase_name)
    with ExitStack() as stack:
        sim = start_simulator(stack, cfg)
        res = run_phase(phase, cfg, sim, out, workers=workers)
    (out / "distributed.json").write_text(json.dumps(res, indent=2))
    return res


def summarise(results: list[dict[str, Any]], cfg: LoadConfig, elapsed: float) -> dict[str, Any]:
    base = next((r for r in results if not r["phase"]["telemetry"]), None)

    def ratio(r: dict[str, Any], get: Any) -> float | None:
        if base is None:
            return None
        a, b = get(r), get(base)
        return a / b if a is not None and b else None

    for r in results:
        r["vs_off"] = {
            "throughput": ratio(r, lambda x: x["throughput_rps"]),
            "p50": ratio(r, lambda x: x["latency_ms"]["p50"]),
            "p95": ratio(r, lambda x: x["latency_ms"]["p95"]),
            "p99": ratio(r, lambda x: x["latency_ms"]["p99"]),
            "cpu_per_call": ratio(r, lambda x: x["cpu_ms_per_call"]),
        }
    return {"config": asdict(cfg), "machine": machine(), "elapsed_seconds": elapsed,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"), "phases": results}


def _f(x: Any, fmt: str = "{:.1f}") -> str:
    return "–" if x is None else fmt.format(x)


def table(summary: dict[str, Any]) -> str:
    """A Markdown table of the phases."""
    head = ("| phase | calls | failed | req/s (×off) | p50 / p95 / p99 ms (p95 ×off) | CPU ms/call (×off) | "
            "peak RSS MB | exit s | spans exp / recv | dropped | traces exp / recv | orphans | partial | "
            "sampled (95% Wilson) vs configured |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in summary["phases"]:
        v, lat, sp, sa = r["vs_off"], r["latency_ms"], r.get("spans"), r.get("sampling")
        span_cells = ["–"] * 6
        if sp:
            span_cells = [f"{sp['expected']} / {sp['received']}", str(sp["dropped"]),
                          f"{sp['traces_expected']} / {sp['traces_received']}", str(sp["orphans"]),
                          str(sp["partial_traces"]), ""]
            span_cells[5] = (f"{_f(sa['fraction'], '{:.3f}')} [{sa['wilson95'][0]:.3f}, {sa['wilson95'][1]:.3f}] "
                             f"vs {_f(sa['configured'], '{:.3f}')} {'✓' if sa['inside'] else '✗'}")
        lines.append(
            f"| {r['phase']['name']} | {r['calls_total']} | {r['failures']} | "
            f"{r['throughput_rps']:.1f} ({_f(v['throughput'], '{:.2f}')}) | "
            f"{_f(lat['p50'])} / {_f(lat['p95'])} / {_f(lat['p99'])} ({_f(v['p95'], '{:.2f}')}) | "
            f"{_f(r['cpu_ms_per_call'], '{:.2f}')} ({_f(v['cpu_per_call'], '{:.2f}')}) | "
            f"{r['peak_rss_mb']:.0f} | {r['exit_seconds']:.2f} | " + " | ".join(span_cells) + " |"
        )
    return "\n".join(lines)


def chart_svg(summary: dict[str, Any]) -> str:
    """A self-contained SVG: throughput bars and p50/p95/p99 latency bars per phase."""
    phases = summary["phases"]
    w, h, pad = 900, 620, 60
    panel_h = (h - 3 * pad) / 2
    names = [r["phase"]["name"] for r in phases]
    slot = (w - 2 * pad) / max(1, len(phases))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
             f'<rect width="{w}" height="{h}" fill="white"/>']

    def panel(top: float, title: str, series: list[tuple[str, str, list[float]]]) -> None:
        vmax = max([max(vals) for _, _, vals in series if vals] + [1e-9])
        parts.append(f'<text x="{pad}" y="{top - 8}" font-size="13" font-weight="bold">{title}</text>')
        parts.append(f'<line x1="{pad}" y1="{top + panel_h}" x2="{w - pad}" y2="{top + panel_h}" stroke="#333"/>')
        bw = (slot - 12) / len(series)
        for i, _ in enumerate(phases):
            for j, (_label, color, vals) in enumerate(series):
                val = vals[i]
                bh = panel_h * val / vmax
                x = pad + i * slot + 6 + j * bw
                parts.append(f'<rect x="{x:.1f}" y="{top + panel_h - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{color}"/>')
                parts.append(f'<text x="{x + bw / 2 - 1:.1f}" y="{top + panel_h - bh - 3:.1f}" text-anchor="middle" font-size="9">{val:.0f}</text>')
        for j, (label, color, _vals) in enumerate(series):
            lx = w - pad - 90 * (len(series) - j)
            parts.append(f'<rect x="{lx}" y="{top - 20}" width="10" height="10" fill="{color}"/>'
                         f'<text x="{lx + 14}" y="{top - 11}">{label}</text>')

    panel(pad, "Throughput (calls/s) per phase", [("req/s", "#4c78a8", [r["throughput_rps"] for r in phases])])
    panel(2 * pad + panel_h, "Latency per phase (ms)", [
        (q, c, [r["latency_ms"][q] or 0.0 for r in phases])
        for q, c in (("p50", "#72b7b2"), ("p95", "#f58518"), ("p99", "#e45756"))
    ])
    for i, name in enumerate(names):
        x = pad + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{h - pad + 18}" text-anchor="middle">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_summary(summary: dict[str, Any], out: Path) -> None:
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    m = summary["machine"]
    cfg = summary["config"]
    md = (f"Load run {summary['created']}: {cfg['users']} users, {cfg['seconds']:g} s per phase, simulator "
          f"ttft {cfg['ttft'] * 1000:.0f} ms at {cfg['tps']:g} tok/s; machine: {m['nproc']} CPU ({m['cpu']}), "
          f"Python {m['python']}.\n\n" + table(summary) + "\n")
    (out / "summary.md").write_text(md)
    svg = chart_svg(summary)
    (out / "chart.svg").write_text(svg)
    (out / "chart.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>sik-llms load</title><body style='font-family:sans-serif'>"
        f"<h1>sik-llms under load</h1><p>{md.splitlines()[0]}</p>{svg}</body>"
    )
