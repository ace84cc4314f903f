"""From the workers' samples to the bench report: medians with IQR, overheads against the bare
SDK and against each setup's untraced base, per-chunk slopes, and the targets (pure)."""

from __future__ import annotations

from typing import Any

from harness.bench.floor_report import Paired, chunk_check, chunk_checks, floor_checks, floor_rows
from harness.bench.model import TELEMETRY_BASE, BenchConfig, Setup
from harness.measure import machine_info, quartiles

__all__ = ["assemble", "checks"]


def assemble(
    cfg: BenchConfig,
    setups: list[Setup],
    workers: list[Any],
    samples: dict[tuple[str, str, str], list[tuple[float, float]]],
    batch: dict[tuple[str, str], int],
    memory: list[dict[str, Any]],
    finals: dict[str, dict[str, Any]],
    received: int,
    versions: dict[str, str | None],
    paired: Paired | None = None,
) -> dict[str, Any]:
    by_name = {w.setup.name: w for w in workers}
    rows: list[dict[str, Any]] = []
    stats: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in cfg.providers:
        for wl in cfg.workloads:
            for s in setups:
                if p not in s.providers:
                    continue
                w = by_name[s.name]
                row: dict[str, Any] = {
                    "provider": p,
                    "workload": wl,
                    "setup": s.name,
                    "label": s.label,
                    "peer": s.peer,
                }
                broken = (w.ready.get("broken") or {}).get(f"{p}/{wl}")
                if w.skipped is not None or broken:
                    row.update(status="skipped", reason=w.skipped or broken)
                    rows.append(row)
                    continue
                got = samples[(s.name, p, wl)]
                wall = quartiles([g[0] for g in got])
                cpu = quartiles([g[1] for g in got])
                stats[(s.name, p, wl)] = {"wall": wall, "cpu": cpu}
                row.update(
                    status="ok",
                    calls_per_sample=batch[(p, wl)],
                    samples=len(got),
                    wall_us=wall,
                    cpu_us=cpu,
                )
                rows.append(row)
    for row in rows:
        base = stats.get(("bare", row["provider"], row["workload"]))
        if row["status"] != "ok" or base is None:
            continue
        row["overhead_us"] = row["wall_us"]["median"] - base["wall"]["median"]
        row["ratio"] = row["wall_us"]["median"] / base["wall"]["median"]
        row["cpu_overhead_us"] = row["cpu_us"]["median"] - base["cpu"]["median"]
        # What the instrumentation itself adds, over the same code untraced: ours over our
        # telemetry-off client, a peer over the bare SDK it instruments.
        own = stats.get((TELEMETRY_BASE.get(row["setup"], ""), row["provider"], row["workload"]))
        if own is not None:
            row["telemetry_us"] = row["wall_us"]["median"] - own["wall"]["median"]
            row["telemetry_cpu_us"] = row["cpu_us"]["median"] - own["cpu"]["median"]
    per_chunk = []
    if {"stream10", "stream100"} <= set(cfg.workloads):
        for (name, p, wl), st in stats.items():
            if wl != "stream100" or (name, p, "stream10") not in stats:
                continue
            short = stats[(name, p, "stream10")]
            per_chunk.append(
                {
                    "setup": name,
                    "provider": p,
                    "wall_us_per_chunk": (st["wall"]["median"] - short["wall"]["median"]) / 90,
                    "cpu_us_per_chunk": (st["cpu"]["median"] - short["cpu"]["median"]) / 90,
                }
            )
    floor = floor_rows(rows, paired or {})
    on, otlp = finals.get("ours_on", {}), finals.get("ours_otlp", {})
    spans_per_call = on["spans"] / on["calls"] if on.get("calls") else None
    report: dict[str, Any] = {
        "machine": machine_info(),
        "versions": versions,
        "config": {
            "rounds": cfg.rounds,
            "batch_ms": cfg.batch_ms,
            "memory_calls": cfg.memory_calls,
            "providers": list(cfg.providers),
            "workloads": list(cfg.workloads),
        },
        "setups": [
            {
                "name": s.name,
                "label": s.label,
                "providers": list(s.providers),
                "peer": s.peer,
                "status": "skipped" if by_name[s.name].skipped else "ok",
                "reason": by_name[s.name].skipped,
                "notes": by_name[s.name].ready.get("notes", {}),
                # same-process pairs (``harness.bench.pairs``): their names, or why none
                "pairs": by_name[s.name].ready.get("pairs") or [],
                "pairs_skipped": by_name[s.name].ready.get("pairs_skipped"),
                "unpaired": by_name[s.name].ready.get("unpaired") or {},
                "spans_per_call": (
                    round(finals[s.name]["spans"] / finals[s.name]["calls"], 2)
                    if finals.get(s.name, {}).get("calls") and s.name != "ours_otlp"
                    else None
                ),
            }
            for s in setups
        ],
        "results": rows,
        "per_chunk": per_chunk,
        "memory": memory,
        "otlp": {
            "calls": otlp.get("calls"),
            "spans_per_call": spans_per_call,
            "spans_expected": round(otlp["calls"] * spans_per_call)
            if otlp.get("calls") and spans_per_call
            else None,
            "collector_spans_received": received,
            "note": "BatchSpanProcessor defaults (queue 2048, batch 512, 5 s); a tight loop can outrun one "
            "export thread, and then the queue drops spans (never blocking the call)",
        },
        "floor": floor,
        "checks": checks(rows, per_chunk) + floor_checks(floor) + chunk_checks(paired or {}),
    }
    return report


def checks(rows: list[dict[str, Any]], per_chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets, as measured in this run, on wall and on CPU time (reported, never asserted)."""
    ok = {
        (r["setup"], r["provider"], r["workload"]): r
        for r in rows
        if r["status"] == "ok" and "overhead_us" in r
    }
    base = {
        (r["provider"], r["workload"]): r
        for r in rows
        if r["status"] == "ok" and r["setup"] == "bare"
    }
    checks = []
    for (setup, p, wl), r in ok.items():
        if setup == "ours_off":
            b = base[(p, wl)]
            pct = (r["ratio"] - 1) * 100
            cpct = (r["cpu_us"]["median"] / b["cpu_us"]["median"] - 1) * 100
            checks.append(
                {
                    "check": "telemetry off within 2% of the bare SDK",
                    "provider": p,
                    "workload": wl,
                    "passed": pct <= 2.0,
                    "passed_cpu": cpct <= 2.0,
                    "detail": f"wall {pct:+.1f}% ({r['overhead_us']:+.1f} µs), CPU {cpct:+.1f}% "
                    f"({r['cpu_overhead_us']:+.1f} µs)",
                }
            )
        if setup == "ours_on":
            for (s2, p2, w2), peer in ok.items():
                if p2 != p or w2 != wl or not peer["peer"]:
                    continue
                checks.append(
                    {
                        "check": f"telemetry-on overhead below {s2}",
                        "provider": p,
                        "workload": wl,
                        "passed": r["overhead_us"] < peer["overhead_us"],
                        "passed_cpu": r["cpu_overhead_us"] < peer["cpu_overhead_us"],
                        "detail": f"wall {r['overhead_us']:+.1f} vs {peer['overhead_us']:+.1f} µs, "
                        f"CPU {r['cpu_overhead_us']:+.1f} vs {peer['cpu_overhead_us']:+.1f} µs",
                    }
                )
                if "telemetry_us" in r and "telemetry_us" in peer:
                    checks.append(
                        {
                            "check": f"default profile's instrumentation alone cheaper than {s2} "
                            "(separate processes)",
                            "provider": p,
                            "workload": wl,
                            "passed": r["telemetry_us"] < peer["telemetry_us"],
                            "passed_cpu": r["telemetry_cpu_us"] < peer["telemetry_cpu_us"],
                            "detail": f"wall {r['telemetry_us']:+.1f} vs {peer['telemetry_us']:+.1f} µs, "
                            f"CPU {r['telemetry_cpu_us']:+.1f} vs {peer['telemetry_cpu_us']:+.1f} µs "
                            "(ours over our untraced client; the peer over the bare SDK)",
                        }
                    )
    chunk = {(c["setup"], c["provider"]): c for c in per_chunk}
    for (setup, p), c in chunk.items():
        if setup == "ours_on" and ("ours_off", p) in chunk and ("floor", p) in chunk:
            off, floor = chunk[("ours_off", p)], chunk[("floor", p)]
            wall = [x["wall_us_per_chunk"] - off["wall_us_per_chunk"] for x in (c, floor)]
            cpu = [x["cpu_us_per_chunk"] - off["cpu_us_per_chunk"] for x in (c, floor)]
            checks.append(chunk_check(p, "separate processes", wall, cpu))
    return checks
