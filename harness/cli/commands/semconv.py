"""``sik-llms semconv``: hold sik_llms's telemetry against the GenAI semantic conventions."""

from __future__ import annotations

import argparse
import json
import sys

EXTRA = "harness"
REQUIRES = ("yaml", "opentelemetry.sdk")

HELP = (
    "Replay recordings offline through sik_llms (message content captured on spans and as "
    "log-record events) and check every span, metric point and event against the OpenTelemetry "
    "GenAI conventions. With no CASSETTE: the project's cassette suite (the ReasoningAgent "
    "included); --real DIR adds every recording of DIR/MANIFEST.jsonl through each entry point. "
    "Exits 1 when anything deviates."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cassette",
        nargs="*",
        help="vcrpy cassette(s) to replay (every LLM interaction, each entry point)",
    )
    parser.add_argument(
        "--real",
        metavar="DIR",
        help="a directory with MANIFEST.jsonl (e.g. ../shared/cassettes-real)",
    )
    parser.add_argument("--no-suite", action="store_true", help="skip the project's cassette suite")
    parser.add_argument(
        "--seed-names",
        action="store_true",
        help="keep the seed's span names (the default without OTEL_SEMCONV_STABILITY_OPT_IN); the span-name rule is then skipped",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per run instead of text"
    )
    parser.add_argument(
        "--compare", metavar="CASSETTE",
        help="replay one recording through sik_llms and each installed peer instrumentation and print their "
        "span trees side by side with their conformance counts (interaction --index, default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--index", type=int, default=0, help="which interaction of --compare's cassette"
    )
    parser.add_argument(
        "--docs-table", metavar="FILE",
        help="with --real: replay every recording under every peer and write the comparison table (Markdown)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.cassettes import CassetteError, load_cassette
    from harness.semconv import SPEC_VERSION
    from harness.semconv.corpus import (
        ENTRY_POINTS,
        real_recordings,
        replay_project_cassettes,
        replay_recording,
    )

    if args.compare:
        return _compare(args)
    if args.docs_table:
        return _docs_table(args)
    names = not args.seed_names
    runs = []
    try:
        if not args.cassette and not args.no_suite:
            runs += replay_project_cassettes(semconv_names=names)
        targets: list[tuple[Path, int]] = []
        for raw in args.cassette:
            path = Path(raw)
            count = len(load_cassette(path).interactions)
            targets += [(path, i) for i in range(count)]
        if args.real:
            manifest = Path(args.real) / "MANIFEST.jsonl"
            if not manifest.is_file():
                print(
                    f"sik-llms semconv: {manifest} not found (--real wants a directory with MANIFEST.jsonl)",
                    file=sys.stderr,
                )
                return 2
            targets += real_recordings(Path(args.real))
        for path, index in targets:
            for entry in ENTRY_POINTS:
                try:
                    runs.append(replay_recording(path, index, entry, semconv_names=names))
                except ValueError as exc:  # not an LLM API sik_llms replays
                    print(f"sik-llms semconv: {path}#{index}: skipped: {exc}", file=sys.stderr)
                    break
    except (CassetteError, OSError) as exc:
        print(f"sik-llms semconv: {exc}", file=sys.stderr)
        return 2
    total = sum(len(r.report.violations) for r in runs)
    for r in runs:
        if args.json:
            print(json.dumps({
                "label": r.label, "entry": r.entry, "spans": r.report.spans_checked,
                "metric_points": r.report.metric_points_checked, "log_records": r.report.log_records_checked,
                "violations": [vars(v) for v in r.report.violations],
            }))  # fmt: skip
        elif r.report.violations:
            print(f"{r.label} ({r.entry}):")
            for v in r.report.violations:
                print(f"  {v}")
    if not args.json:
        spans = sum(r.report.spans_checked for r in runs)
        points = sum(r.report.metric_points_checked for r in runs)
        logs = sum(r.report.log_records_checked for r in runs)
        print(
            f"GenAI conventions ({SPEC_VERSION}): {total} violation(s) in {len(runs)} run(s): "
            f"{spans} spans, {points} metric points, {logs} log records checked"
        )
    return 1 if total else 0


def _compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.semconv.peers import compare, side_by_side

    path = Path(args.compare)
    if not path.is_file():
        print(
            f"sik-llms semconv: {path} not found (--compare wants a vcrpy cassette)",
            file=sys.stderr,
        )
        return 2
    runs = compare(path, args.index)
    print(side_by_side(runs))
    for run in runs:
        if run.status == "ok" and run.violations:
            print(
                f"\n{run.peer}: "
                + ", ".join(f"{rule} {n}" for rule, n in sorted(run.violations.items()))
            )
            for example in run.examples:
                print(f"  {example}")
    return 0


def _docs_table(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.semconv.corpus import real_recordings
    from harness.semconv.table import build_table, render_markdown

    if not args.real or not (Path(args.real) / "MANIFEST.jsonl").is_file():
        print(
            "sik-llms semconv: --docs-table needs --real DIR (a directory with MANIFEST.jsonl)",
            file=sys.stderr,
        )
        return 2
    targets = real_recordings(Path(args.real))
    print(f"replaying {len(targets)} recordings under each instrumentation ...", file=sys.stderr)
    summaries = build_table(targets)
    out = Path(args.docs_table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        render_markdown(
            summaries, f"{len(targets)} real recordings ({Path(args.real).name}/MANIFEST.jsonl)"
        ),
        encoding="utf-8",
    )
    print(f"wrote {out}", file=sys.stderr)
    return 0
