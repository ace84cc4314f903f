"""The worker side of the bench: one setup per process, answering the parent over stdin/stdout.

Protocol (JSON lines): the worker prints ``{"ready": ..., "pairs": [names]}`` or
``{"skipped": reason}``, then answers ``{"op": "run" | "mem" | "pair" | "quit", ...}``
requests, one line each. ``pair`` (the floor and peer workers, ``harness.bench.pairs``) times
the setup beside what its target compares it with, three rotations of one batch each in this
one process, so a difference compares code on one heap and one set of caches. Run as
``python -m harness.bench.worker SETUP [--endpoint URL]`` (``harness.bench.runner`` does).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.bench.calls import bare_call, ours_call
from harness.bench.model import SETUP_BY_NAME, WORD, WORKLOADS
from harness.bench.pairs import pair_set, run_pair
from harness.bench.pipeline import Exporters, memory_exporters, otlp_exporters
from harness.bench.timing import run_batch, run_memory

__all__ = ["Built", "build_callers", "dist_version", "worker_main"]


def dist_version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


PEER_DISTS = {
    "openai_v2": ("opentelemetry-instrumentation-openai-v2", "opentelemetry-util-genai", "httpx"),
    "openllmetry": (
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
    ),
    "anthropic_sdk": ("anthropic",),
}


@dataclass
class Built:
    """One setup's callers in this process: ``callers`` by (provider, workload), the
    ``exporters`` they report to, ``notes`` for the report (versions, content capture), and
    ``uninstrument`` (a peer's undo of its global patching, for ``pairs.pair_set``; None when
    the setup patches nothing)."""

    callers: dict[tuple[str, str], Callable[[], Any]] = field(default_factory=dict)
    exporters: Exporters = field(default_factory=Exporters)
    notes: dict[str, Any] = field(default_factory=dict)
    uninstrument: Callable[[], None] | None = None


def build_callers(setup: str, endpoint: str | None) -> Built:
    """One setup's callers, built in this process.

    Raises ``LookupError(reason)`` when the setup cannot run here (a peer is not installed).
    """
    spec = SETUP_BY_NAME[setup]
    notes: dict[str, Any] = {}
    exporters = Exporters()
    callers: dict[tuple[str, str], Callable[[], Any]] = {}
    if setup in ("ours_on", "ours_lean", "floor", "openai_v2", "openllmetry", "anthropic_sdk"):
        exporters = memory_exporters()
    if setup == "ours_lean":  # this worker's process only: the runner clears it for the others
        from sik_llms.telemetry.state import PROFILE_VAR

        os.environ[PROFILE_VAR] = "lean"
    elif setup == "ours_otlp":
        if not endpoint:
            raise LookupError("no collector endpoint given")
        exporters = otlp_exporters(endpoint)
    tp, mp = exporters.tracer_provider, exporters.meter_provider
    uninstrument: Callable[[], None] | None = None
    if setup == "openai_v2":
        try:
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2
        except ImportError as exc:
            if dist_version("opentelemetry-instrumentation-openai-v2"):
                raise LookupError(
                    f"opentelemetry-instrumentation-openai-v2 {dist_version('opentelemetry-instrumentation-openai-v2')} "
                    f"is installed but cannot be imported: {exc} (it needs httpx and "
                    "opentelemetry-util-genai<1.2b0: pip install -e '.[dev]' pins both)"
                ) from None
            raise LookupError(
                f"opentelemetry-instrumentation-openai-v2 is not installed ({exc})"
            ) from None
        v2 = V2()
        v2.instrument(tracer_provider=tp, meter_provider=mp)
        uninstrument = v2.uninstrument
        notes["content_capture"] = "off (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT unset)"
    elif setup == "openllmetry":
        try:
            from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop
        except ImportError as exc:
            raise LookupError(f"OpenLLMetry's instrumentations are not installed ({exc})") from None
        traceloop, anthropic = Traceloop(), AnthropicInstrumentor()
        traceloop.instrument(tracer_provider=tp, meter_provider=mp)
        anthropic.instrument(tracer_provider=tp, meter_provider=mp)

        def uninstrument() -> None:
            traceloop.uninstrument()
            anthropic.uninstrument()

        notes["content_capture"] = (
            f"TRACELOOP_TRACE_CONTENT={os.environ.get('TRACELOOP_TRACE_CONTENT', 'unset (default: on)')}"
        )
    for provider in spec.providers:
        for workload in WORKLOADS:
            key = (provider, workload)
            if setup in ("bare", "openai_v2", "openllmetry"):
                callers[key] = bare_call(provider, workload)
            elif setup == "anthropic_sdk":
                callers[key] = bare_call(
                    provider, workload, {"open_telemetry": {"tracer_provider": tp}}
                )
            elif setup == "ours_off":
                callers[key] = ours_call(provider, workload, None)
            elif setup == "floor":
                from harness.bench.floor import bench_floor_call

                callers[key] = bench_floor_call(provider, workload, tp, mp)
            else:
                callers[key] = ours_call(provider, workload, (tp, mp))
    notes["versions"] = {d: dist_version(d) for d in PEER_DISTS.get(setup, ())}
    return Built(callers, exporters, notes, uninstrument)


def check_call(
    setup: str, key: tuple[str, str], call: Callable[[], Any], exporters: Exporters
) -> str | None:
    """Why this caller is not measuring what it claims, or None (answer right, spans made)."""
    exporters.drain()
    before = exporters.spans
    result = call()
    exporters.drain()
    text = getattr(result, "response", None) if setup.startswith("ours") else None
    if setup.startswith("ours") and key[1] != "tool" and not (text and text.startswith(WORD)):
        return f"unexpected answer {result!r:.80}"
    if (
        setup.startswith("ours")
        and key[1] == "tool"
        and not getattr(result, "tool_predictions", None)
    ):
        return f"no tool prediction in {result!r:.80}"
    if exporters.span_exporter is not None and exporters.spans == before:
        return "instrumented, but the call produced no spans"
    return None


def worker_main(setup: str, endpoint: str | None) -> int:
    """Serve one setup's measurements over stdin/stdout (JSON lines)."""
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the protocol

    def send(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    try:
        built = build_callers(setup, endpoint)
    except LookupError as exc:
        send({"skipped": str(exc)})
        return 0
    callers, exporters = built.callers, built.exporters
    broken: dict[str, str] = {}
    for key, call in callers.items():
        for _ in range(3):  # warm up: imports, lazily built SDK clients, caches
            call()
        problem = check_call(setup, key, call, exporters)
        if problem:
            broken[f"{key[0]}/{key[1]}"] = problem
    total = 4 * len(callers)  # warm-up and check calls made spans too
    pairs = pair_set(setup, callers, exporters, built.uninstrument)
    total += pairs.own_calls
    for named in pairs.callers.values():
        for call in named.values():
            for _ in range(3):  # warm up as the setup's own callers were
                call()
        total += 3  # the own caller's warm-up (it is one of the named)
    exporters.drain()
    pairs.pipe.drain()
    send(
        {
            "ready": True,
            "notes": built.notes,
            "broken": broken,
            "pairs": pairs.names,
            "pair_cells": [f"{p}/{wl}" for p, wl in pairs.callers],
            "pairs_skipped": pairs.skipped,
            "unpaired": pairs.unpaired,
        }
    )
    turn = 0
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "quit":
            break
        cell = (req["provider"], req["workload"])
        call = callers[cell]
        if op == "pair":
            if cell not in pairs.callers:
                send({"error": f"setup {setup} measures no pair ({pairs.skipped})"})
                continue
            res: dict[str, Any] = run_pair(
                pairs.callers[cell], int(req["calls"]), turn, pairs.scopes
            )
            total += int(res[pairs.own]["calls"])  # the setup's own calls made its spans
            turn += 1
            exporters.drain()
            pairs.pipe.drain()
        elif op == "run":
            total += int(req["calls"])
            res = run_batch(call, int(req["calls"]))
            exporters.drain()
        else:
            res = run_memory(call, int(req["calls"]), exporters)
            total += int(req["calls"]) + min(int(req["calls"]), 200)  # and its warm-up
        send(res)
    exporters.shutdown()
    send({"done": True, "spans": exporters.spans, "calls": total})
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] != "--endpoint":
        ep = sys.argv[sys.argv.index("--endpoint") + 1] if "--endpoint" in sys.argv else None
        sys.exit(worker_main(sys.argv[1], ep))
    print(
        "usage: python -m harness.bench.worker SETUP [--endpoint URL]  (or: sik-llms bench)",
        file=sys.stderr,
    )
    sys.exit(2)
