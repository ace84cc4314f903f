"""``sik-llms load``: bounded locust loads against the simulator, in phases, summarised."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXTRA = "load"
REQUIRES = ("locust", "gevent", "opentelemetry.sdk", "opentelemetry.proto")

HELP = (
    "Run bounded locust loads against the simulator (telemetry off / always-on / ratio 0.1 / the guide's "
    "CostBasedSampler / collector down, slow, 503) and write summary.json, summary.md and chart.html."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quick", action="store_true", help="five short phases (under a minute in total)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("load-results"),
        help="output directory (default load-results)",
    )
    parser.add_argument(
        "--users", type=int, help="concurrent locust users (default 20; 10 with --quick)"
    )
    parser.add_argument(
        "--seconds", type=float, help="run time per phase (default 20; 4 with --quick)"
    )
    parser.add_argument("--phases", help="comma-separated phase names to run (default: all)")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="run the always_on phase distributed: one master and this many workers",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        default=None,
        help="also write the phase table (Markdown, with the run's line) to FILE; '-' for stdout",
    )
    parser.add_argument(
        "--from-summary",
        type=Path,
        metavar="JSON",
        default=None,
        help="run nothing: render --markdown from a run's summary.json (e.g. loadtests/results/)",
    )


def run(args: argparse.Namespace) -> int:
    from harness.cli.output import check_output_dir, check_output_file
    from harness.load import (
        PHASES,
        QUICK,
        LoadConfig,
        run_distributed,
        run_phases,
        summary_markdown,
        table,
    )

    if args.from_summary:
        return _from_summary(args)
    problems = [check_output_dir(args.out)]
    if args.markdown and str(args.markdown) != "-":
        problems.append(check_output_file(args.markdown))
    if problem := next((p for p in problems if p), None):
        print(f"sik-llms load: {problem}", file=sys.stderr)
        return 2
    cfg = LoadConfig()
    if args.quick:
        cfg = LoadConfig(
            users=QUICK["users"], seconds=QUICK["seconds"], phases=list(QUICK["phases"])
        )
    if args.users:
        cfg.users = args.users
    if args.seconds:
        cfg.seconds = args.seconds
    if args.phases:
        names = [p.strip() for p in args.phases.split(",") if p.strip()]
        unknown = set(names) - {p.name for p in PHASES}
        if unknown:
            print(
                f"sik-llms load: unknown phase(s) {sorted(unknown)}; choose from {[p.name for p in PHASES]}",
                file=sys.stderr,
            )
            return 2
        cfg.phases = names
    if args.workers:
        res = run_distributed(cfg, args.out, workers=args.workers)
        agg = res["aggregation"]
        print(
            f"distributed: {res['workers']} workers, {res['calls_total']} calls, {res['failures']} failed, "
            f"spans expected {res['spans']['expected']} received {res['spans']['received']}"
        )
        print(
            f"master's custom-metric totals {'equal' if agg['exact'] else 'DIFFER FROM'} the sum of the "
            f"{agg['worker_files']} workers' own totals; final reports from {len(agg['done'])} of "
            f"{args.workers} workers; details in {args.out / 'distributed.json'}"
        )
        return 0 if res["failures"] == 0 and agg["exact"] and not agg["unfinished"] else 1
    summary = run_phases(cfg, args.out, progress=lambda m: print(m, flush=True))
    print(table(summary))
    if args.markdown:
        if str(args.markdown) == "-":
            print(summary_markdown(summary))
        else:
            args.markdown.write_text(summary_markdown(summary))
            print(f"wrote {args.markdown}")
    print(
        f"\nwrote {args.out / 'summary.json'}, {args.out / 'summary.md'}, {args.out / 'chart.html'}"
    )
    return 0 if all(r["failures"] == 0 for r in summary["phases"]) else 1


def _from_summary(args: argparse.Namespace) -> int:
    """The Markdown of an earlier run, from its summary.json, without running anything."""
    import json

    from harness.load import summary_markdown

    try:
        summary = json.loads(args.from_summary.read_text())
        text = summary_markdown(summary)
    except OSError as exc:
        print(
            f"sik-llms load: cannot read {args.from_summary}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except (ValueError, KeyError, TypeError) as exc:
        print(
            f"sik-llms load: {args.from_summary} is not a load summary.json ({exc!r})",
            file=sys.stderr,
        )
        return 2
    if args.markdown is None or str(args.markdown) == "-":
        print(text, end="")
        return 0
    from harness.cli.output import check_output_file

    if problem := check_output_file(args.markdown):
        print(f"sik-llms load: {problem}", file=sys.stderr)
        return 2
    args.markdown.write_text(text)
    print(f"wrote {args.markdown}", file=sys.stderr)
    return 0
