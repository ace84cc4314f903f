"""``sik-llms simulate``: run the OpenAI / Anthropic provider simulator on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import sys

EXTRA = "harness"
REQUIRES = ("yaml",)

HELP = (
    "Run the OpenAI / Anthropic provider simulator on loopback: point an SDK's base_url at it. "
    "Answers come from a scenario (default: deterministic answers derived from the prompt) or a "
    "vcrpy cassette, with an optional latency model and injected faults."
)

EPILOG = """examples:
  sik-llms simulate --port 8900
  sik-llms simulate --scenario travel_agent --ttft 0.3 --tps 40 --jitter 0.2 --seed 1
  sik-llms simulate --cassette ../shared/cassettes-real/otel-contrib/test_chat_completion_streaming.yaml
  sik-llms simulate --fault 429:retry_after=1,first=2 --fault disconnect:after_events=3,probability=0.1

fault kinds: 429, 500, 529, disconnect, malformed, stream_error, slow, hang; options (key=value, comma separated):
  first=N (only the first N requests), probability=P (seeded by --seed), provider=openai|anthropic,
  retry_after=S, after_events=N, chunk_delay=S, chunk_size=BYTES, hang_max=S, message=TEXT

then:
  openai.OpenAI(base_url="http://127.0.0.1:PORT/v1", api_key="sk-sim")
  anthropic.Anthropic(base_url="http://127.0.0.1:PORT", api_key="sk-sim")
  openai.AzureOpenAI(azure_endpoint="http://127.0.0.1:PORT", api_version="2024-10-21", api_key="sk-sim")
  any OpenAI-compatible client: base_url="http://127.0.0.1:PORT/<any prefix>" (model names not checked)
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: 0 = any free port)"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario", help="scenario YAML file, or a bundled name (default, travel_agent)"
    )
    source.add_argument(
        "--cassette", help="serve answers from this vcrpy cassette instead of a scenario"
    )
    parser.add_argument(
        "--no-repeat",
        action="store_true",
        help="with --cassette: refuse a request once its recorded answers are used up",
    )
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="accept any model name and parameter (default: refuse what the real APIs refuse)",
    )
    parser.add_argument(
        "--ttft", type=float, default=0.0, help="time to first token, seconds (default 0)"
    )
    parser.add_argument(
        "--tps", type=float, default=0.0, help="tokens per second after the first (0 = instant)"
    )
    parser.add_argument(
        "--jitter", type=float, default=0.0, help="latency jitter as a fraction, 0..1"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for ids, jitter and fault probabilities"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:k=v,...]",
        help="inject a fault (repeatable); see the fault kinds below",
    )


def run(args: argparse.Namespace) -> int:
    from harness.simulator import Latency, ScenarioError, build_app, parse_fault_spec
    from harness.simulator.cassette import CassetteError
    from harness.simulator.httpserver import HttpServer

    try:
        latency = Latency(ttft=args.ttft, tps=args.tps, jitter=args.jitter, seed=args.seed)
        faults = [parse_fault_spec(spec) for spec in args.fault]
        app = build_app(
            scenario=args.scenario,
            cassette=args.cassette,
            latency=None if latency.is_zero else latency,
            faults=faults,
            seed=args.seed,
            cassette_repeat=not args.no_repeat,
            validate=False if args.no_validate else None,
        )
    except (ScenarioError, CassetteError, ValueError) as exc:
        print(f"sik-llms simulate: {exc}", file=sys.stderr)
        return 2
    server = HttpServer(app.plan, args.host, args.port)

    async def main() -> None:
        try:
            port = await server.start()
        except OSError as exc:
            raise SystemExit(
                f"sik-llms simulate: cannot listen on {args.host}:{args.port}: {exc}"
            ) from exc
        source = f"cassette {args.cassette}" if args.cassette else f"scenario {app.scenario.name}"
        print(f"sik-llms simulator listening on http://{args.host}:{port} ({source})")
        print(f"  OpenAI:    base_url=http://{args.host}:{port}/v1")
        print(f"  Anthropic: base_url=http://{args.host}:{port}")
        print(f"  Azure:     azure_endpoint=http://{args.host}:{port} (any deployment)")
        print(f"  other:     base_url=http://{args.host}:{port}/<prefix> (OpenAI-compatible)")
        if args.no_validate:
            print("  validation off: any model name and parameter is accepted")
        if faults:
            print(f"  faults:    {', '.join(args.fault)}")
        print("Ctrl-C to stop.", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print(f"\nstopped after {len(app.requests)} request(s)")
    return 0
