"""A load summary as Markdown (the phase table), an SVG chart and the files a run writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["chart_svg", "summary_markdown", "table", "write_summary"]


def _f(x: Any, fmt: str = "{:.1f}") -> str:
    return "–" if x is None else fmt.format(x)


def table(summary: dict[str, Any]) -> str:
    """A Markdown table of the phases."""
    head = (
        "| phase | calls | failed | req/s (×off) | p50 / p95 / p99 ms (p95 ×off) | CPU ms/call (×off) | "
        "peak RSS MB | exit s | spans exp / recv | dropped | traces exp / recv | orphans | partial | "
        "sampled (95% Wilson) vs configured |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in summary["phases"]:
        v, lat, sp, sa = r["vs_off"], r["latency_ms"], r.get("spans"), r.get("sampling")
        span_cells = ["–"] * 6
        if sp:
            span_cells = [
                f"{sp['expected']} / {sp['received']}",
                str(sp["dropped"]),
                f"{sp['traces_expected']} / {sp['traces_received']}",
                str(sp["orphans"]),
                str(sp["partial_traces"]),
                "",
            ]
            span_cells[5] = (
                f"{_f(sa['fraction'], '{:.3f}')} [{sa['wilson95'][0]:.3f}, {sa['wilson95'][1]:.3f}] "
                f"vs {_f(sa['configured'], '{:.3f}')} {'✓' if sa['inside'] else '✗'}"
            )
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
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
    ]

    def panel(top: float, title: str, series: list[tuple[str, str, list[float]]]) -> None:
        vmax = max([max(vals) for _, _, vals in series if vals] + [1e-9])
        parts.append(
            f'<text x="{pad}" y="{top - 8}" font-size="13" font-weight="bold">{title}</text>'
        )
        parts.append(
            f'<line x1="{pad}" y1="{top + panel_h}" x2="{w - pad}" y2="{top + panel_h}" stroke="#333"/>'
        )
        bw = (slot - 12) / len(series)
        for i, _ in enumerate(phases):
            for j, (_label, color, vals) in enumerate(series):
                val = vals[i]
                bh = panel_h * val / vmax
                x = pad + i * slot + 6 + j * bw
                parts.append(
                    f'<rect x="{x:.1f}" y="{top + panel_h - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" fill="{color}"/>'
                )
                parts.append(
                    f'<text x="{x + bw / 2 - 1:.1f}" y="{top + panel_h - bh - 3:.1f}" text-anchor="middle" font-size="9">{val:.0f}</text>'
                )
        for j, (label, color, _vals) in enumerate(series):
            lx = w - pad - 90 * (len(series) - j)
            parts.append(
                f'<rect x="{lx}" y="{top - 20}" width="10" height="10" fill="{color}"/>'
                f'<text x="{lx + 14}" y="{top - 11}">{label}</text>'
            )

    panel(
        pad,
        "Throughput (calls/s) per phase",
        [("req/s", "#4c78a8", [r["throughput_rps"] for r in phases])],
    )
    panel(
        2 * pad + panel_h,
        "Latency per phase (ms)",
        [
            (q, c, [r["latency_ms"][q] or 0.0 for r in phases])
            for q, c in (("p50", "#72b7b2"), ("p95", "#f58518"), ("p99", "#e45756"))
        ],
    )
    for i, name in enumerate(names):
        x = pad + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{h - pad + 18}" text-anchor="middle">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def summary_markdown(summary: dict[str, Any]) -> str:
    """One line saying how and where the run was made, then the phase table (Markdown)."""
    m = summary["machine"]
    cfg = summary["config"]
    return (
        f"Load run {summary['created']}: {cfg['users']} users, {cfg['seconds']:g} s per phase, simulator "
        f"ttft {cfg['ttft'] * 1000:.0f} ms at {cfg['tps']:g} tok/s; machine: {m['nproc']} CPU ({m['cpu']})"
        + (f", load average {m['load_1m']:g} at the end" if m.get("load_1m") is not None else "")
        + ", "
        f"Python {m['python']}.\n\n" + table(summary) + "\n" + _drops_against_sustained(summary)
    )


def _drops_against_sustained(summary: dict[str, Any]) -> str:
    """The phases' span drops next to the rate the default batch processor sustains."""
    from harness.bench.bsp import sustained_note

    runs = [
        (r["phase"]["name"], r["throughput_rps"], r["spans"]["dropped"])
        for r in summary["phases"]
        if r.get("spans")
    ]
    note = sustained_note(runs)
    return f"\n{note}\n" if note else ""


def write_summary(summary: dict[str, Any], out: Path) -> None:
    """``summary.json``, ``summary.md``, ``chart.svg`` and ``chart.html`` into ``out``."""
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    md = summary_markdown(summary)
    (out / "summary.md").write_text(md)
    svg = chart_svg(summary)
    (out / "chart.svg").write_text(svg)
    (out / "chart.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>sik-llms load</title><body style='font-family:sans-serif'>"
        f"<h1>sik-llms under load</h1><p>{md.splitlines()[0]}</p>{svg}</body>"
    )
