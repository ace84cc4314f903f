"""``sik-llms scan PATH...``: list every key-shaped secret in cassettes or other files."""

from __future__ import annotations

import argparse
import sys

EXTRA = "harness"
REQUIRES = ("yaml",)

HELP = (
    "Scan cassettes (or any files/directories) for key-shaped secrets: OpenAI sk-/sk-proj-, "
    "Anthropic sk-ant-, bearer tokens, AWS keys, JWTs, credential headers. gzip and base64 "
    "(!!binary) bodies are decoded first. Exits 1 listing every finding as file:line, 0 when clean."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or directories (scanned recursively)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print findings only, no summary line"
    )


def run(args: argparse.Namespace) -> int:
    from harness.cassettes.scan import scan_paths

    try:
        findings, count = scan_paths(args.paths)
    except FileNotFoundError as exc:
        print(f"sik-llms scan: {exc}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    if not args.quiet:
        if findings:
            print(
                f"{len(findings)} possible secret(s) in {count} file(s): remove or redact them, "
                "then re-run (cassettes: re-record; scrubbing runs at record time).",
                file=sys.stderr,
            )
        else:
            print(f"no secrets found in {count} file(s)", file=sys.stderr)
    return 1 if findings else 0
