"""The bench's floor section (pure): our instrumentation and the lean profile's against the
floor measured in the same run, the targets of issue #18 that compare with it, and its table.

"Instrumentation alone" is a setup's cost over its untraced base (``analysis.assemble``:
``ours_on``, ``ours_lean`` and ``floor`` over ``ours_off``, a peer over the bare SDK), so the
floor ratio is (ours_on - ours_off) / (floor - ours_off), medians of the same interleaved run.

Those three setups run in three processes, and two processes running the same code can differ
by as much as the gap being measured (docs/bench.md, "The floor"). So the ``floor`` worker also
runs telemetry off, on, and off + floor in its one process, one batch each per round
(``worker.run_pair``); the same-process ratio is median(on - off) / median(floor - off) over
the rounds' paired differences, and target 1 is judged on it, the separate-process ratio shown
beside it.
"""

from __future__ import annotations

from typing import Any

from harness.bench.model import WORKLOAD_LABELS
from harness.measure import quartiles

__all__ = ["FLOOR_TARGET", "floor_checks", "floor_markdown", "floor_rows"]

#: issue #18 target 1: our instrumentation alone costs at most this many times its floor
FLOOR_TARGET = 1.2


def _alone(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (r["setup"], r["provider"], r["workload"]): r
        for r in rows
        if r.get("status") == "ok" and "telemetry_us" in r
    }


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def same_process(rounds: list[dict[str, tuple[float, float]]]) -> dict[str, Any] | None:
    """The floor worker's paired batches (per round: ``off``, ``on``, ``floor`` as (wall, CPU)
    µs per call) as instrumentation alone and its floor, medians of the per-round differences,
    and their ratio; None without rounds."""
    if not rounds:
        return None
    out: dict[str, Any] = {"rounds": len(rounds)}
    for i, clock in ((0, ""), (1, "_cpu")):
        ours = quartiles([r["on"][i] - r["off"][i] for r in rounds])["median"]
        floor = quartiles([r["floor"][i] - r["off"][i] for r in rounds])["median"]
        out[f"ours{clock}_us"], out[f"floor{clock}_us"] = ours, floor
        out[f"ratio{clock}"] = _ratio(ours, floor)
    return out


def floor_rows(
    rows: list[dict[str, Any]],
    paired: dict[tuple[str, str], list[dict[str, tuple[float, float]]]] | None = None,
) -> list[dict[str, Any]]:
    """Per provider and workload with a floor: instrumentation alone (wall and CPU µs) of
    ``ours_on``, ``ours_lean``, the floor and each peer, the ratios to the floor, and the
    same-process measurement (``same_process``) when the run made one."""
    alone = _alone(rows)
    paired = paired or {}
    out = []
    for (setup, p, wl), floor in alone.items():
        if setup != "floor":
            continue
        row: dict[str, Any] = {
            "provider": p,
            "workload": wl,
            "floor_us": floor["telemetry_us"],
            "floor_cpu_us": floor["telemetry_cpu_us"],
            "peers": {},
            "same_process": same_process(paired.get((p, wl), [])),
        }
        for name in ("ours_on", "ours_lean"):
            r = alone.get((name, p, wl))
            if r is None:
                continue
            row[f"{name}_us"] = r["telemetry_us"]
            row[f"{name}_cpu_us"] = r["telemetry_cpu_us"]
            row[f"{name}_ratio"] = _ratio(r["telemetry_us"], floor["telemetry_us"])
            row[f"{name}_cpu_ratio"] = _ratio(r["telemetry_cpu_us"], floor["telemetry_cpu_us"])
        for (name, p2, wl2), r in alone.items():
            if r.get("peer") and (p2, wl2) == (p, wl):
                row["peers"][name] = (r["telemetry_us"], r["telemetry_cpu_us"])
        out.append(row)
    return out


def floor_checks(floor: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Target 1 (ours within ``FLOOR_TARGET`` of the floor) and target 2 for the lean profile
    (its instrumentation alone under every peer's), on wall and on CPU time."""
    checks = []
    for row in floor:
        p, wl = row["provider"], row["workload"]
        same = row.get("same_process")
        if same and same["ratio"] is not None and same["ratio_cpu"] is not None:
            wall = (same["ours_us"], same["floor_us"], same["ratio"])
            cpu = (same["ours_cpu_us"], same["floor_cpu_us"], same["ratio_cpu"])
            note = f", medians of {same['rounds']} paired rounds"
            checks.append(_within("one process", p, wl, wall, cpu, note))
        if row.get("ours_on_ratio") is not None and row.get("ours_on_cpu_ratio") is not None:
            wall = (row["ours_on_us"], row["floor_us"], row["ours_on_ratio"])
            cpu = (row["ours_on_cpu_us"], row["floor_cpu_us"], row["ours_on_cpu_ratio"])
            checks.append(_within("separate processes", p, wl, wall, cpu))
        if "ours_lean_us" not in row:
            continue
        for peer, (wall, cpu) in row["peers"].items():
            checks.append(
                {
                    "check": f"lean profile's instrumentation alone cheaper than {peer}",
                    "provider": p,
                    "workload": wl,
                    "passed": row["ours_lean_us"] < wall,
                    "passed_cpu": row["ours_lean_cpu_us"] < cpu,
                    "detail": f"wall {row['ours_lean_us']:+.1f} vs {wall:+.1f} µs, CPU "
                    f"{row['ours_lean_cpu_us']:+.1f} vs {cpu:+.1f} µs (the contract's floor: "
                    f"wall {row['floor_us']:+.1f}, CPU {row['floor_cpu_us']:+.1f} µs)",
                }
            )
    return checks


def _within(
    how: str,
    provider: str,
    workload: str,
    wall: tuple[float, float, float],
    cpu: tuple[float, float, float],
    note: str = "",
) -> dict[str, Any]:
    """Target 1's check from (ours µs, floor µs, ratio) on wall and on CPU time."""
    return {
        "check": f"instrumentation alone within {FLOOR_TARGET:g}x its floor ({how})",
        "provider": provider,
        "workload": workload,
        "passed": wall[2] <= FLOOR_TARGET,
        "passed_cpu": cpu[2] <= FLOOR_TARGET,
        "detail": f"wall {wall[0]:+.1f} vs floor {wall[1]:+.1f} µs ({wall[2]:.2f}x), CPU "
        f"{cpu[0]:+.1f} vs {cpu[1]:+.1f} µs ({cpu[2]:.2f}x){note}",
    }


def _pair(row: dict[str, Any], key: str) -> str:
    wall, cpu = row.get(f"{key}_us"), row.get(f"{key}_cpu_us")
    return "—" if wall is None else f"{wall:+.1f} / {cpu:+.1f}"


def _ratios(row: dict[str, Any], key: str) -> str:
    wall, cpu = row.get(f"{key}_ratio"), row.get(f"{key}_cpu_ratio")
    if wall is None or cpu is None:
        return "—"
    return f"{wall:.2f} / {cpu:.2f}"


def _same(row: dict[str, Any]) -> str:
    same = row.get("same_process")
    if not same or same["ratio"] is None or same["ratio_cpu"] is None:
        return "—"
    return (
        f"{same['ours_us']:+.1f}, {same['floor_us']:+.1f}, "
        f"{same['ratio']:.2f} / {same['ratio_cpu']:.2f}"
    )


def floor_markdown(report: dict[str, Any]) -> list[str]:
    """The floor table's Markdown lines (none when the run had no floor setup)."""
    floor = report.get("floor") or []
    if not floor:
        return []
    lines = [
        "",
        "Instrumentation alone against its floor (µs per call over the untraced base, "
        "wall / CPU; ratios to the floor, wall / CPU). Separate processes: the ours_on, "
        "ours_off and floor workers; one process: the floor worker running telemetry off, on "
        "and off + floor side by side each round (wall µs, wall, ratio wall / CPU; target 1 "
        "is judged on it):",
        "",
        "| provider | workload | ours_on | floor | ours_on ÷ floor | one process: ours_on, "
        "floor, ÷ | ours_lean | ours_lean ÷ floor | peers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in floor:
        peers = "; ".join(
            f"{name} {wall:+.1f} / {cpu:+.1f}" for name, (wall, cpu) in row["peers"].items()
        )
        lines.append(
            f"| {row['provider']} | {WORKLOAD_LABELS[row['workload']]} | {_pair(row, 'ours_on')} | "
            f"{_pair(row, 'floor')} | {_ratios(row, 'ours_on')} | {_same(row)} | "
            f"{_pair(row, 'ours_lean')} | "
            f"{_ratios(row, 'ours_lean')} | {peers or '—'} |"
        )
    return lines
