"""``sik-llms replay``: replay a vcrpy cassette's LLM calls through sik_llms."""

from __future__ import annotations

import argparse
import json
import sys

EXTRA = "harness"
REQUIRES = ("opentelemetry.sdk", "yaml")

HELP = (
    "Replay every LLM call recorded in a vcrpy cassette (ours, pytest-recording's, any other) "
    "through sik_llms, offline, and print the span tree of each call (or JSON with --json)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cassette", nargs="+", help="cassette file(s) in vcrpy YAML format")
    parser.add_argument("--json", action="store_true", help="print one JSON object per cassette")


def run(args: argparse.Namespace) -> int:
    from harness.cassettes import CassetteError
    from harness.cassettes.report import UnsupportedInteraction, replay_cassette

    status = 0
    for path in args.cassette:
        try:
            result = replay_cassette(path)
        except (CassetteError, UnsupportedInteraction, OSError) as exc:
            print(
                f"sik-llms replay: {path}: {exc}".replace(f"{path}: {path}:", f"{path}:"),
                file=sys.stderr,
            )
            status = 1
            continue
        if args.json:
            print(json.dumps(result.to_json(), default=str))
            continue
        print(f"{path}")
        for call in result.interactions:
            outcome = (
                f"error {call.error['status']} {call.error['type']}"
                if call.error
                else f"{call.status} {call.finish_reason}"
            )
            print(
                f"\n#{call.index} {call.provider} {call.api} {call.request_model} stream={call.stream} -> {outcome}"
            )
            print(call.tree)
        for skipped in result.skipped:
            print(f"\n#{skipped.index} skipped: {skipped.reason}")
    return status
