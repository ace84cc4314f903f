"""Recorder vs its floor, measured: the ratio issue #18 targets (at most 1.2x).

``micro`` replays one recorded call shape into ``CallRecorder`` and ``FloorEmitter`` with no
SDK client and no HTTP; ``in_situ`` runs the whole client call with telemetry off, on, and off
followed by the floor. Both interleave the setups per round and report medians of thread CPU
time (µs/call) and of the per-round ratio. ``python -m harness.bench.floor_ratio [--in-situ]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.bench.floor import (
    CallShape,
    bench_shapes,
    floor_call,
    memory_providers,
    record_shape,
    recorder_call,
)

__all__ = ["in_situ", "main", "micro"]


def micro(shape: CallShape, rounds: int = 30, calls: int = 100) -> dict[str, Any]:
    """Recorder vs floor on one shape, interleaved: per round, each setup runs ``calls`` calls
    (order alternating), spans cleared between batches. Medians of µs/call and of the per-round
    ratio recorder / floor, in this thread's CPU time (all the work is synchronous, and CPU
    time is what a shared, loaded machine disturbs least) and in wall time."""
    import contextlib
    import gc
    import os
    import statistics
    import time

    from sik_llms.telemetry import use_providers
    from sik_llms.telemetry.state import PROFILE_VAR

    setups: dict[str, tuple[Callable[[], None], Any, Any]] = {}
    floor, ours, lean = memory_providers(), memory_providers(), memory_providers()
    setups["floor"] = (
        floor_call(shape, floor.tracer_provider, floor.meter_provider),
        None,
        floor.span_exporter,
    )
    setups["recorder"] = (
        recorder_call(shape),
        (ours.tracer_provider, ours.meter_provider),
        ours.span_exporter,
    )
    setups["lean"] = (
        recorder_call(shape),
        (lean.tracer_provider, lean.meter_provider),
        lean.span_exporter,
    )
    samples: dict[str, list[float]] = {name: [] for name in setups}
    walls: dict[str, list[float]] = {name: [] for name in setups}
    ratios: list[float] = []
    lean_ratios: list[float] = []
    cpu, wall = time.thread_time_ns, time.perf_counter_ns
    order = list(setups)
    for r in range(rounds + 1):  # round 0 warms up
        order.reverse()
        this: dict[str, float] = {}
        for name in order:
            call, providers, exporter = setups[name]
            exporter.clear()
            gc.collect()
            if name == "lean":
                os.environ[PROFILE_VAR] = "lean"
            with use_providers(*providers) if providers else contextlib.nullcontext():
                w0, c0 = wall(), cpu()
                for _ in range(calls):
                    call()
                c1, w1 = cpu(), wall()
            os.environ.pop(PROFILE_VAR, None)
            this[name] = (c1 - c0) / calls / 1000
            if r:
                walls[name].append((w1 - w0) / calls / 1000)
        if r:
            for name, value in this.items():
                samples[name].append(value)
            ratios.append(this["recorder"] / this["floor"])
            lean_ratios.append(this["lean"] / this["floor"])
    return {
        "shape": shape.label,
        **{f"{name}_us": round(statistics.median(v), 1) for name, v in samples.items()},
        **{f"{name}_wall_us": round(statistics.median(v), 1) for name, v in walls.items()},
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "lean_ratio": round(statistics.median(lean_ratios), 3),
    }


def in_situ(provider: str, workload: str, rounds: int = 20, calls: int = 50) -> dict[str, Any]:
    """The full client call, interleaved: telemetry off; on (``CallRecorder``); off followed by
    the floor emitting the same telemetry (in the same loop, so it pays what ours pays for
    sharing caches with the SDK and HTTP code). Instrumentation alone = on - off, its floor
    = (off + floor) - off; also ``off + recorder`` to show that "on" costs no more than its
    parts run back to back. Thread CPU µs/call, medians over rounds."""
    import gc
    import statistics
    import time

    from harness.bench.calls import our_client, ours_call, prompt_messages
    from harness.bench.wire import memory_transport
    from sik_llms.telemetry import use_providers

    shape = record_shape(
        our_client(provider, workload), prompt_messages(), memory_transport(provider, workload)
    )
    off = ours_call(provider, workload, None)
    on_pipe, floor_pipe, rec_pipe = memory_providers(), memory_providers(), memory_providers()
    on = ours_call(provider, workload, (on_pipe.tracer_provider, on_pipe.meter_provider))
    floor = floor_call(shape, floor_pipe.tracer_provider, floor_pipe.meter_provider)
    recorder = recorder_call(shape)
    providers = (rec_pipe.tracer_provider, rec_pipe.meter_provider)

    def off_floor() -> None:
        off()
        floor()

    def off_recorder() -> None:
        off()
        with use_providers(*providers):
            recorder()

    setups: dict[str, Callable[[], Any]] = {
        "off": off,
        "on": on,
        "off+floor": off_floor,
        "off+recorder": off_recorder,
    }
    samples: dict[str, list[float]] = {name: [] for name in setups}
    order = list(setups)
    cpu = time.thread_time_ns
    for r in range(rounds + 1):
        order = order[1:] + order[:1]
        for name in order:
            for pipe in (on_pipe, floor_pipe, rec_pipe):
                pipe.span_exporter.clear()
            gc.collect()
            c0 = cpu()
            for _ in range(calls):
                setups[name]()
            if r:
                samples[name].append((cpu() - c0) / calls / 1000)
    m = {name: statistics.median(v) for name, v in samples.items()}
    ours, floor_cost = m["on"] - m["off"], m["off+floor"] - m["off"]
    return {
        "shape": f"{provider}/{workload}",
        **{f"{name}_us": round(v, 1) for name, v in m.items()},
        "instrumentation_us": round(ours, 1),
        "floor_us": round(floor_cost, 1),
        "ratio": round(ours / floor_cost, 3) if floor_cost > 0 else None,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.floor_ratio", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument(
        "--workload", action="append", help="answer, stream10, stream100, tool (repeatable)"
    )
    parser.add_argument(
        "--in-situ",
        action="store_true",
        help="measure inside the full client call (off / on / off + floor) instead of alone",
    )
    args = parser.parse_args(argv)
    if args.in_situ:
        from harness.bench.model import PROVIDERS

        print(
            f"{'call':22} {'off µs':>8} {'on µs':>8} {'ours µs':>8} {'floor µs':>9} {'ratio':>6} {'off+recorder µs':>16}"
        )
        for provider in PROVIDERS:
            for workload in args.workload or ("answer", "stream10", "tool"):
                row = in_situ(provider, workload, args.rounds, args.calls)
                print(
                    f"{row['shape']:22} {row['off_us']:8.1f} {row['on_us']:8.1f} {row['instrumentation_us']:8.1f} "
                    f"{row['floor_us']:9.1f} {row['ratio']!s:>6} {row['off+recorder_us']:16.1f}"
                )
        return 0
    shapes = bench_shapes(tuple(args.workload or ("answer", "stream10", "tool")))
    print(
        f"{'shape':28} {'recorder µs':>12} {'floor µs':>9} {'ratio':>6} (min-max)   {'lean µs':>8} {'lean/floor':>10}"
    )
    for shape in shapes.values():
        row = micro(shape, args.rounds, args.calls)
        print(
            f"{row['shape']:28} {row['recorder_us']:12.1f} {row['floor_us']:9.1f} {row['ratio']:6.3f} "
            f"({row['ratio_min']:.2f}-{row['ratio_max']:.2f})   {row['lean_us']:8.1f} {row['lean_ratio']:10.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
