"""``sik-llms demo``: the offline, deterministic tour of the guide's X-ray view."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXTRA = "harness"
REQUIRES = (
    "opentelemetry.sdk",
    "opentelemetry.exporter.prometheus",
    "prometheus_client",
    "yaml",
    "rich",
)

HELP = (
    "Replay the project's cassettes through the instrumented client and ReasoningAgent (virtual "
    "clock: same output every run, no network, no key) and print the guide's X-ray tree of the "
    "trip-planning request, its metrics with Prometheus names, a 401, a 429-then-retry and the "
    "CostBasedSampler at work, then where to look next."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object with the same content"
    )
    parser.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write the traces as a self-contained timeline page (no network needed)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="run the tour against the provider simulator in real time (with its latency model)",
    )
    parser.add_argument(
        "--otlp",
        metavar="URL",
        default=None,
        help="also export the spans over OTLP/HTTP (default: OTEL_EXPORTER_OTLP_ENDPOINT if set)",
    )
    parser.add_argument(
        "--cassettes",
        type=Path,
        default=None,
        metavar="DIR",
        help="cassette directory (default: the project's cassettes/)",
    )
    parser.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour output (auto: only on a terminal)",
    )


def run(args: argparse.Namespace) -> int:
    from harness.demo import print_report, run_tour, write_html

    otlp = args.otlp or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None
    progress = _progress(args)
    try:
        report = run_tour(live=args.live, cassettes=args.cassettes, otlp=otlp, progress=progress)
    except FileNotFoundError as exc:
        print(f"sik-llms demo: {exc}", file=sys.stderr)
        return 1
    if args.html:
        write_html(report, args.html)
        print(f"wrote {args.html}", file=sys.stderr)
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    else:
        color = {"auto": None, "always": True, "never": False}[args.color]
        print_report(report, color=color)
    otlp_outcome = report.get("otlp")
    if otlp_outcome and not otlp_outcome["ok"]:
        print(
            f"sik-llms demo: OTLP export to {otlp_outcome['endpoint']} FAILED: {otlp_outcome['sent']} of "
            f"{otlp_outcome['spans']} spans accepted ({otlp_outcome['error']})",
            file=sys.stderr,
        )
        return 1
    return 0


def _progress(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Progress lines on stderr for the live tour (replay is instant and stays quiet)."""
    if not args.live:
        return lambda _msg: None
    if sys.stderr.isatty():
        from rich.console import Console

        console = Console(stderr=True)
        return lambda msg: console.print(f"[dim]... {msg}[/dim]")
    return lambda msg: print(f"... {msg}", file=sys.stderr, flush=True)
