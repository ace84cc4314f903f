"""``sik-llms record``: (re)build the project's cassette library from the record suite."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXTRA = "harness"
REQUIRES = ("opentelemetry.sdk", "yaml")

HELP = (
    "Record the project's cassette suite (text, streaming, tools, parallel tools, structured output, "
    "thinking, caching, 401 / 429-then-retry / 500 / 529 errors, the guide's trip-planning "
    "ReasoningAgent, an expensive-model call) into cassettes/<provider>/<scenario>.yaml. By default "
    "the calls go to the provider simulator, started in-process on a free loopback port with a "
    "seeded latency model; give --base-url and a key to record against a real provider instead. "
    "Cassettes are scrubbed, scanned for secrets and carry their provenance. Refused when CI is set."
)

_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--provider",
        action="append",
        choices=["openai", "anthropic"],
        help="record only this provider (repeatable; default: both)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="record only this scenario (repeatable; see --list)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="cassette directory (default: the checkout's cassettes/, or ./cassettes when installed)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="record against this real provider endpoint (needs exactly one --provider)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="key for --base-url (default: OPENAI_API_KEY / ANTHROPIC_API_KEY)",
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="simulator seed (latency jitter, ids); default 7"
    )
    parser.add_argument("--list", action="store_true", help="list the suite's scenarios and exit")


def run(args: argparse.Namespace) -> int:
    from harness.bundled import default_record_dir
    from harness.cassettes.suite import SUITE, record_suite

    if args.list:
        for call in SUITE:
            print(f"{call.name:<16} {'/'.join(call.providers):<17} {call.description}")
        return 0
    key = args.api_key
    if args.base_url and not key and args.provider and len(args.provider) == 1:
        key = os.environ.get(_KEY_ENV[args.provider[0]])
    if args.base_url and not key:
        print(
            "sik-llms record: --base-url needs a key: pass --api-key or set "
            "OPENAI_API_KEY / ANTHROPIC_API_KEY for the chosen --provider",
            file=sys.stderr,
        )
        return 2
    root = args.out or default_record_dir()
    try:
        results = record_suite(
            root,
            args.provider,
            args.scenario,
            base_url=args.base_url,
            api_key=key,
            seed=args.seed,
            progress=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        print(f"sik-llms record: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # RecordingRefused, SecretLeakError: say why, write nothing more
        print(f"sik-llms record: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for r in results:
        if r.path is not None:
            where = os.path.relpath(r.path) if str(r.path).startswith(os.getcwd()) else str(r.path)
            summary = r.outcome.summary if r.outcome else ""
            print(
                f"wrote {where} ({r.interactions} interaction{'s' * (r.interactions != 1)}): {summary}"[
                    :160
                ]
            )
        else:
            failed += 1
            print(f"FAILED {r.provider}/{r.name}: {r.problem}", file=sys.stderr)
    print(
        f"{len(results) - failed} cassette(s) written, {failed} failed; check them with: sik-llms scan {root}"
    )
    return 1 if failed else 0
