"""``sik-llms collect``: a loopback OTLP/HTTP collector that counts what arrives."""

from __future__ import annotations

import argparse
import time

EXTRA = "harness"
REQUIRES = ("opentelemetry.proto",)

HELP = "Run a loopback OTLP/HTTP collector (point OTEL_EXPORTER_OTLP_ENDPOINT at it) and print what arrives."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port",
        type=int,
        default=4318,
        help="port on 127.0.0.1 (default 4318; 0 picks a free one)",
    )
    parser.add_argument(
        "--fault",
        choices=["none", "slow", "reject_429", "reject_503"],
        default="none",
        help="misbehave on purpose, to see that LLM calls do not notice",
    )
    parser.add_argument(
        "--delay", type=float, default=2.0, help="seconds per export with --fault slow"
    )
    parser.add_argument(
        "--seconds", type=float, default=0, help="stop after this many seconds (0: until Ctrl-C)"
    )


def run(args: argparse.Namespace) -> int:
    from harness.collector import Collector

    with Collector(port=args.port, fault=args.fault, delay=args.delay) as collector:
        print(f"OTLP/HTTP collector on {collector.endpoint}  (fault: {args.fault})")
        print(f"  export OTEL_SDK_DISABLED=false OTEL_EXPORTER_OTLP_ENDPOINT={collector.endpoint}")
        deadline = time.monotonic() + args.seconds if args.seconds else None
        seen = -1
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.5)
                summary = collector.summary()
                if summary["spans"] != seen:
                    seen = summary["spans"]
                    print(
                        f"  spans={summary['spans']} traces={summary['traces']} orphans={summary['orphans']} "
                        f"metric exports={summary['metric_requests']} rejected={summary['rejected']}",
                        flush=True,
                    )
        except KeyboardInterrupt:
            pass
    return 0
