"""The bench's floor section (pure): our instrumentation and the lean profile's against the
floor measured in the same run, the targets of issue #18 that compare with it, and its table.

"Instrumentation alone" is a setup's cost over its untraced base (``analysis.assemble``:
``ours_on``, ``ours_lean`` and ``floor`` over ``ours_off``, a peer over the bare SDK), so the
floor ratio is (ours_on - ours_off) / (floor - ours_off), medians of the same interleaved run.

Those setups run in separate processes, and two processes running the same code can differ
by as much as the gap being measured (docs/bench.md, "The floor"). So the ``floor`` worker also
runs telemetry off, on, and off + floor in its one process, and each peer's worker its bare SDK
call, the peer, and sik_llms off, on and lean, a batch each per round (``harness.bench.pairs``).
The same-process figures are medians over the rounds of each round's differences: target 1 is
judged on median(on - off) / median(floor - off), target 2 on median(lean - off) against
median(peer - base), the separate-process figures shown beside them.
"""

from __future__ import annotations

from typing import Any

from harness.bench.model import WORKLOAD_LABELS
from harness.measure import quartiles

__all__ = [
    "FLOOR_TARGET",
    "Paired",
    "chunk_check",
    "chunk_checks",
    "floor_checks",
    "floor_markdown",
    "floor_rows",
    "peer_same_process",
    "same_process",
]

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


def peer_same_process(rounds: list[dict[str, tuple[float, float]]]) -> dict[str, Any] | None:
    """A peer worker's paired batches (per round: ``base``, ``peer``, ``off``, ``on``, ``lean``
    as (wall, CPU) µs per call) as instrumentation alone: ``peer_us`` median(peer - base),
    ``lean_us`` median(lean - off), ``on_us`` median(on - off), and their ``_cpu_us``
    counterparts; None without rounds."""
    if not rounds:
        return None
    out: dict[str, Any] = {"rounds": len(rounds)}
    for i, clock in ((0, ""), (1, "_cpu")):
        for name, traced, base in (
            ("peer", "peer", "base"),
            ("lean", "lean", "off"),
            ("on", "on", "off"),
        ):
            diffs = [r[traced][i] - r[base][i] for r in rounds]
            out[f"{name}{clock}_us"] = quartiles(diffs)["median"]
    return out


Paired = dict[tuple[str, str, str], list[dict[str, tuple[float, float]]]]


def floor_rows(rows: list[dict[str, Any]], paired: Paired | None = None) -> list[dict[str, Any]]:
    """Per provider and workload with a floor: instrumentation alone (wall and CPU µs) of
    ``ours_on``, ``ours_lean``, the floor and each peer, the ratios to the floor, and the
    same-process measurements when the run made them: ``same_process`` (the floor worker's,
    ``same_process``) and ``peers_same_process`` (each peer worker's, ``peer_same_process``).
    ``paired`` holds each pairing worker's rounds by (setup, provider, workload)."""
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
            "same_process": same_process(paired.get(("floor", p, wl), [])),
            "peers_same_process": {
                name: peer_same_process(got)
                for (name, p2, wl2), got in paired.items()
                if name != "floor" and (p2, wl2) == (p, wl) and got
            },
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
    """Target 1 (ours within ``FLOOR_TARGET`` of the floor, in one process and across
    processes) and target 2 (the lean profile's instrumentation alone under every peer's; the
    default profile's against each peer, with the contract's floor beside it), on wall and on
    CPU time."""
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
        checks += _peer_checks(row)
    return checks


def chunk_check(
    provider: str, how: str, wall: list[float], cpu: list[float], note: str = ""
) -> dict[str, Any]:
    """What telemetry adds per stream chunk (µs, ``[ours, floor]`` on wall and on CPU time,
    each over telemetry off) within ``FLOOR_TARGET`` times the floor's, plus 0.5 µs of noise:
    the floor pays the conventions' per-chunk histogram point too (docs/bench.md)."""
    limit = f"met: within {FLOOR_TARGET:g}x + 0.5 µs{note}"
    return {
        "check": f"per-chunk cost of telemetry within {FLOOR_TARGET:g}x the floor's ({how})",
        "provider": provider,
        "workload": "stream",
        "passed": wall[0] <= wall[1] * FLOOR_TARGET + 0.5,
        "passed_cpu": cpu[0] <= cpu[1] * FLOOR_TARGET + 0.5,
        "detail": f"ours {wall[0]:+.2f} vs floor {wall[1]:+.2f} µs/chunk wall, {cpu[0]:+.2f} vs "
        f"{cpu[1]:+.2f} CPU, each over telemetry off ({limit})",
    }


def chunk_checks(paired: Paired) -> list[dict[str, Any]]:
    """``chunk_check`` in one process: per round, the floor worker's per-chunk slope of each
    setup, (100-chunk stream - 10-chunk stream) / 90; medians over the rounds of on - off and
    floor - off (rounds missing either stream are left out)."""
    out = []
    for provider in sorted({p for (setup, p, _wl) in paired if setup == "floor"}):
        short = paired.get(("floor", provider, "stream10"), [])
        long = paired.get(("floor", provider, "stream100"), [])
        rounds = list(zip(short, long, strict=False))
        if not rounds:
            continue
        got: dict[int, list[float]] = {}
        for i in (0, 1):
            slope = [
                {k: (b[k][i] - a[k][i]) / 90 for k in ("off", "on", "floor")} for a, b in rounds
            ]
            got[i] = [
                quartiles([s[k] - s["off"] for s in slope])["median"] for k in ("on", "floor")
            ]
        note = f"; medians of {len(rounds)} paired rounds in the floor worker"
        out.append(chunk_check(provider, "one process", got[0], got[1], note))
    return out


def _peer_checks(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Target 2: the lean profile's instrumentation alone under each peer's, in the peer's own
    process and across processes; and the default profile against each peer in its process,
    with the contract's floor (the floor worker's) beside it."""
    p, wl, out = row["provider"], row["workload"], []
    same_floor = row.get("same_process") or {}
    for peer, same in row.get("peers_same_process", {}).items():
        if same is None:
            continue
        rounds = f"medians of {same['rounds']} paired rounds in {peer}'s process"
        out.append(_cheaper("lean profile's", peer, "one process", p, wl, same, "lean", rounds))
        floor = same_floor.get("floor_us")
        note = rounds
        if floor is not None:
            above = "above" if floor >= same["peer_us"] else "below"
            note += f"; the contract's floor {floor:+.1f} µs (floor worker) is {above} it"
        out.append(_cheaper("default profile's", peer, "one process", p, wl, same, "on", note))
    if "ours_lean_us" not in row:
        return out
    for peer, (wall, cpu) in row["peers"].items():
        apart = {"lean_us": row["ours_lean_us"], "lean_cpu_us": row["ours_lean_cpu_us"]}
        apart |= {"peer_us": wall, "peer_cpu_us": cpu}
        note = (
            f"the contract's floor: wall {row['floor_us']:+.1f}, CPU {row['floor_cpu_us']:+.1f} µs"
        )
        out.append(
            _cheaper("lean profile's", peer, "separate processes", p, wl, apart, "lean", note)
        )
    return out


def _cheaper(
    who: str,
    peer: str,
    how: str,
    provider: str,
    workload: str,
    got: dict[str, Any],
    key: str,
    note: str,
) -> dict[str, Any]:
    """``key``'s instrumentation alone (``{key}_us``, ``{key}_cpu_us`` in ``got``) under the
    peer's (``peer_us``, ``peer_cpu_us``), on wall and on CPU time."""
    wall, cpu = got[f"{key}_us"], got[f"{key}_cpu_us"]
    return {
        "check": f"{who} instrumentation alone cheaper than {peer} ({how})",
        "provider": provider,
        "workload": workload,
        "passed": wall < got["peer_us"],
        "passed_cpu": cpu < got["peer_cpu_us"],
        "detail": f"wall {wall:+.1f} vs {got['peer_us']:+.1f} µs, CPU {cpu:+.1f} vs "
        f"{got['peer_cpu_us']:+.1f} µs ({note})",
    }


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


def _peers_same(row: dict[str, Any]) -> str:
    got = [
        f"{name} {same['peer_us']:+.1f}, {same['lean_us']:+.1f}, {same['on_us']:+.1f}"
        for name, same in row.get("peers_same_process", {}).items()
        if same is not None
    ]
    return "; ".join(got) or "—"


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
        "is judged on it), and each peer's worker running its bare SDK call, the peer, and "
        "sik_llms off, on and lean (wall µs: the peer, ours_lean, ours_on; target 2 is judged "
        "on it):",
        "",
        "| provider | workload | ours_on | floor | ours_on ÷ floor | one process: ours_on, "
        "floor, ÷ | ours_lean | ours_lean ÷ floor | peers | peers, one process: peer, "
        "ours_lean, ours_on |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in floor:
        peers = "; ".join(
            f"{name} {wall:+.1f} / {cpu:+.1f}" for name, (wall, cpu) in row["peers"].items()
        )
        lines.append(
            f"| {row['provider']} | {WORKLOAD_LABELS[row['workload']]} | {_pair(row, 'ours_on')} | "
            f"{_pair(row, 'floor')} | {_ratios(row, 'ours_on')} | {_same(row)} | "
            f"{_pair(row, 'ours_lean')} | "
            f"{_ratios(row, 'ours_lean')} | {peers or '—'} | {_peers_same(row)} |"
        )
    return lines
