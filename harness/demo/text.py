"""The demo's report as text: styled lines (rich on a terminal), plain text of at most 80 columns."""

from __future__ import annotations

import os
from typing import Any

from harness.spans.values import format_cost

__all__ = ["WIDTH", "print_report", "render_text", "report_lines"]

WIDTH = 80

Segment = tuple[str, str]  # (text, rich style)
Line = list[Segment]


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f}s"


def _xray_lines(text: str) -> list[Line]:
    """The harness renderer's X-ray text as styled lines: errors red, the slowest step marked."""
    lines: list[Line] = []
    for raw in text.rstrip("\n").splitlines():
        if len(raw) > WIDTH:  # an exception event's message, mostly
            raw = raw[: WIDTH - 1] + "…"
        if raw.startswith("trace "):
            lines.append([(raw, "dim")])
        elif " ERROR" in raw:
            lines.append([(raw, "bold red")])
        elif raw.endswith("◀ slowest"):
            lines.append([(raw.removesuffix("◀ slowest"), ""), ("◀ slowest", "bold yellow")])
        else:
            lines.append([(raw, "")])
    return lines


def _header(title: str) -> list[Line]:
    return [[("", "")], [(title, "bold magenta")], [("=" * min(len(title), WIDTH), "magenta")]]


def _wrap(text: str, indent: str = "  ") -> list[Line]:
    import textwrap

    return [
        [(line, "")]
        for line in textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent)
    ]


def report_lines(report: dict[str, Any]) -> list[Line]:
    """The report as styled lines (plain text = the segments joined)."""
    out: list[Line] = [[(report["title"], "bold")]]
    source = (
        "live: the simulator in real time"
        if report["mode"] == "live"
        else "replayed from cassettes/openai/*.yaml on a virtual clock (deterministic)"
    )
    out.append([(source, "dim")])

    trip = report["trip"]
    s = trip["summary"]
    out += _header(f'1. X-ray of one request: "{trip["question"]}"')
    out.append(
        [
            (
                f"{_fmt_s(s['duration_s'])} total, ${format_cost(s['cost_usd'])}, {s['tokens_in']:,} input + "
                f"{s['tokens_out']:,} output tokens, {s['llm_calls']} LLM calls",
                "",
            )
        ]
    )
    out.append(
        [
            (
                f"agent: effort {s['reasoning_effort']}, {s['iterations']} iterations, "
                f"{s['tool_calls']} tool calls",
                "",
            )
        ]
    )
    out.append([("", "")])
    out += _xray_lines(trip["xray"])
    out.append([("", "")])
    out.append(
        [
            (
                f"Slowest step: {s['slowest_step']} ({_fmt_s(s['slowest_step_s'])}); "
                f"costliest: {s['costliest_step']} (${format_cost(s['costliest_step_usd'])})",
                "yellow",
            )
        ]
    )
    out.append([(f"Answer: {trip['answer_first_line']}"[:WIDTH], "green")])

    m = report["metrics"]
    out += _header("2. Metrics (as Prometheus scrapes them, after every call above)")
    for fam in m["families"]:
        out.append([(fam["name"], "bold cyan"), (f"  ({fam['type']})", "dim")])
        for row in fam["series"]:
            labels = ",".join(f'{k}="{v}"' for k, v in row["labels"].items())
            if fam["type"] == "histogram":
                value = f"count {row.get('count', 0):g}  sum {row.get('sum', 0):.3f}"
            else:
                value = f"{row['value']:.6g}"
            text = f"  {{{labels}}}"
            if len(text) + len(value) + 2 > WIDTH:
                out.append([(text[:WIDTH], "")])
                out.append([(f"{value:>{WIDTH}}", "green")])
            else:
                out.append([(text + " " * (WIDTH - len(text) - len(value)), ""), (value, "green")])
    out.append([("", "")])
    out.append([("The guide's derived queries:", "bold")])
    for d in m["derived"]:
        value = "n/a" if d["value"] is None else f"{d['value']:g}"
        q = f"  {d['query']}"
        out.append([(q + " " * max(1, WIDTH - len(q) - len(value)), ""), (value, "green")])
    if m["also_exported"]:
        out += _wrap("Also exported (GenAI conventions): " + ", ".join(m["also_exported"]))

    out += _header("3. Beyond the happy path")
    for sc in report["scenarios"]:
        out.append([("", "")])
        out.append([(sc["title"], "bold")])
        if "xray" in sc:
            out += _xray_lines(sc["xray"])
        for key, value in sc.get("facts", {}).items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            out.append([(f"  {key}: ", "dim"), (str(value)[: WIDTH - len(key) - 4], "")])
        if "rows" in sc:
            out.append(
                [
                    (
                        f"  {'sampler':<22} {'model':<12} {'cost':>10} {'decision':>9} {'spans':>6}",
                        "dim",
                    )
                ]
            )
            for r in sc["rows"]:
                style = "green" if r["decision"] == "kept" else "red"
                out.append(
                    [
                        (
                            f"  {r['sampler']:<22} {r['model']:<12} {'$' + format_cost(r['cost_usd']):>10} ",
                            "",
                        ),
                        (f"{r['decision']:>9}", style),
                        (f" {r['spans_exported']:>6}", ""),
                    ]
                )
            out += _wrap(sc["note"])
    if "otlp" in report:
        o = report["otlp"]
        out += _header("OTLP export")
        if o["ok"]:
            out.append([(f"{o['sent']} spans sent to {o['endpoint']}: all accepted"[:WIDTH], "")])
        else:
            out.append(
                [
                    (
                        f"export FAILED: {o['sent']} of {o['spans']} spans accepted by {o['endpoint']}"[
                            :WIDTH
                        ],
                        "red",
                    )
                ]
            )

    out += _header("4. Where to look next")
    for step in report["next"]:
        out.append([(f"  {step['how']}", "bold green")])
        out.append([(f"      {step['what']}", "dim")])
    return out


def render_text(report: dict[str, Any]) -> str:
    """Plain text, every line at most 80 columns."""
    return (
        "\n".join("".join(seg[0] for seg in line).rstrip() for line in report_lines(report)) + "\n"
    )


def print_report(report: dict[str, Any], *, color: bool | None = None) -> None:
    """Print with rich colour when stdout is a terminal (or ``color=True``), else plain."""
    import sys

    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if not color:
        sys.stdout.write(render_text(report))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    for line in report_lines(report):
        text = Text()
        for segment, style in line:
            text.append(segment, style=style or None)
        console.print(text)
