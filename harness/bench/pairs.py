"""Same-process pairs: the differences the bench's targets judge, timed inside one worker.

Two processes running the same code differ by as much as the gaps the targets judge
(docs/bench.md, "The floor"), so a setup whose target is a difference of two costs times both
sides of it in its own process, side by side, every round:

- ``floor`` (target 1): ``off`` (sik_llms, telemetry off), ``on`` (telemetry on) and ``floor``
  (off, then the floor emitter): on - off against floor - off.
- each peer (target 2): ``base`` (the bare SDK call the peer instruments, uninstrumented),
  ``peer`` (the same call instrumented), and sik_llms ``off``, ``on`` and ``lean`` (the lean
  profile): lean - off, and on - off, against peer - base.

A peer whose instrumentation cannot be undone in the process (its ``uninstrument()`` leaves its
wrappers, so the "base" would still be traced) gets no pairs, and the reason says so; its
figures are then the separate-process ones only. ``pair_set`` builds the callers after the
setup's own; ``run_pair`` times three rotations of one batch each.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.bench.calls import bare_call, ours_call
from harness.bench.model import SETUP_BY_NAME, WORKLOADS
from harness.bench.pipeline import Exporters, memory_exporters
from harness.bench.timing import run_batch

__all__ = ["FLOOR_PAIR", "PEER_PAIR", "PairSet", "lean_profile", "pair_set", "run_pair"]

Cell = tuple[str, str]
#: the floor worker's pair: the setup's own caller is ``floor``
FLOOR_PAIR = ("off", "on", "floor")
#: a peer worker's pair: the setup's own caller is ``peer``
PEER_PAIR = ("base", "peer", "off", "on", "lean")


@dataclass
class PairSet:
    """What one worker times side by side: per (provider, workload), callers by pair name.

    ``own`` names the entry that is the setup's own caller (its calls export to the worker's
    pipeline and count there); the sik_llms ``on`` and ``lean`` calls export to ``pipe``.
    ``scopes`` wraps a name's batches (the lean profile's environment variable). ``skipped``
    says why the worker has no pairs.
    """

    callers: dict[Cell, dict[str, Callable[[], Any]]] = field(default_factory=dict)
    own: str = ""
    scopes: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] = field(
        default_factory=dict
    )
    pipe: Exporters = field(default_factory=Exporters)
    skipped: str | None = None
    #: calls of the setup's own callers made while checking the pair (they made spans too)
    own_calls: int = 0
    #: cells left out ("provider/workload" -> why) while others are paired
    unpaired: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(next(iter(self.callers.values()), {}))


@contextlib.contextmanager
def lean_profile() -> Iterator[None]:
    """``SIK_LLMS_TELEMETRY_PROFILE=lean`` for the block (read per call by sik_llms), then the
    previous value back."""
    from sik_llms.telemetry.state import PROFILE_VAR

    before = os.environ.get(PROFILE_VAR)
    os.environ[PROFILE_VAR] = "lean"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PROFILE_VAR, None)
        else:
            os.environ[PROFILE_VAR] = before


def _ours(
    pipe: Exporters, provider: str, workload: str, names: tuple[str, ...]
) -> dict[str, Callable[[], Any]]:
    """sik_llms callers for ``names`` among ``off``, ``on`` and ``lean`` (lean only inside
    ``lean_profile()``); the traced ones export to ``pipe``."""
    providers = (pipe.tracer_provider, pipe.meter_provider)
    return {
        name: ours_call(provider, workload, None if name == "off" else providers) for name in names
    }


def pair_set(
    setup: str,
    own: dict[Cell, Callable[[], Any]],
    exporters: Exporters,
    uninstrument: Callable[[], None] | None = None,
) -> PairSet:
    """The pairs of ``setup`` (``FLOOR_PAIR`` for ``floor``, ``PEER_PAIR`` for a peer, none for
    the others), built after its own callers ``own`` (which export to ``exporters``).

    For a peer, ``uninstrument`` undoes its global patching first (the own callers keep the
    wrappers they were made with), then each ``base`` call is checked to make no span (else no
    pairs at all, and ``skipped`` says why) and each own call to still make one (else that cell
    is left out, in ``unpaired``).
    """
    spec = SETUP_BY_NAME[setup]
    if setup == "floor":
        pipe = memory_exporters()
        callers = {}
        for cell, call in own.items():
            callers[cell] = {**_ours(pipe, *cell, ("off", "on")), "floor": call}
        return PairSet(callers, "floor", pipe=pipe)
    if not spec.peer:
        return PairSet(skipped=f"{setup} is judged on separate-process figures only")
    if uninstrument is not None:
        uninstrument()
    pairs = PairSet(own="peer", scopes={"lean": lean_profile})
    for provider in spec.providers:
        for workload in WORKLOADS:
            cell = (provider, workload)
            base = bare_call(provider, workload)
            exporters.drain()
            before = exporters.spans
            base()
            exporters.drain()
            if exporters.spans != before:
                return PairSet(
                    skipped="the uninstrumented SDK call still made "
                    f"{exporters.spans - before} span(s) after uninstrument() (its wrappers "
                    "stay), so its base cannot be timed in its own process",
                    own_calls=pairs.own_calls,
                )
            own[cell]()
            pairs.own_calls += 1
            exporters.drain()
            if exporters.spans == before:  # this cell only (the worker reports it as broken)
                pairs.unpaired[f"{provider}/{workload}"] = "the instrumented call made no span"
                continue
            pairs.callers[cell] = {"base": base, "peer": own[cell]}
    if not pairs.callers:
        return PairSet(
            skipped="its instrumented calls made no span after uninstrument()",
            own_calls=pairs.own_calls,
        )
    pairs.pipe = memory_exporters()
    for cell, named in pairs.callers.items():
        merged = {**named, **_ours(pairs.pipe, *cell, ("off", "on", "lean"))}
        pairs.callers[cell] = {name: merged[name] for name in PEER_PAIR}  # the documented order
    return pairs


def run_pair(
    callers: dict[str, Callable[[], Any]],
    calls: int,
    turn: int,
    scopes: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] | None = None,
) -> dict[str, dict[str, float]]:
    """Three rotations of one batch each of every caller (the starting one moving with
    ``turn``, so none always runs first or last), a collection before each batch so one
    setup's garbage is not collected on another's time, each batch inside its ``scopes``
    entry if any; nanoseconds and calls summed per name, as ``run_batch`` counts them."""
    order = list(callers.items())
    scopes = scopes or {}
    totals = {name: {"wall_ns": 0, "cpu_ns": 0, "calls": 0} for name, _ in order}
    for i in range(3):
        start = (turn + i) % len(order)
        for name, call in order[start:] + order[:start]:
            scope = scopes.get(name, contextlib.nullcontext)
            with scope():
                gc.collect()
                got = run_batch(call, calls)
            totals[name]["wall_ns"] += got["wall_ns"]
            totals[name]["cpu_ns"] += got["cpu_ns"]
            totals[name]["calls"] += calls
    return totals
