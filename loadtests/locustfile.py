"""Locust users that drive the instrumented sik_llms client against the provider simulator.

Configured by environment (the runner in ``loadtests/run.py`` sets all of it):

- ``SIK_LOAD_OPENAI_BASE_URL`` / ``SIK_LOAD_ANTHROPIC_BASE_URL``: the simulator.
- ``SIK_LOAD_WEIGHTS``: ``chat=4,stream=3,tool=2,agent=1`` (a weight of 0 disables a kind).
- ``SIK_LOAD_MODELS``: model per kind, e.g. ``chat=gpt-4o-mini,stream=gpt-3.5-turbo``.
- ``SIK_LOAD_SAMPLER=cost``: install a manual TracerProvider with the guide's
  ``CostBasedSampler`` wrapped in ``ParentBased`` (zero-config reads only standard samplers).
  Otherwise telemetry comes from the standard ``OTEL_*`` variables (zero-config).
- ``SIK_LOAD_RESULT``: where the master (or the local runner) writes its JSON results, in
  ``events.quitting``. A master has the workers' final reports by then because it asked each
  worker for them in ``test_stopping`` and waited (see ``_on_test_stopping``).
- ``SIK_LOAD_WORKER_DIR``: where each worker writes its own totals at exit, to check the
  master's aggregate against.

Each user call runs inside a root span ``load.<kind>`` (attribute ``load.kind``), so every
trace at the collector is complete and can be classified. Calls run under gevent with the
sync client (no event loop per call). Each call fires one locust request event
(``request_type`` = kind, latency in ms, ``response_length`` = output tokens); time to first
chunk, tokens, span counts and process CPU travel to the master in ``report_to_master``.
"""

from __future__ import annotations

import json
import os
import random
import resource
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import gevent
from locust import User, events, task
from locust.env import Environment
from locust.runners import STATE_INIT, STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

# At import, before any user greenlet runs: sik_llms pays its one-time process work here (the
# SDKs' platform probe forks `uname -p`; racing greenlets each forked, see sik_llms/providers/_common.py).
from sik_llms import create_client

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
            "spans_per_call": {k: {str(n): c for n, c in v.items()} for k, v in COUNTER.spans_per_call.items()},
        }
    return {
        "cpu_seconds": t.user + t.system - METRICS.cpu_start,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "spans": spans,
    }


METRICS = Metrics()
# This worker's reports: a sequence number per report, and whether the users have stopped (after
# that a report carries everything that is left, and later ones are empty).
REPORTS: dict[str, Any] = {"seq": 0, "done": False}
# The master's view: parts received, the latest (cumulative) process snapshot per worker, the last
# sequence number per worker, reports refused as repeats, reports missing in the sequence, the
# workers whose final report arrived, and those the master gave up waiting for.
AGGREGATE: dict[str, Any] = {
    "parts": [],
    "workers": {},
    "seq": {},
    "duplicates": 0,
    "gaps": 0,
    "done": set(),
    "unfinished": [],
}
FINISH_MSG = "sik_load_finish"  # master -> worker: stop your users and send your final report now
FINISH_GRACE_S = 10.0  # beyond --stop-timeout, how long the master waits for the final reports


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


# Why the master asks for the final reports itself. With ``-t``, locust's MasterRunner.quit()
# sends "quit" to the workers, sleeps 0.5 s and kills the greenlet that receives their
# messages. A worker answers "quit" with stop() (which waits up to --stop-timeout for the calls
# in flight) and only then sends its final report. The calls in flight often need longer than
# 0.5 s (an agent run takes about 1 s), so that report (custom metrics and locust's own request
# stats alike) often reached a master that had stopped listening, and ``quitting`` came too late
# to wait for it (measured: master 16 calls, workers 24). So, in ``test_stopping``
# (fired by MasterRunner.stop() before the "quit" messages, while the master still listens), the
# master sends each worker FINISH_MSG and waits, bounded, until each has sent a report marked
# ``done``. Each report carries only what was measured since the previous one, numbered per
# worker, and the master refuses a number it has already counted: nothing travels twice.


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(FINISH_MSG, _on_finish)


def _on_finish(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: stop the users as locust's own "stop" does, then send the final report at once."""
    runner = environment.runner
    runner.stop()  # users finish the call in flight (up to --stop-timeout); nothing is measured after
    REPORTS["done"] = True
    data: dict[str, Any] = {}  # what WorkerRunner._send_stats does, with the public API
    environment.events.report_to_master.fire(client_id=runner.client_id, data=data)
    runner.send_message("stats", data)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    t = os.times()
    METRICS.cpu_start = t.user + t.system
    if isinstance(environment.runner, MasterRunner):
        AGGREGATE.update(parts=[], workers={}, done=set(), unfinished=[])
        return
    METRICS.reset()
    METRICS.totals.clear()
    REPORTS["done"] = False
    setup_telemetry()


@events.test_stopping.add_listener
def _on_test_stopping(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    # Only connected workers. When locust stops because the last worker quit or went missing
    # (from the greenlet that receives messages, which this wait would block), there are none.
    awaited = [
        c.id for c in runner.clients.all if c.state in (STATE_INIT, STATE_SPAWNING, STATE_RUNNING)
    ]
    for client_id in awaited:
        runner.send_message(FINISH_MSG, client_id=client_id)
    deadline = time.monotonic() + (environment.stop_timeout or 0.0) + FINISH_GRACE_S
    while time.monotonic() < deadline:
        # a worker that quit or went missing meanwhile sends nothing more: stop waiting for it
        if all(cid in AGGREGATE["done"] or cid not in runner.clients for cid in awaited):
            break
        gevent.sleep(0.05)
    AGGREGATE["unfinished"] = [cid for cid in awaited if cid not in AGGREGATE["done"]]


@events.report_to_master.add_listener
def _on_report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    REPORTS["seq"] += 1
    data["sik_load"] = {
        "seq": REPORTS["seq"],
        "done": REPORTS["done"],
        "part": METRICS.take(),
        "process": process_snapshot(),
    }


@events.worker_report.add_listener
def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    payload = data.get("sik_load")
    if not payload:
        return
    last = AGGREGATE["seq"].get(client_id, 0)
    if payload["seq"] <= last:
        AGGREGATE["duplicates"] += 1  # already counted
        return
    AGGREGATE["gaps"] += payload["seq"] - last - 1
    AGGREGATE["seq"][client_id] = payload["seq"]
    AGGREGATE["parts"].append(payload["part"])
    AGGREGATE["workers"][client_id] = payload["process"]  # cumulative: keep the latest
    if payload["done"]:
        AGGREGATE["done"].add(client_id)


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


@events.quitting.add_listener
def _on_quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        # the worker's own count, for checking the master's aggregate (all reports are sent by now)
        folder = os.environ.get("SIK_LOAD_WORKER_DIR")
        if folder:
            totals = {
                kind: {k: v for k, v in c.items() if v}
                for kind, c in sorted(METRICS.totals.items())
            }
            _write_json(
                os.path.join(folder, f"{runner.client_id}.json"),
                {
                    "client_id": runner.client_id,
                    "totals": totals,
                    "reports_sent": REPORTS["seq"],
                    "done": REPORTS["done"],
                },
            )
        return
    path = os.environ.get("SIK_LOAD_RESULT")
    if not path:
        return
    reports: dict[str, Any] | None = None
    if isinstance(runner, MasterRunner):
        parts, processes = AGGREGATE["parts"], list(AGGREGATE["workers"].values())
        reports = {
            "workers": sorted(AGGREGATE["workers"]),
            "done": sorted(AGGREGATE["done"]),
            "unfinished": AGGREGATE["unfinished"],
            "duplicates": AGGREGATE["duplicates"],
            "gaps": AGGREGATE["gaps"],
        }
    else:
        parts, processes = [METRICS.take()], [process_snapshot()]
    stats = environment.stats
    locust_stats = {
        name: {"num_requests": s.num_requests, "num_failures": s.num_failures}
        for (name, _method), s in stats.entries.items()
    }
    locust_stats["Aggregated"] = {"num_requests": stats.total.num_requests, "num_failures": stats.total.num_failures}
    merged = merge_parts(parts)
    result = {
        "phase": os.environ.get("SIK_LOAD_PHASE", ""),
        "mode": type(runner).__name__,
        "workers": len(processes),
        "models": MODELS,
        "weights": WEIGHTS,
        "cost_rates": {kind: cost_sampler_rate(kind, MODELS[kind]) for kind in KINDS},
        "metrics": merged,
        "totals": totals_of(merged),
        "reports": reports,
        "processes": processes,
        "locust": locust_stats,
        "quit_time": time.time(),
    }
    _write_json(path, result)


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
        METRICS.record(kind, wall_start, elapsed, ttft, tokens, failed=error is not None)
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
