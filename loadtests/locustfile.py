"""Locust users that drive the instrumented sik_llms client against the provider simulator.

Configured by environment (the runner in ``loadtests/run.py`` sets all of it):

- ``SIK_LOAD_OPENAI_BASE_URL`` / ``SIK_LOAD_ANTHROPIC_BASE_URL``: the simulator.
- ``SIK_LOAD_WEIGHTS``: ``chat=4,stream=3,tool=2,agent=1`` (a weight of 0 disables a kind).
- ``SIK_LOAD_MODELS``: model per kind, e.g. ``chat=gpt-4o-mini,stream=gpt-3.5-turbo``.
- ``SIK_LOAD_SAMPLER=cost``: install a manual TracerProvider with the guide's
  ``CostBasedSampler`` wrapped in ``ParentBased`` (zero-config reads only standard samplers).
  Otherwise telemetry comes from the standard ``OTEL_*`` variables (zero-config).
- ``SIK_LOAD_RESULT``: where the master (or the local runner) writes its JSON results, in
  ``events.quitting`` so that the workers' final reports are included.

Each user call runs inside a root span ``load.<kind>`` (attribute ``load.kind``), so every
trace at the collector is complete and can be classified. Calls run under gevent with the
sync client (no event loop per call). Each call fires one locust request event
(``request_type`` = kind, latency in ms, ``response_length`` = output tokens); time to first
chunk, tokens, span counts and process CPU travel to the master in ``report_to_master``.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from locust import User, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

# The OpenAI and Anthropic SDKs put platform.platform() in their headers; the first call runs
# `uname -p` in a subprocess. Under gevent, with the OTel BatchSpanProcessor's at-fork hook
# installed, that fork ran locust user greenlets in the child before exec: a fork bomb
# (measured here). Warming the cache at import, before any user runs, avoids the fork.
platform.platform()

KINDS = ("chat", "stream", "tool", "agent")
DEFAULT_WEIGHTS = {"chat": 4, "stream": 3, "tool": 2, "agent": 1}
DEFAULT_MODELS = {"chat": "gpt-4o-mini", "stream": "gpt-3.5-turbo", "tool": "gpt-4o-mini", "agent": "gpt-4o-mini"}
ROOT_KIND_ATTR = "load.kind"


# --------------------------------------------------------------------------- the guide's sampler


class CostBasedSampler(Sampler):
    """Sample more expensive operations at higher rates."""

    # One change from the guide: ``trace_state=None``. The SDK (1.45) calls samplers without
    # it, so the guide's signature raises TypeError on every root span.
    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):  # type: ignore[no-untyped-def]
        # Always sample reasoning operations (they're complex)
        if "reasoning" in name.lower():
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample expensive models more frequently
        model = (attributes or {}).get("llm.model", "")
        if "gpt-4" in model or "claude-3-opus" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE)

        # Sample cheap models less frequently
        if "gpt-3.5" in model or "gpt-4o-mini" in model:
            # 10% sampling
            return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP)

        # Default sampling
        return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 5 == 0 else Decision.DROP)

    # Not in the guide: ``Sampler`` declares ``get_description`` abstract, so the guide's class
    # cannot be instantiated without it.
    def get_description(self) -> str:
        return "CostBasedSampler"


def root_span_name(kind: str) -> str:
    """Name of the root span wrapping one user call of ``kind``."""
    return "load.reasoning_agent" if kind == "agent" else f"load.{kind}"


def cost_sampler_rate(kind: str, model: str) -> float:
    """Exact fraction of root spans the CostBasedSampler keeps for this kind and model.

    The guide's rules are periodic in ``trace_id`` with period 10, so asking the real sampler
    about trace ids 0..9 gives the exact rate (no copy of its branch logic here).
    """
    sampler = CostBasedSampler()
    attrs = {"llm.model": model, ROOT_KIND_ATTR: kind}
    kept = sum(
        sampler.should_sample(None, tid, root_span_name(kind), None, attrs, None, None).decision
        == Decision.RECORD_AND_SAMPLE
        for tid in range(10)
    )
    return kept / 10


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
    key = "SIK_LOAD_ANTHROPIC_BASE_URL" if model.startswith("claude") else "SIK_LOAD_OPENAI_BASE_URL"
    return os.environ.get(key)


def build_client(kind: str) -> Any:
    """The sik_llms client one user uses for calls of ``kind``."""
    from sik_llms import create_client  # type: ignore[attr-defined]

    model = MODELS[kind]
    kwargs: dict[str, Any] = {"api_key": "sk-load-test", "base_url": base_url_for(model)}
    if kind == "tool":
        from sik_llms.tools import Tool, ToolChoice

        return create_client(model, tools=[Tool.from_function(get_weather)], tool_choice=ToolChoice.REQUIRED, **kwargs)
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
            sampler=ParentBased(CostBasedSampler()),
            resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "sik-llms-load")}),
            shutdown_on_exit=False,
        )
        endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
        timeout = float(os.environ.get("OTEL_EXPORTER_OTLP_TIMEOUT", "2"))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=timeout)))
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


# --------------------------------------------------------------------------- custom metrics


class Metrics:
    """What this process measured; the incremental parts are shipped to the master and reset."""

    def __init__(self) -> None:
        self.reset()
        self.cpu_start = 0.0

    def reset(self) -> None:
        self.latency_ms: dict[str, list[float]] = defaultdict(list)
        self.ttft_ms: dict[str, list[float]] = defaultdict(list)
        self.tokens: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.first_start = float("inf")
        self.last_end = 0.0

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


def process_snapshot() -> dict[str, Any]:
    """Cumulative process facts: CPU seconds since test start, peak RSS, span counts."""
    t = os.times()
    with COUNTER.lock:
        spans = {
            "ended": COUNTER.ended,
            "roots": dict(COUNTER.roots),
            "spans_per_call": {k: {str(n): c for n, c in v.items()} for k, v in COUNTER.spans_per_call.items()},
        }
    return {
        "cpu_seconds": t.user + t.system - METRICS.cpu_start,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "spans": spans,
    }


METRICS = Metrics()
AGGREGATE: dict[str, Any] = {"parts": [], "workers": {}}


def merge_parts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge incremental metric parts (from this process or from workers)."""
    out: dict[str, Any] = {"latency_ms": defaultdict(list), "ttft_ms": defaultdict(list), "tokens": Counter(),
                           "calls": Counter(), "failures": Counter(), "first_start": float("inf"), "last_end": 0.0}
    for p in parts:
        for key in ("latency_ms", "ttft_ms"):
            for kind, values in p[key].items():
                out[key][kind].extend(values)
        for key in ("tokens", "calls", "failures"):
            out[key].update(p[key])
        out["first_start"] = min(out["first_start"], p["first_start"])
        out["last_end"] = max(out["last_end"], p["last_end"])
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in out.items()}


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    t = os.times()
    METRICS.cpu_start = t.user + t.system
    if not isinstance(environment.runner, MasterRunner):
        setup_telemetry()


@events.report_to_master.add_listener
def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data["sik_load"] = {"part": METRICS.take(), "process": process_snapshot()}


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    payload = data.get("sik_load")
    if payload:
        AGGREGATE["parts"].append(payload["part"])
        AGGREGATE["workers"][client_id] = payload["process"]  # cumulative: keep the latest


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    path = os.environ.get("SIK_LOAD_RESULT")
    runner = environment.runner
    if not path or isinstance(runner, WorkerRunner):
        return
    if isinstance(runner, MasterRunner):
        parts, processes = AGGREGATE["parts"], list(AGGREGATE["workers"].values())
    else:
        parts, processes = [METRICS.take()], [process_snapshot()]
    stats = environment.stats
    locust_stats = {
        name: {"num_requests": s.num_requests, "num_failures": s.num_failures}
        for (name, _method), s in stats.entries.items()
    }
    locust_stats["Aggregated"] = {"num_requests": stats.total.num_requests, "num_failures": stats.total.num_failures}
    result = {
        "phase": os.environ.get("SIK_LOAD_PHASE", ""),
        "mode": type(runner).__name__,
        "workers": len(processes),
        "models": MODELS,
        "weights": WEIGHTS,
        "cost_rates": {kind: cost_sampler_rate(kind, MODELS[kind]) for kind in KINDS},
        "metrics": merge_parts(parts),
        "processes": processes,
        "locust": locust_stats,
        "quit_time": time.time(),
    }
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(result, fh)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the user


class LLMUser(User):
    """One simulated application user calling sik_llms in a closed loop."""

    def wait_time(self) -> float:
        return 0.0

    def on_start(self) -> None:
        setup_telemetry()
        self.clients = {kind: build_client(kind) for kind in KINDS if WEIGHTS[kind] > 0}

    def call(self, kind: str) -> None:
        """One instrumented call, reported to locust and to the custom metrics."""
        client = self.clients[kind]
        messages = AGENT_QUESTION if kind == "agent" else QUESTION
        ttft: float | None = None
        tokens = 0
        error: BaseException | None = None
        start = time.perf_counter()
        wall_start = time.time()
        try:
            with root_span(kind):
                if kind in ("stream", "agent"):
                    last: Any = None
                    for item in client.stream_sync(messages):
                        if ttft is None and type(item).__name__ == "TextChunkEvent":
                            ttft = (time.perf_counter() - start) * 1000
                        last = item
                    response = last
                else:
                    response = client(messages)
                tokens = int(getattr(response, "output_tokens", 0) or 0)
        except Exception as exc:
            error = exc
        elapsed = (time.perf_counter() - start) * 1000
        METRICS.first_start = min(METRICS.first_start, wall_start)
        METRICS.last_end = max(METRICS.last_end, time.time())
        METRICS.calls[kind] += 1
        if error is None:
            METRICS.latency_ms[kind].append(elapsed)
            METRICS.tokens[kind] += tokens
            if ttft is not None:
                METRICS.ttft_ms[kind].append(ttft)
        else:
            METRICS.failures[kind] += 1
        self.environment.events.request.fire(
            request_type="llm",
            name=kind,
            response_time=elapsed,
            response_length=tokens,
            exception=error,
            context={"ttft_ms": ttft, "model": MODELS[kind]},
        )

    @task
    def one_call(self) -> None:
        kinds = [k for k in KINDS if WEIGHTS[k] > 0]
        self.call(random.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0])
