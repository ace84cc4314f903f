"""The ``sik-llms`` command line: a thin dispatcher over importable functions.

Each subcommand lives in ``harness/commands/<name>.py`` and defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when their
command runs, so ``sik-llms --help`` stays fast and a missing optional extra only affects the
command that needs it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS: dict[str, str] = {
    "demo": "an offline, deterministic tour of the guide's X-ray view (the main job)",
    "replay": "replay every LLM call of a vcrpy cassette through sik_llms and print its span tree",
    "record": "record the project's cassette suite against the simulator (or a real provider)",
    "simulate": "run the OpenAI / Anthropic provider simulator on loopback",
    "collect": "run a loopback OTLP/HTTP collector that counts and stores what arrives",
    "scan": "scan cassettes (or any files) for key-shaped secrets",
    "semconv": "check sik_llms's telemetry against the OpenTelemetry GenAI conventions on recordings",
    "bench": "measure what telemetry costs per call, next to the bare SDKs and the peers",
    "load": "run bounded locust loads against the simulator and summarise them",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sik-llms",
        description="sik-llms: an LLM client with honest OpenTelemetry, and the harness that tests it.",
        epilog="Run 'sik-llms COMMAND --help' for a command's options. Start with 'sik-llms demo'.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        if argv and argv[0] not in ("-h", "--help"):
            parser.print_usage(sys.stderr)
            print(f"sik-llms: unknown command {argv[0]!r} (choose from {', '.join(COMMANDS)})", file=sys.stderr)
            return 2
        parser.print_help()
        return 0
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"harness.commands.{name}")
    sub = argparse.ArgumentParser(prog=f"sik-llms {name}", description=module.HELP)
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
