"""Per-phase numbers from what locust measured and what the collector received; pure functions.

``analyse`` turns one phase's locust result (written by the locustfile) and the collector's
spans into the phase's figures; ``summarise`` adds the ratios against the telemetry-off phase.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from harness.load.phases import LoadConfig, Phase
from harness.measure import machine_info, percentile, wilson

if TYPE_CHECKING:  # only a type here: this module stays pure
    from harness.collector import ReceivedSpan

__all__ = ["aggregation_report", "analyse", "sampling_report", "summarise", "trace_report"]


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
    return {
        "traces": len(by_trace),
        "orphans": orphans,
        "llm_request_without_model": no_model,
        "roots": dict(roots),
        "partial": dict(partial),
        "partial_total": sum(partial.values()),
    }


def analyse(
    phase: Phase,
    raw: dict[str, Any],
    spans: list[ReceivedSpan],
    *,
    rc: int,
    wall: float,
    started: float,
    ended: float,
    rejected: int,
    known: dict[str, int] | None = None,
) -> dict[str, Any]:
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
        "latency_ms_by_kind": {
            k: {f"p{q}": percentile(v, q) for q in (50, 95, 99)} for k, v in m["latency_ms"].items()
        },
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


def sampling_report(
    phase: Phase, calls: dict[str, int], sampled: Counter[str], raw: dict[str, Any]
) -> dict[str, Any]:
    """Sampled fraction vs the configured ratio, with Wilson 95 % intervals (overall and per kind)."""
    n, k = sum(calls.values()), sum(sampled.values())
    lo, hi = wilson(k, n)
    rep: dict[str, Any] = {
        "sampled": k,
        "calls": n,
        "fraction": k / n if n else None,
        "wilson95": [lo, hi],
    }
    if phase.cost_sampler:
        rates = raw.get("cost_rates", {})
        rep["by_kind"] = {}
        for kind, c in calls.items():
            s = sampled.get(kind, 0)
            klo, khi = wilson(s, c)
            rate = rates.get(kind)
            rep["by_kind"][kind] = {
                "model": raw["models"][kind],
                "configured": rate,
                "sampled": s,
                "calls": c,
                "fraction": s / c if c else None,
                "wilson95": [klo, khi],
                "inside": rate is not None and klo - 1e-9 <= rate <= khi + 1e-9,
            }
        rep["configured"] = sum(rates.get(kd, 0) * c for kd, c in calls.items()) / n if n else None
        rep["inside"] = all(v["inside"] for v in rep["by_kind"].values())
    else:
        rep["configured"] = phase.configured_ratio
        rep["inside"] = (
            phase.configured_ratio is not None and lo - 1e-9 <= phase.configured_ratio <= hi + 1e-9
        )
    return rep


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
    return {
        "config": asdict(cfg),
        "machine": machine_info(),
        "elapsed_seconds": elapsed,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "phases": results,
    }
