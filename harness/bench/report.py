"""The bench report as Markdown tables (for files and docs) or a rich table on a terminal."""

from __future__ import annotations

from typing import Any

from harness.bench.floor_report import floor_markdown
from harness.bench.model import WORKLOAD_LABELS

__all__ = ["HEADERS", "markdown", "markdown_document", "pairs_line", "print_rich", "run_line"]


def _fmt(row: dict[str, Any]) -> list[str]:
    if row["status"] != "ok":
        return [
            row["provider"],
            WORKLOAD_LABELS[row["workload"]],
            row["label"],
            f"skipped: {row['reason']}",
            "",
            "",
            "",
            "",
            "",
        ]
    wall, cpu = row["wall_us"], row["cpu_us"]
    over = row.get("overhead_us")
    ratio = row.get("ratio")
    telemetry = row.get("telemetry_us")
    return [
        row["provider"],
        WORKLOAD_LABELS[row["workload"]],
        row["label"],
        f"{wall['median']:.1f} ± {wall['iqr'] / 2:.1f}",
        f"{cpu['median']:.1f} ± {cpu['iqr'] / 2:.1f}",
        "—" if row["setup"] == "bare" else f"{over:+.1f}",
        "—" if row["setup"] == "bare" else f"{row['cpu_overhead_us']:+.1f}",
        "—" if row["setup"] == "bare" else f"{ratio:.3f}",
        "—" if telemetry is None else f"{telemetry:+.1f}",
    ]


HEADERS = [
    "provider",
    "workload",
    "setup",
    "wall µs/call (median ± IQR/2)",
    "CPU µs/call",
    "overhead µs (wall)",
    "overhead µs (CPU)",
    "ratio (wall)",
    "instrumentation alone µs (wall)",
]


def markdown(report: dict[str, Any]) -> str:
    """The results as a markdown table, then per-chunk, memory, checks."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(_fmt(r)) + " |" for r in report["results"]]
    if report["per_chunk"]:
        lines += [
            "",
            "| provider | setup | wall µs per chunk | CPU µs per chunk |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {c['provider']} | {c['setup']} | {c['wall_us_per_chunk']:.2f} | {c['cpu_us_per_chunk']:.2f} |"
            for c in report["per_chunk"]
        ]
    if report["memory"]:
        lines += [
            "",
            "| provider | setup | calls | peak RSS growth | RSS growth |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {m['provider']} | {m['setup']} | {m['calls']} | {m['peak_rss_growth_kb']} KiB | {m['rss_growth_kb']} KiB |"
            for m in report["memory"]
        ]
    lines += floor_markdown(report)
    if report["checks"]:
        lines += [
            "",
            "| target | provider | workload | met (wall) | met (CPU) | measured |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {c['check']} | {c['provider']} | {c['workload']} | {'yes' if c['passed'] else 'NO'} | "
            f"{'yes' if c['passed_cpu'] else 'NO'} | {c['detail']} |"
            for c in report["checks"]
        ]
    made = [
        f"{s['name']} {s['spans_per_call']:g}"
        for s in report.get("setups", [])
        if s.get("spans_per_call")
    ]
    if made:
        lines += ["", "Spans per call (in-memory export): " + ", ".join(made) + "."]
    lines += pairs_line(report.get("setups", []))
    otlp = report.get("otlp") or {}
    if otlp.get("calls"):
        lines += [
            "",
            f"OTLP/HTTP batch export: {otlp['calls']} calls, about {otlp['spans_expected']} spans made, "
            f"{otlp['collector_spans_received']} received by the loopback collector "
            "(BatchSpanProcessor defaults: a tight loop outruns one export thread and the queue drops the rest).",
        ]
    from harness.bench import bsp, pertest  # here: ``python -m harness.bench.bsp`` runs cleanly

    lines += pertest.markdown_section(report.get("pertest"))
    lines += bsp.markdown_section(report.get("bsp"), report)
    return "\n".join(lines)


def pairs_line(setups: list[dict[str, Any]]) -> list[str]:
    """Which workers timed their comparison in one process (and what), and which could not."""
    paired = [
        f"{s['name']} ({', '.join(s['pairs'])}"
        + "".join(f"; not {cell}: {why}" for cell, why in (s.get("unpaired") or {}).items())
        + ")"
        for s in setups
        if s.get("pairs")
    ]
    peers = [s for s in setups if s.get("peer") and s.get("status") == "ok" and not s.get("pairs")]
    if not paired and not peers:
        return []
    text = "Timed side by side in one process each round: " + ("; ".join(paired) or "nothing")
    unpaired = [f"{s['name']}: {s.get('pairs_skipped') or 'not paired'}" for s in peers]
    return [
        "",
        text + "." + (" Separate processes only: " + "; ".join(unpaired) + "." if unpaired else ""),
    ]


def print_rich(report: dict[str, Any]) -> None:
    """The results as a compact rich table (short setup names), then the other tables as markdown."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="µs per call against zero-latency in-memory replay (median, ± IQR/2)")
    for h in (
        "provider",
        "workload",
        "setup",
        "wall µs",
        "CPU µs",
        "Δ wall",
        "Δ CPU",
        "ratio",
        "instr. alone",
    ):
        table.add_column(h, justify="left" if h in ("provider", "workload", "setup") else "right")
    last = None
    for r in report["results"]:
        if last is not None and (r["provider"], r["workload"]) != last:
            table.add_section()
        last = (r["provider"], r["workload"])
        if r["status"] != "ok":
            table.add_row(
                r["provider"], r["workload"], r["setup"], f"skipped: {r['reason']}", style="dim"
            )
            continue
        bare = r["setup"] == "bare"
        table.add_row(
            r["provider"],
            r["workload"],
            r["setup"],
            f"{r['wall_us']['median']:.1f} ± {r['wall_us']['iqr'] / 2:.1f}",
            f"{r['cpu_us']['median']:.1f} ± {r['cpu_us']['iqr'] / 2:.1f}",
            "—" if bare else f"{r['overhead_us']:+.1f}",
            "—" if bare else f"{r['cpu_overhead_us']:+.1f}",
            "—" if bare else f"{r['ratio']:.3f}",
            "—" if r.get("telemetry_us") is None else f"{r['telemetry_us']:+.1f}",
            style="bold" if r["setup"].startswith("ours") else None,
        )
    console.print(table)
    console.print(
        "setups: " + "; ".join(f"{s['name']} = {s['label']}" for s in report["setups"]),
        highlight=False,
    )
    rest = markdown({**report, "results": []}).split("\n", 2)[2]
    console.print(rest, markup=False, highlight=False)


def run_line(report: dict[str, Any]) -> str:
    """One sentence saying how and where the figures were measured."""
    m, c, v = report["machine"], report["config"], report.get("versions") or {}
    made = ", ".join(
        f"{d} {v[d]}" for d in ("sik-llms", "openai", "anthropic", "opentelemetry-sdk") if v.get(d)
    )
    return (
        f"Measured by `sik-llms bench` in {report.get('seconds', '?')} s: {c['rounds']} interleaved rounds of "
        f"about {c['batch_ms']:g} ms of bare-SDK calls per sample, {c['memory_calls']} calls for memory; "
        f"machine: {m['nproc']} CPU ({m['cpu']})"
        + _load(m)
        + f", Python {m['python']}"
        + (f"; {made}." if made else ".")
    )


def _load(machine: dict[str, Any]) -> str:
    """The load average the run started with (a busy machine inflates wall times and their IQR)."""
    load = machine.get("load_1m")
    return "" if load is None else f", load average {load:g} at the start"


def markdown_document(report: dict[str, Any]) -> str:
    """``run_line`` then every table: what ``sik-llms bench --markdown FILE`` writes."""
    return run_line(report) + "\n\n" + markdown(report) + "\n"
