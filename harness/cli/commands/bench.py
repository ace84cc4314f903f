"""``sik-llms bench``: what telemetry costs per call, next to the bare SDKs and the peers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXTRA = "harness"
REQUIRES = ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http", "rich")

HELP = (
    "Measure the per-call wall and CPU cost of sik-llms (telemetry off / on with in-memory export / "
    "on with batch OTLP/HTTP export to a loopback collector) against the bare OpenAI and Anthropic "
    "SDKs and the instrumentations a user would pick instead, all answered from memory with zero "
    "latency. Each setup runs in its own process; rounds are interleaved; figures are medians "
    "with their interquartile range."
)

EPILOG = """\
setups: bare, ours_off, ours_on, ours_lean (SIK_LLMS_TELEMETRY_PROFILE=lean), floor (telemetry
off, then ours_on's spans, attributes and points emitted by the thinnest code on the same SDK:
the contract's own price, and ours_on / floor is the floor ratio), ours_otlp, openai_v2
(opentelemetry-instrumentation-openai-v2), openllmetry (OpenLLMetry's openai + anthropic
instrumentations), anthropic_sdk (the Anthropic SDK's own tracing). A peer that cannot run here
is reported as 'skipped: <reason>'.

The peers are in the dev extra (pip install -e '.[dev]'; it pins what openai-v2 needs).

examples:
  sik-llms bench --quick            a few seconds of measuring, for CI
  sik-llms bench --json > out.json  every figure, for machines
  sik-llms bench --markdown docs/generated/bench.md   the tables the docs include
  sik-llms bench --profile          cProfile of sik-llms with telemetry on (hot spots)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 short rounds and 100 memory calls (CI; most of its time is starting the workers)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the whole report as JSON on stdout"
    )
    parser.add_argument(
        "--markdown",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="write the Markdown tables to FILE (alone or '-': print them; the default when "
        "stdout is not a terminal)",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON report to this file")
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="FILE",
        help="measure nothing: render --markdown from a report written by --out",
    )
    parser.add_argument(
        "--rounds", type=int, help="interleaved rounds (default 15; 3 with --quick)"
    )
    parser.add_argument(
        "--batch-ms",
        type=float,
        help="bare-SDK milliseconds per sample (default 40; 8 with --quick)",
    )
    parser.add_argument(
        "--memory-calls",
        type=int,
        help="calls for the RSS-growth measurement (default 10000; 100 with --quick; 0 skips it)",
    )
    parser.add_argument(
        "--pertest-tests",
        type=int,
        help="tests per suite in the per-test harness table (default 200; 30 with --quick; 0 skips)",
    )
    parser.add_argument(
        "--bsp-seconds",
        type=float,
        help="seconds per probe of the batch-export search (default 5; 0 skips, as --quick does)",
    )
    parser.add_argument("--setups", help="comma-separated setups to run (bare is always included)")
    parser.add_argument("--providers", help="comma-separated: openai,anthropic")
    parser.add_argument("--workloads", help="comma-separated: answer,stream10,stream100,tool")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of benchmarking, profile sik-llms with telemetry on and print hot spots",
    )


def _pick(raw: str | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not raw:
        return allowed
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(
            f"sik-llms bench: unknown {what} {unknown}; choose from {', '.join(allowed)}"
        )
    return names


def run(args: argparse.Namespace) -> int:
    from harness import bench
    from harness.cli.output import check_output_file

    to_file = args.markdown not in (None, "-")
    for path in (args.out, Path(args.markdown) if to_file else None):
        if path is not None and (problem := check_output_file(path)):  # before minutes of measuring
            print(f"sik-llms bench: {problem}", file=sys.stderr)
            return 2
    if args.from_json:
        try:
            text = bench.markdown_document(json.loads(args.from_json.read_text()))
        except OSError as exc:
            print(
                f"sik-llms bench: cannot read {args.from_json}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 2
        except (ValueError, KeyError, TypeError) as exc:
            print(
                f"sik-llms bench: {args.from_json} is not a bench report ({exc!r})", file=sys.stderr
            )
            return 2
        if to_file:
            Path(args.markdown).write_text(text)
        else:
            print(text, end="")
        return 0

    if args.profile:
        for provider in _pick(args.providers, bench.PROVIDERS, "provider"):
            for workload in _pick(args.workloads, ("answer", "stream100"), "workload"):
                print(f"== {provider} / {workload}: sik-llms, telemetry on (in-memory)")
                print(bench.profile_ours(provider, workload, calls=300 if args.quick else 2000))
        return 0
    cfg = bench.BenchConfig.quick() if args.quick else bench.BenchConfig()
    if args.rounds:
        cfg.rounds = args.rounds
    if args.batch_ms:
        cfg.batch_ms = args.batch_ms
    if args.memory_calls is not None:
        cfg.memory_calls = args.memory_calls
    if args.pertest_tests is not None:
        cfg.pertest_tests = args.pertest_tests
    if args.bsp_seconds is not None:
        cfg.bsp_seconds = args.bsp_seconds
    cfg.setups = _pick(args.setups, tuple(s.name for s in bench.SETUPS), "setup")
    cfg.providers = _pick(args.providers, bench.PROVIDERS, "provider")
    cfg.workloads = _pick(args.workloads, bench.WORKLOADS, "workload")
    progress = None if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    report = bench.run_bench(cfg, progress=progress)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    if to_file:
        Path(args.markdown).write_text(bench.markdown_document(report))
        print(f"wrote {args.markdown}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif sys.stdout.isatty() and args.markdown != "-":
        bench.print_rich(report)
    else:
        print(bench.markdown_document(report), end="")
    return 0
