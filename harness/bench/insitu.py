"""Why telemetry costs more inside a call than alone (issue #18 target 3), measured three ways.

``CallRecorder`` replayed alone in a tight loop costs much less than "telemetry on" minus
"telemetry off" for the whole client call. This module tests the explanations on one workload:

1. **the same work?** Python function calls (``sys.setprofile`` counts every call and C call)
   of the recorder alone, of the floor alone, and of "on" minus "off": equal counts mean the
   integrated path does no hidden extra work;
2. **the garbage collector?** the in-situ cost with ``gc`` enabled and disabled in the timed
   loops: if collections of the SDK's and HTTP's young objects caused it, disabling them
   would remove the gap;
3. **cold caches?** the recorder (and the floor) timed right after the untraced call, and
   right after copying a buffer of 1, 4 and 16 MiB (evicting the CPU's data caches without
   running any SDK, HTTP or telemetry code): if the gap comes from sharing caches with the
   call's code and data, it grows with the evicted size and the floor shows it too.

Thread CPU µs per call, medians over interleaved rounds.
``python -m harness.bench.insitu [--provider openai] [--workload answer] [--rounds 15]``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["call_counts", "main", "timings"]


def _setups(provider: str, workload: str) -> dict[str, Callable[[], Any]]:
    from harness.bench.calls import our_client, ours_call, prompt_messages
    from harness.bench.floor import floor_call, memory_providers, record_shape, recorder_call
    from harness.bench.wire import memory_transport
    from sik_llms.telemetry import use_providers

    shape = record_shape(
        our_client(provider, workload), prompt_messages(), memory_transport(provider, workload)
    )
    on_pipe, rec_pipe, floor_pipe = memory_providers(), memory_providers(), memory_providers()
    off = ours_call(provider, workload, None)
    on = ours_call(provider, workload, (on_pipe.tracer_provider, on_pipe.meter_provider))
    rec = recorder_call(shape)
    floor = floor_call(shape, floor_pipe.tracer_provider, floor_pipe.meter_provider)

    def recorder() -> None:
        with use_providers(rec_pipe.tracer_provider, rec_pipe.meter_provider):
            rec()

    def clear() -> None:
        for pipe in (on_pipe, rec_pipe, floor_pipe):
            pipe.span_exporter.clear()

    return {"off": off, "on": on, "recorder": recorder, "floor": floor, "_clear": clear}


def call_counts(provider: str = "openai", workload: str = "answer", calls: int = 20) -> dict:
    """Python calls (function and C calls) per client call: recorder alone, floor alone, and
    on minus off."""
    setups = _setups(provider, workload)
    counts: dict[str, float] = {}
    seen = [0]

    def count(_frame: Any, event: str, _arg: Any) -> None:
        if event in ("call", "c_call"):
            seen[0] += 1

    for name in ("off", "on", "recorder", "floor"):
        fn = setups[name]
        for _ in range(5):
            fn()
        seen[0] = 0
        sys.setprofile(count)
        try:
            for _ in range(calls):
                fn()
        finally:
            sys.setprofile(None)
        counts[name] = seen[0] / calls
        setups["_clear"]()
    return {
        "recorder": counts["recorder"],
        "floor": counts["floor"],
        "on_minus_off": counts["on"] - counts["off"],
    }


def timings(
    provider: str = "openai", workload: str = "answer", rounds: int = 15, calls: int = 40
) -> dict[str, dict[str, float]]:
    """Thread CPU µs per call of the recorder and the floor: alone, after the untraced call
    (gc on and off), and after evicting 1 / 4 / 16 MiB of data cache."""
    setups = _setups(provider, workload)
    off, clear = setups["off"], setups["_clear"]
    buffers = {mb: bytearray(mb << 20) for mb in (1, 4, 16)}
    runs: dict[str, Callable[[], Any]] = {"off": off}
    for mb, buf in buffers.items():
        runs[f"evict {mb} MiB"] = (lambda b: lambda: bytes(b))(buf)
    for emitter in ("recorder", "floor"):
        fn = setups[emitter]
        runs[emitter] = fn
        runs[f"off+{emitter}"] = (lambda f: lambda: (off(), f()))(fn)
        for mb, buf in buffers.items():
            runs[f"evict {mb} MiB+{emitter}"] = (lambda b, f: lambda: (bytes(b), f()))(buf, fn)
    runs["on"] = setups["on"]
    samples: dict[tuple[str, bool], list[float]] = {}
    order = [(name, collect) for name in runs for collect in (True, False)]
    cpu = time.thread_time_ns
    for r in range(rounds + 1):  # round 0 warms up
        order = order[1:] + order[:1]
        for name, collect in order:
            clear()
            gc.collect()
            if not collect:
                gc.disable()
            try:
                c0 = cpu()
                for _ in range(calls):
                    runs[name]()
                c1 = cpu()
            finally:
                gc.enable()
            if r:
                samples.setdefault((name, collect), []).append((c1 - c0) / calls / 1000)
    m = {key: statistics.median(v) for key, v in samples.items()}
    out: dict[str, dict[str, float]] = {}
    for collect, label in ((True, "gc on"), (False, "gc off")):
        row = {
            "on minus off": m[("on", collect)] - m[("off", collect)],
        }
        for emitter in ("recorder", "floor"):
            row[f"{emitter} alone"] = m[(emitter, collect)]
            row[f"{emitter} after the untraced call"] = (
                m[(f"off+{emitter}", collect)] - m[("off", collect)]
            )
            for mb in buffers:
                row[f"{emitter} after evicting {mb} MiB"] = (
                    m[(f"evict {mb} MiB+{emitter}", collect)] - m[(f"evict {mb} MiB", collect)]
                )
        out[label] = {k: round(v, 1) for k, v in row.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m harness.bench.insitu", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--provider", default="openai")
    parser.add_argument("--workload", default="answer")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    counts = call_counts(args.provider, args.workload)
    print(f"{args.provider}/{args.workload}: Python calls per client call")
    for k, v in counts.items():
        print(f"  {k:40} {v:8.1f}")
    for label, row in timings(args.provider, args.workload, args.rounds).items():
        print(f"thread CPU µs per call, {label}:")
        for k, v in row.items():
            print(f"  {k:40} {v:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
