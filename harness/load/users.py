"""What one locust user does, and what its process counts: importable without locust.

Configured by environment (``harness.load.runner`` sets all of it):

- ``SIK_LOAD_OPENAI_BASE_URL`` / ``SIK_LOAD_ANTHROPIC_BASE_URL``: the simulator.
- ``SIK_LOAD_WEIGHTS``: ``chat=4,stream=3,tool=2,agent=1`` (a weight of 0 disables a kind).
- ``SIK_LOAD_MODELS``: model per kind, e.g. ``chat=gpt-5.4-mini,stream=gpt-5.5``.
- ``SIK_LOAD_SAMPLER=cost``: install a manual TracerProvider with the guide's
  ``CostBasedSampler`` (as printed: ``harness.samplers.GuideCostBasedSampler``) wrapped in
  ``ParentBased`` (zero-config reads only standard samplers). Otherwise telemetry comes from the
  standard ``OTEL_*`` variables (zero-config).

Each user call runs inside a root span ``load.<kind>`` (attribute ``load.kind``), so every
trace at the collector is complete and can be classified. ``SpanCounter`` counts the spans each
call made in-process; ``Metrics`` what each call measured (``harness.load.locust_events`` ships
both to the master).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

from harness.samplers import GuideCostBasedSampler, kept_fraction

# At import, before any user greenlet runs: sik_llms pays its one-time process work here (the
# SDKs' platform probe forks `uname -p`; racing greenlets each forked, see sik_llms/providers/_common.py).
from sik_llms import create_client

KINDS = ("chat", "stream", "tool", "agent")
DEFAULT_WEIGHTS = {"chat": 4, "stream": 3, "tool": 2, "agent": 1}
DEFAULT_MODELS = {
    "chat": "gpt-5.4-mini",
    "stream": "gpt-5.4-mini",
    "tool": "gpt-5.4-mini",
    "agent": "gpt-5.4-mini",
}
ROOT_KIND_ATTR = "load.kind"


def root_span_name(kind: str) -> str:
    """Name of the root span wrapping one user call of ``kind``."""
    return "load.reasoning_agent" if kind == "agent" else f"load.{kind}"


def cost_sampler_rate(kind: str, model: str) -> float:
    """Exact fraction of root spans the guide's CostBasedSampler keeps for this kind and model."""
    return kept_fraction(
        GuideCostBasedSampler(), root_span_name(kind), {"llm.model": model, ROOT_KIND_ATTR: kind}
    )


# --------------------------------------------------------------------------- configuration


def parse_map(text: str | None, default: dict[str, Any], cast: Any = str) -> dict[str, Any]:
    """``a=1,b=2`` -> dict over KINDS, falling back to ``default`` for kinds not named."""
    out = dict(default)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in KINDS:
            raise ValueError(f"bad SIK_LOAD_* entry {part!r}: use kind=value with kind in {KINDS}")
        out[key] = cast(value.strip())
    return out


WEIGHTS: dict[str, int] = parse_map(os.environ.get("SIK_LOAD_WEIGHTS"), DEFAULT_WEIGHTS, int)
MODELS: dict[str, str] = parse_map(os.environ.get("SIK_LOAD_MODELS"), DEFAULT_MODELS)
QUESTION = [{"role": "user", "content": "Summarise the telemetry of this load test in one line."}]
AGENT_QUESTION = [{"role": "user", "content": "What is 12 times 7? Use the calculator."}]


def calculator(expression: str) -> str:
    """Evaluate a small arithmetic expression such as '12 * 7'."""
    allowed = set("0123456789+-*/(). ")
    if not set(expression) <= allowed:
        return "error: only arithmetic"
    try:
        return str(eval(expression, {"__builtins__": {}}, {}))
    except Exception as exc:  # the model may send anything
        return f"error: {exc}"


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"sunny in {city}"


def base_url_for(model: str) -> str | None:
    key = (
        "SIK_LOAD_ANTHROPIC_BASE_URL" if model.startswith("claude") else "SIK_LOAD_OPENAI_BASE_URL"
    )
    return os.environ.get(key)


def build_client(kind: str) -> Any:
    """The sik_llms client one user uses for calls of ``kind``."""
    model = MODELS[kind]
    kwargs: dict[str, Any] = {"api_key": "sk-load-test", "base_url": base_url_for(model)}
    if kind == "tool":
        from sik_llms.tools import Tool, ToolChoice

        return create_client(
            model,
            tools=[Tool.from_function(get_weather)],
            tool_choice=ToolChoice.REQUIRED,
            **kwargs,
        )
    if kind == "agent":
        from sik_llms.agent import ReasoningAgent

        return ReasoningAgent(model, tools=[calculator], max_iterations=3, **kwargs)
    return create_client(model, **kwargs)


# --------------------------------------------------------------------------- telemetry setup


class SpanCounter(SpanProcessor):
    """A span processor that counts sampled spans as they end, per trace and per root kind.

    ``spans_per_call[kind]`` is a histogram of how many spans each call's trace had in-process;
    the runner compares it with what the collector received.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ended = 0
        self.open_traces: Counter[int] = Counter()
        self.roots: Counter[str] = Counter()
        self.spans_per_call: dict[str, Counter[int]] = defaultdict(Counter)

    def on_end(self, span: Any) -> None:
        if not span.context.trace_flags.sampled:
            return
        with self.lock:
            self.ended += 1
            tid = span.context.trace_id
            self.open_traces[tid] += 1
            if span.parent is None:
                kind = str((span.attributes or {}).get(ROOT_KIND_ATTR, "other"))
                self.roots[kind] += 1
                self.spans_per_call[kind][self.open_traces.pop(tid)] += 1


COUNTER = SpanCounter()
_TRACER: Any = None
_PROVIDER: Any = None


def setup_telemetry() -> None:
    """Resolve (or, for ``SIK_LOAD_SAMPLER=cost``, install) the tracer provider once."""
    global _TRACER, _PROVIDER
    if _TRACER is not None:
        return
    if os.environ.get("SIK_LOAD_SAMPLER") == "cost":
        import atexit

        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased

        from sik_llms.telemetry.setup import EXIT_FLUSH_SECONDS, bounded_shutdown

        # The guide's manual setup, with ParentBased so agent runs are kept or dropped whole.
        provider = TracerProvider(
            sampler=ParentBased(GuideCostBasedSampler()),
            resource=Resource.create(
                {"service.name": os.environ.get("OTEL_SERVICE_NAME", "sik-llms-load")}
            ),
            shutdown_on_exit=False,
        )
        endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
        timeout = float(os.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT", "2"))
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=timeout))
        )
        trace.set_tracer_provider(provider)
        atexit.register(bounded_shutdown, provider, None, EXIT_FLUSH_SECONDS)
    from sik_llms import telemetry

    if telemetry.get_tracer() is None:  # triggers zero-config when OTEL_SDK_DISABLED=false
        _TRACER = False
        return
    from opentelemetry import trace

    _PROVIDER = trace.get_tracer_provider()
    _PROVIDER.add_span_processor(COUNTER)
    _TRACER = trace.get_tracer("sik_llms.loadtests")


@contextmanager
def _root(kind: str) -> Iterator[Any]:
    attrs = {"llm.model": MODELS[kind], ROOT_KIND_ATTR: kind}
    with _TRACER.start_as_current_span(root_span_name(kind), attributes=attrs) as span:
        # A sampler's SamplingResult carries the span's start attributes; the guide's sampler
        # returns none, which wipes them. Set them again so the runner can classify traces.
        span.set_attributes(attrs)
        yield span


def root_span(kind: str) -> AbstractContextManager[Any]:
    """The root span of one user call (nothing when tracing is off)."""
    return _root(kind) if _TRACER else nullcontext()


class Metrics:
    """What this process measured.

    The incremental part (``take``) is shipped to the master and reset, so each call travels
    in exactly one report. ``totals`` is cumulative and never shipped: a worker writes it to
    its own file at exit, so the master's aggregate can be checked against it.
    """

    def __init__(self) -> None:
        self.reset()
        self.totals: dict[str, Counter[str]] = defaultdict(Counter)
        self.cpu_start = 0.0

    def reset(self) -> None:
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.ttft_ms: dict[str, list[float]] = defaultdict(list)
        self.tokens: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.first_start = float("inf")
        self.last_end = 0.0

    def record(
        self,
        kind: str,
        wall_start: float,
        elapsed_ms: float,
        ttft_ms: float | None,
        tokens: int,
        failed: bool,
    ) -> None:
        """One finished call, into the incremental part and the cumulative totals."""
        self.first_start = min(self.first_start, wall_start)
        self.last_end = max(self.last_end, time.time())
        self.calls[kind] += 1
        if failed:
            self.failures[kind] += 1
        else:
            self.latency_ms[kind].append(elapsed_ms)
            self.tokens[kind] += tokens
            if ttft_ms is not None:
                self.ttft_ms[kind].append(ttft_ms)
        self.totals[kind].update(
            {
                "calls": 1,
                "failures": int(failed),
                "tokens": 0 if failed else tokens,
                "latency_n": 0 if failed else 1,
                "ttft_n": int(not failed and ttft_ms is not None),
            }
        )

    def take(self) -> dict[str, Any]:
        """The incremental part as plain data (and reset it)."""
        data = {
            "latency_ms": dict(self.latency_ms),
            "ttft_ms": dict(self.ttft_ms),
            "tokens": dict(self.tokens),
            "calls": dict(self.calls),
            "failures": dict(self.failures),
            "first_start": self.first_start,
            "last_end": self.last_end,
        }
        self.reset()
        return data


def totals_of(merged: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per-kind counts of merged parts, in the shape of ``Metrics.totals`` (for exact comparison)."""
    kinds = (
        set(merged["calls"])
        | set(merged["failures"])
        | set(merged["latency_ms"])
        | set(merged["ttft_ms"])
    )
    out = {
        kind: {
            "calls": merged["calls"].get(kind, 0),
            "failures": merged["failures"].get(kind, 0),
            "tokens": merged["tokens"].get(kind, 0),
            "latency_n": len(merged["latency_ms"].get(kind, [])),
            "ttft_n": len(merged["ttft_ms"].get(kind, [])),
        }
        for kind in kinds
    }
    return {kind: {k: v for k, v in t.items() if v} for kind, t in sorted(out.items())}


def process_snapshot() -> dict[str, Any]:
    """Cumulative process facts: CPU seconds since test start, peak RSS, span counts."""
    t = os.times()
    with COUNTER.lock:
        spans = {
            "ended": COUNTER.ended,
            "roots": dict(COUNTER.roots),
            "spans_per_call": {
                k: {str(n): c for n, c in v.items()} for k, v in COUNTER.spans_per_call.items()
            },
        }
    return {
        "cpu_seconds": t.user + t.system - METRICS.cpu_start,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "spans": spans,
    }


METRICS = Metrics()


def merge_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge incremental metric parts (from this process or from workers)."""
    out: dict[str, Any] = {
        "latency_ms": defaultdict(list),
        "ttft_ms": defaultdict(list),
        "tokens": Counter(),
        "calls": Counter(),
        "failures": Counter(),
        "first_start": float("inf"),
        "last_end": 0.0,
    }
    for p in parts:
        for key in ("latency_ms", "ttft_ms"):
            for kind, values in p[key].items():
                out[key][kind].extend(values)
        for key in ("tokens", "calls", "failures"):
            out[key].update(p[key])
        out["first_start"] = min(out["first_start"], p["first_start"])
        out["last_end"] = max(out["last_end"], p["last_end"])
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in out.items()}
