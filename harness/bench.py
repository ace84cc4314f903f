"""Overhead benchmark: what telemetry costs per call, next to the bare SDKs and the peers.

Every setup answers the same requests from memory (``MemoryTransport``: pre-built wire bodies,
SSE served one event per chunk, zero latency), so what is left is the client-side cost of the
SDK, of sik_llms, and of whichever instrumentation is on. Each setup runs in its own worker
subprocess (peers instrument by patching the SDKs globally, and ours must not import the
OpenTelemetry SDK when telemetry is off); the parent drives all workers in rounds, in a
shuffled order per round, so slow drift of the machine hits every setup alike. A sample is the
mean of one batch of calls; a figure is the median of the samples, with its interquartile range.

Worker protocol (JSON lines): the worker prints ``{"ready": ...}`` or ``{"skipped": reason}``,
then answers ``{"op": "run" | "mem" | "quit", ...}`` requests, one line each.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2

# --------------------------------------------------------------------------- what is measured

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-20241022"}
PROVIDERS = tuple(MODELS)
#: stream10 exists to measure the per-chunk slope: (stream100 - stream10) / 90.
WORKLOADS = ("answer", "stream10", "stream100", "tool")
WORKLOAD_LABELS = {
    "answer": "non-streamed answer",
    "stream10": "10-chunk stream",
    "stream100": "100-chunk stream",
    "tool": "tool call",
}
PROMPT = "Say something about Paris."
WORD = "word "


@dataclass(frozen=True)
class Setup:
    """One way of making the call: the bare SDK, ours, or a peer instrumentation."""

    name: str
    label: str
    providers: tuple[str, ...]
    peer: bool = False


SETUPS: tuple[Setup, ...] = (
    Setup("bare", "bare SDK", PROVIDERS),
    Setup("ours_off", "sik-llms, telemetry off", PROVIDERS),
    Setup("ours_on", "sik-llms, telemetry on (in-memory)", PROVIDERS),
    Setup("ours_otlp", "sik-llms, batch OTLP/HTTP export", PROVIDERS),
    Setup("openai_v2", "peer: opentelemetry-instrumentation-openai-v2", ("openai",), peer=True),
    Setup("openllmetry", "peer: OpenLLMetry (traceloop) instrumentation", PROVIDERS, peer=True),
    Setup("anthropic_sdk", "peer: Anthropic SDK's own tracing", ("anthropic",), peer=True),
)
SETUP_BY_NAME = {s.name: s for s in SETUPS}
# The untraced code each traced setup adds its instrumentation to.
TELEMETRY_BASE = {"ours_on": "ours_off", "ours_otlp": "ours_off", **{s.name: "bare" for s in SETUPS if s.peer}}


# --------------------------------------------------------------------------- wire bodies


def _sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def openai_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an OpenAI chat completion for this workload."""
    model = "gpt-4o-mini-2024-07-18"
    base = {"id": "chatcmpl-bench", "created": 1_700_000_000, "model": model, "system_fingerprint": "fp_bench"}
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 100,
        "total_tokens": 112,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    if workload.startswith("stream"):
        n = int(workload[len("stream"):])
        chunk = {**base, "object": "chat.completion.chunk"}
        events = [_sse({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})]
        events += [
            _sse({**chunk, "choices": [{"index": 0, "delta": {"content": WORD}, "finish_reason": None}]}) for _ in range(n)
        ]
        events.append(_sse({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
        events.append(_sse({**chunk, "choices": [], "usage": {**usage, "completion_tokens": n, "total_tokens": 12 + n}}))
        events.append(_sse("[DONE]"))
        return "text/event-stream", events
    if workload == "tool":
        call = {"id": "call_bench", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": WORD * 100, "refusal": None}
        finish = "stop"
    body = {**base, "object": "chat.completion", "usage": usage,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}]}
    return "application/json", [json.dumps(body).encode()]


def anthropic_body(workload: str) -> tuple[str, list[bytes]]:
    """(content type, chunks) of an Anthropic message for this workload."""
    model = MODELS["anthropic"]
    usage = {"input_tokens": 12, "output_tokens": 100, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    if workload.startswith("stream"):
        n = int(workload[len("stream"):])
        start = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": [],
                 "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
        events = [
            _sse({"type": "message_start", "message": start}, "message_start"),
            _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, "content_block_start"),
        ]
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": WORD}}
        events += [_sse(delta, "content_block_delta") for _ in range(n)]
        events.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        events.append(_sse({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": n}}, "message_delta"))
        events.append(_sse({"type": "message_stop"}, "message_stop"))
        return "text/event-stream", events
    if workload == "tool":
        content: list[dict[str, Any]] = [{"type": "tool_use", "id": "toolu_bench", "name": "get_weather", "input": {"city": "Paris"}}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": WORD * 100}]
        stop = "end_turn"
    body = {"id": "msg_bench", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop, "stop_sequence": None, "usage": usage}
    return "application/json", [json.dumps(body).encode()]


BODIES: dict[str, Callable[[str], tuple[str, list[bytes]]]] = {"openai": openai_body, "anthropic": anthropic_body}


class _Chunks(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


class MemoryTransport(httpx2.BaseTransport):
    """Answers every request with one pre-built response from memory (SSE: one chunk per event)."""

    def __init__(self, content_type: str, chunks: list[bytes]) -> None:
        self._headers = [("content-type", content_type), ("request-id", "req_bench"), ("x-request-id", "req_bench")]
        self._chunks = chunks
        self._streamed = content_type == "text/event-stream"
        self.requests = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests += 1
        if self._streamed:
            return httpx2.Response(200, headers=self._headers, stream=_Chunks(self._chunks), request=request)
        return httpx2.Response(200, headers=self._headers, content=self._chunks[0], request=request)


def memory_transport(provider: str, workload: str) -> MemoryTransport:
    return MemoryTransport(*BODIES[provider](workload))


# --------------------------------------------------------------------------- one call, per setup


def weather_tool() -> Any:
    from sik_llms import Parameter, Tool

    return Tool(name="get_weather", description="Current weather in a city.",
                parameters=[Parameter(name="city", param_type=str, required=True, description="City name")])


def our_client(provider: str, workload: str) -> Any:
    """The sik_llms client for this workload (its request is the bare SDK's request too)."""
    from sik_llms import create_client

    kwargs: dict[str, Any] = {"api_key": "sk-bench-0000", "max_retries": 0, "stream": workload.startswith("stream")}
    if workload == "tool":
        kwargs["tools"] = [weather_tool()]
    return create_client(MODELS[provider], **kwargs)


def _messages() -> list[dict[str, Any]]:
    from sik_llms import user_message

    return [user_message(PROMPT)]


_PARAM_NAMES: dict[Any, frozenset[str]] = {}


def sdk_call_kwargs(method: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Split request fields into what the SDK method names and ``extra_body`` for the rest.

    SDK versions differ in what they name (anthropic 2.x dropped ``temperature`` from
    ``messages.create``); reading the installed signature keeps every field on the wire.
    """
    func = getattr(method, "__func__", method)
    names = _PARAM_NAMES.get(func)
    if names is None:
        target = inspect.unwrap(func)
        names = frozenset(inspect.signature(target).parameters) - {"self"}
        _PARAM_NAMES[func] = names
    out = {k: v for k, v in params.items() if k in names}
    extra = {k: v for k, v in params.items() if k not in names}
    if extra:
        out["extra_body"] = {**extra, **(out.get("extra_body") or {})}
    return out



def bare_call(provider: str, workload: str, sdk_kwargs: dict[str, Any] | None = None) -> Callable[[], Any]:
    """One call through the official SDK directly (the same request ours sends), stream consumed."""
    from sik_llms.messages import normalize_messages

    ours = our_client(provider, workload)
    params = ours.build_request(normalize_messages(_messages()))
    http = httpx2.Client(transport=memory_transport(provider, workload))
    streamed = workload.startswith("stream")
    if provider == "openai":
        import openai

        sdk = openai.OpenAI(api_key="sk-bench-0000", max_retries=0, http_client=http, **(sdk_kwargs or {}))
        create = sdk.chat.completions.create
        kwargs = sdk_call_kwargs(create, params)
        if streamed:
            def call() -> str:
                parts = []
                for chunk in create(**kwargs):  # exhausting the stream closes the response
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
                return "".join(parts)
            return call
        return lambda: create(**kwargs)
    import anthropic

    sdk = anthropic.Anthropic(api_key="sk-bench-0000", max_retries=0, http_client=http, **(sdk_kwargs or {}))
    create = sdk.messages.create
    kwargs = sdk_call_kwargs(create, params)
    if streamed:
        def acall() -> str:
            parts = []
            for event in create(**kwargs):
                if event.type == "content_block_delta":
                    parts.append(event.delta.text)
            return "".join(parts)
        return acall
    return lambda: create(**kwargs)


def ours_call(provider: str, workload: str, providers: tuple[Any, Any] | None) -> Callable[[], Any]:
    """One ``client(messages)`` call; ``providers`` is the (tp, mp) override, None for the default."""
    from sik_llms.telemetry import use_providers
    from sik_llms.transport import use_transport

    client = our_client(provider, workload)
    transport = memory_transport(provider, workload)
    messages = _messages()
    if providers is None:
        def call() -> Any:
            with use_transport(sync=transport):
                return client(messages)
        return call
    tp, mp = providers

    def traced() -> Any:
        with use_transport(sync=transport), use_providers(tp, mp):
            return client(messages)
    return traced


# --------------------------------------------------------------------------- the worker process


@dataclass
class Exporters:
    """The telemetry pipeline a worker set up, so batches can clear and count it."""

    tracer_provider: Any = None
    meter_provider: Any = None
    span_exporter: Any = None
    spans: int = 0

    def drain(self) -> None:
        if self.span_exporter is not None:
            self.spans += len(self.span_exporter.get_finished_spans())
            self.span_exporter.clear()

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):  # best effort at exit
                    provider.shutdown()


def memory_exporters() -> Exporters:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    mp = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return Exporters(tp, mp, exporter)


def otlp_exporters(endpoint: str) -> Exporters:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    tp = TracerProvider()
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=2)))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=2),
                                           export_interval_millis=5000)
    mp = MeterProvider(metric_readers=[reader])
    return Exporters(tp, mp, None)


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


PEER_DISTS = {
    "openai_v2": ("opentelemetry-instrumentation-openai-v2", "opentelemetry-util-genai", "httpx"),
    "openllmetry": ("opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-anthropic"),
    "anthropic_sdk": ("anthropic",),
}


def build_callers(setup: str, endpoint: str | None) -> tuple[dict[tuple[str, str], Callable[[], Any]], Exporters, dict[str, Any]]:
    """(callers by (provider, workload), exporters, notes) for one setup, in this process.

    Raises ``LookupError(reason)`` when the setup cannot run here (a peer is not installed).
    """
    spec = SETUP_BY_NAME[setup]
    notes: dict[str, Any] = {}
    exporters = Exporters()
    callers: dict[tuple[str, str], Callable[[], Any]] = {}
    if setup in ("ours_on", "openai_v2", "openllmetry", "anthropic_sdk"):
        exporters = memory_exporters()
    elif setup == "ours_otlp":
        if not endpoint:
            raise LookupError("no collector endpoint given")
        exporters = otlp_exporters(endpoint)
    tp, mp = exporters.tracer_provider, exporters.meter_provider
    if setup == "openai_v2":
        try:
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as V2
        except ImportError as exc:
            if _version("opentelemetry-instrumentation-openai-v2"):
                raise LookupError(
                    f"opentelemetry-instrumentation-openai-v2 {_version('opentelemetry-instrumentation-openai-v2')} "
                    f"is installed but cannot be imported: {exc} (it imports httpx, which openai 3.x replaced "
                    "with httpx2, and opentelemetry.util.genai.instruments, gone since util-genai 1.2b0); "
                    "see 'sik-llms bench --help' for --peer-path") from None
            raise LookupError(f"opentelemetry-instrumentation-openai-v2 is not installed ({exc})") from None
        V2().instrument(tracer_provider=tp, meter_provider=mp)
        notes["content_capture"] = "off (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT unset)"
    elif setup == "openllmetry":
        try:
            from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop
        except ImportError as exc:
            raise LookupError(f"OpenLLMetry's instrumentations are not installed ({exc})") from None
        Traceloop().instrument(tracer_provider=tp, meter_provider=mp)
        AnthropicInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
        notes["content_capture"] = f"TRACELOOP_TRACE_CONTENT={os.environ.get('TRACELOOP_TRACE_CONTENT', 'unset (default: on)')}"
    for provider in spec.providers:
        for workload in WORKLOADS:
            key = (provider, workload)
            if setup in ("bare", "openai_v2", "openllmetry"):
                callers[key] = bare_call(provider, workload)
            elif setup == "anthropic_sdk":
                callers[key] = bare_call(provider, workload, {"open_telemetry": {"tracer_provider": tp}})
            elif setup == "ours_off":
                callers[key] = ours_call(provider, workload, None)
            else:
                callers[key] = ours_call(provider, workload, (tp, mp))
    notes["versions"] = {d: _version(d) for d in PEER_DISTS.get(setup, ())}
    return callers, exporters, notes


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:  # pragma: no cover - not Linux
        return 0


def _maxrss_kb() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_batch(call: Callable[[], Any], calls: int) -> dict[str, float]:
    """Wall and CPU (this process, all threads) nanoseconds for ``calls`` calls."""
    perf, cpu = time.perf_counter_ns, time.process_time_ns
    w0, c0 = perf(), cpu()
    for _ in range(calls):
        call()
    w1, c1 = perf(), cpu()
    return {"wall_ns": w1 - w0, "cpu_ns": c1 - c0}


def run_memory(call: Callable[[], Any], calls: int, exporters: Exporters) -> dict[str, int]:
    """Peak and current RSS growth over ``calls`` calls after as many warm-up calls (at most 200;
    in-memory spans cleared every 100), so first-use allocations are not counted as growth."""
    import gc

    for i in range(min(calls, 200)):
        call()
        if i % 100 == 99:
            exporters.drain()
    exporters.drain()
    gc.collect()
    peak0, rss0 = _maxrss_kb(), _rss_kb()
    for i in range(calls):
        call()
        if i % 100 == 99:
            exporters.drain()
    exporters.drain()
    gc.collect()
    return {"calls": calls, "peak_rss_growth_kb": _maxrss_kb() - peak0, "rss_growth_kb": _rss_kb() - rss0}


def check_call(setup: str, key: tuple[str, str], call: Callable[[], Any], exporters: Exporters) -> str | None:
    """Why this caller is not measuring what it claims, or None (answer right, spans made)."""
    exporters.drain()
    before = exporters.spans
    result = call()
    exporters.drain()
    text = getattr(result, "response", None) if setup.startswith("ours") else None
    if setup.startswith("ours") and key[1] != "tool" and not (text and text.startswith(WORD)):
        return f"unexpected answer {result!r:.80}"
    if setup.startswith("ours") and key[1] == "tool" and not getattr(result, "tool_predictions", None):
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
        callers, exporters, notes = build_callers(setup, endpoint)
    except LookupError as exc:
        send({"skipped": str(exc)})
        return 0
    broken: dict[str, str] = {}
    for key, call in callers.items():
        for _ in range(3):  # warm up: imports, lazily built SDK clients, caches
            call()
        problem = check_call(setup, key, call, exporters)
        if problem:
            broken[f"{key[0]}/{key[1]}"] = problem
    send({"ready": True, "notes": notes, "broken": broken})
    total = 4 * len(callers)  # warm-up and check calls made spans too
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "quit":
            break
        call = callers[(req["provider"], req["workload"])]
        total += int(req["calls"])
        if op == "run":
            res: dict[str, Any] = run_batch(call, int(req["calls"]))
            exporters.drain()
        else:
            res = run_memory(call, int(req["calls"]), exporters)
            total += min(int(req["calls"]), 200)  # its warm-up
        send(res)
    exporters.shutdown()
    send({"done": True, "spans": exporters.spans, "calls": total})
    return 0


# --------------------------------------------------------------------------- the parent


@dataclass
class Worker:
    """A running worker subprocess for one setup."""

    setup: Setup
    proc: subprocess.Popen[str]
    ready: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def ask(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.setup.name} died (exit {self.proc.poll()})")
        return json.loads(line)

    def close(self) -> dict[str, Any]:
        if self.proc.poll() is not None:
            return {}
        try:
            done = self.ask({"op": "quit"}) if self.skipped is None else {}
        except (RuntimeError, BrokenPipeError, ValueError):
            done = {}
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return done


def start_worker(setup: Setup, endpoint: str | None, peer_path: str | None = None) -> Worker:
    """Start one setup's worker; ``peer_path`` is prepended to a peer worker's PYTHONPATH."""
    cmd = [sys.executable, "-m", "harness.bench", "worker", setup.name]
    if endpoint:
        cmd += ["--endpoint", endpoint]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for var in ("OTEL_SDK_DISABLED", "OTEL_SEMCONV_STABILITY_OPT_IN", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"):
        env.pop(var, None)  # every setup runs with its defaults
    if peer_path and setup.peer:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (peer_path, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return Worker(setup, proc)


def _await_ready(worker: Worker, timeout: float = 120.0) -> None:
    assert worker.proc.stdout is not None
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(worker.proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        worker.skipped = f"worker did not start within {timeout:.0f} s"
        worker.proc.kill()
        return
    line = worker.proc.stdout.readline()
    if not line:
        worker.skipped = f"worker exited during setup (exit {worker.proc.wait()})"
        return
    msg = json.loads(line)
    if "skipped" in msg:
        worker.skipped = msg["skipped"]
    else:
        worker.ready = msg


@dataclass
class BenchConfig:
    """How long to measure: rounds of batches, each batch about ``batch_ms`` of bare-SDK time."""

    rounds: int = 15
    batch_ms: float = 40.0
    memory_calls: int = 10_000
    setups: tuple[str, ...] = tuple(s.name for s in SETUPS)
    providers: tuple[str, ...] = PROVIDERS
    workloads: tuple[str, ...] = WORKLOADS
    seed: int = 0
    #: extra import path for peer workers only (e.g. ``httpx``, which openai-v2 imports)
    peer_path: str | None = None

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(rounds=3, batch_ms=8.0, memory_calls=100)


def _quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    if len(values) >= 2:
        q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = med = q3 = values[0]
    return {"median": med, "q1": q1, "q3": q3, "iqr": q3 - q1, "min": values[0], "max": values[-1]}


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def versions() -> dict[str, str | None]:
    dists = ("sik-llms", "openai", "anthropic", "httpx2", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http",
             "opentelemetry-instrumentation-openai-v2", "opentelemetry-instrumentation-openai",
             "opentelemetry-instrumentation-anthropic")
    return {d: _version(d) for d in dists}


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Measure every setup in ``cfg`` (one worker process each) and return the report dict."""
    from harness.collector import Collector

    say = progress or (lambda _m: None)
    rng = random.Random(cfg.seed)
    setups = [SETUP_BY_NAME[n] for n in cfg.setups]
    if "bare" not in cfg.setups:
        setups.insert(0, SETUP_BY_NAME["bare"])  # every ratio needs it
    collector = Collector().start()
    workers: list[Worker] = []
    started = time.perf_counter()
    try:
        say(f"starting {len(setups)} worker processes ...")
        workers = [start_worker(s, collector.endpoint, cfg.peer_path) for s in setups]
        for w in workers:
            _await_ready(w)
            say(f"  {w.setup.name}: " + (f"skipped: {w.skipped}" if w.skipped else "ready"))
        live = [w for w in workers if w.skipped is None]
        bare = next(w for w in live if w.setup.name == "bare")
        cells = [(p, wl) for p in cfg.providers for wl in cfg.workloads]
        # calibration: the same number of calls per batch for every setup of a cell
        batch: dict[tuple[str, str], int] = {}
        for cell in cells:
            probe = bare.ask({"op": "run", "provider": cell[0], "workload": cell[1], "calls": 20})
            per_call_ms = probe["wall_ns"] / 20 / 1e6
            batch[cell] = max(3, int(cfg.batch_ms / per_call_ms))
        # memory first, while each worker's peak RSS is still its warm-up peak
        memory = []
        if cfg.memory_calls:
            for w in live:
                for p in w.setup.providers:
                    if p not in cfg.providers:
                        continue
                    say(f"memory: {w.setup.name} / {p}: {cfg.memory_calls} calls ...")
                    res = w.ask({"op": "mem", "provider": p, "workload": "answer", "calls": cfg.memory_calls})
                    memory.append({"setup": w.setup.name, "provider": p, "workload": "answer", **res})
        samples: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        for r in range(cfg.rounds):
            say(f"round {r + 1}/{cfg.rounds}")
            for cell in cells:
                order = [w for w in live if cell[0] in w.setup.providers]
                rng.shuffle(order)
                n = batch[cell]
                for w in order:
                    res = w.ask({"op": "run", "provider": cell[0], "workload": cell[1], "calls": n})
                    samples.setdefault((w.setup.name, *cell), []).append(
                        (res["wall_ns"] / n / 1000.0, res["cpu_ns"] / n / 1000.0))
        finals = {w.setup.name: w.close() for w in live}
        time.sleep(0.2)
        received = len(collector.spans())
    finally:
        for w in workers:
            w.close()
        collector.stop()
    report = _assemble(cfg, setups, workers, samples, batch, memory, finals, received)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _assemble(cfg: BenchConfig, setups: list[Setup], workers: list[Worker],
              samples: dict[tuple[str, str, str], list[tuple[float, float]]], batch: dict[tuple[str, str], int],
              memory: list[dict[str, Any]], finals: dict[str, dict[str, Any]], received: int) -> dict[str, Any]:
    by_name = {w.setup.name: w for w in workers}
    rows: list[dict[str, Any]] = []
    stats: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in cfg.providers:
        for wl in cfg.workloads:
            for s in setups:
                if p not in s.providers:
                    continue
                w = by_name[s.name]
                row: dict[str, Any] = {"provider": p, "workload": wl, "setup": s.name, "label": s.label, "peer": s.peer}
                broken = (w.ready.get("broken") or {}).get(f"{p}/{wl}")
                if w.skipped is not None or broken:
                    row.update(status="skipped", reason=w.skipped or broken)
                    rows.append(row)
                    continue
                got = samples[(s.name, p, wl)]
                wall = _quantiles([g[0] for g in got])
                cpu = _quantiles([g[1] for g in got])
                stats[(s.name, p, wl)] = {"wall": wall, "cpu": cpu}
                row.update(status="ok", calls_per_sample=batch[(p, wl)], samples=len(got), wall_us=wall, cpu_us=cpu)
                rows.append(row)
    for row in rows:
        base = stats.get(("bare", row["provider"], row["workload"]))
        if row["status"] != "ok" or base is None:
            continue
        row["overhead_us"] = row["wall_us"]["median"] - base["wall"]["median"]
        row["ratio"] = row["wall_us"]["median"] / base["wall"]["median"]
        row["cpu_overhead_us"] = row["cpu_us"]["median"] - base["cpu"]["median"]
        # What the instrumentation itself adds, over the same code untraced: ours over our
        # telemetry-off client, a peer over the bare SDK it instruments.
        own = stats.get((TELEMETRY_BASE.get(row["setup"], ""), row["provider"], row["workload"]))
        if own is not None:
            row["telemetry_us"] = row["wall_us"]["median"] - own["wall"]["median"]
            row["telemetry_cpu_us"] = row["cpu_us"]["median"] - own["cpu"]["median"]
    per_chunk = []
    if {"stream10", "stream100"} <= set(cfg.workloads):
        for (name, p, wl), st in stats.items():
            if wl != "stream100" or (name, p, "stream10") not in stats:
                continue
            short = stats[(name, p, "stream10")]
            per_chunk.append({"setup": name, "provider": p,
                              "wall_us_per_chunk": (st["wall"]["median"] - short["wall"]["median"]) / 90,
                              "cpu_us_per_chunk": (st["cpu"]["median"] - short["cpu"]["median"]) / 90})
    on, otlp = finals.get("ours_on", {}), finals.get("ours_otlp", {})
    spans_per_call = on["spans"] / on["calls"] if on.get("calls") else None
    report: dict[str, Any] = {
        "machine": machine_info(),
        "versions": versions(),
        "config": {"rounds": cfg.rounds, "batch_ms": cfg.batch_ms, "memory_calls": cfg.memory_calls,
                   "providers": list(cfg.providers), "workloads": list(cfg.workloads)},
        "setups": [{"name": s.name, "label": s.label, "providers": list(s.providers), "peer": s.peer,
                    "status": "skipped" if by_name[s.name].skipped else "ok",
                    "reason": by_name[s.name].skipped, "notes": by_name[s.name].ready.get("notes", {}),
                    "spans_per_call": (round(finals[s.name]["spans"] / finals[s.name]["calls"], 2)
                                       if finals.get(s.name, {}).get("calls") and s.name != "ours_otlp" else None)}
                   for s in setups],
        "results": rows,
        "per_chunk": per_chunk,
        "memory": memory,
        "otlp": {"calls": otlp.get("calls"), "spans_per_call": spans_per_call,
                 "spans_expected": round(otlp["calls"] * spans_per_call) if otlp.get("calls") and spans_per_call else None,
                 "collector_spans_received": received,
                 "note": "BatchSpanProcessor defaults (queue 2048, batch 512, 5 s); a tight loop can outrun one "
                         "export thread, and then the queue drops spans (never blocking the call)"},
        "checks": _checks(rows, per_chunk),
    }
    return report


def _checks(rows: list[dict[str, Any]], per_chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The targets, as measured in this run, on wall and on CPU time (reported, never asserted)."""
    ok = {(r["setup"], r["provider"], r["workload"]): r for r in rows if r["status"] == "ok" and "overhead_us" in r}
    base = {(r["provider"], r["workload"]): r for r in rows if r["status"] == "ok" and r["setup"] == "bare"}
    checks = []
    for (setup, p, wl), r in ok.items():
        if setup == "ours_off":
            b = base[(p, wl)]
            pct = (r["ratio"] - 1) * 100
            cpct = (r["cpu_us"]["median"] / b["cpu_us"]["median"] - 1) * 100
            checks.append({"check": "telemetry off within 2% of the bare SDK", "provider": p, "workload": wl,
                           "passed": pct <= 2.0, "passed_cpu": cpct <= 2.0,
                           "detail": f"wall {pct:+.1f}% ({r['overhead_us']:+.1f} µs), CPU {cpct:+.1f}% "
                                     f"({r['cpu_overhead_us']:+.1f} µs)"})
        if setup == "ours_on":
            for (s2, p2, w2), peer in ok.items():
                if p2 != p or w2 != wl or not peer["peer"]:
                    continue
                checks.append({"check": f"telemetry-on overhead below {s2}", "provider": p, "workload": wl,
                               "passed": r["overhead_us"] < peer["overhead_us"],
                               "passed_cpu": r["cpu_overhead_us"] < peer["cpu_overhead_us"],
                               "detail": f"wall {r['overhead_us']:+.1f} vs {peer['overhead_us']:+.1f} µs, "
                                         f"CPU {r['cpu_overhead_us']:+.1f} vs {peer['cpu_overhead_us']:+.1f} µs"})
                if "telemetry_us" in r and "telemetry_us" in peer:
                    checks.append({"check": f"instrumentation alone cheaper than {s2}", "provider": p, "workload": wl,
                                   "passed": r["telemetry_us"] < peer["telemetry_us"],
                                   "passed_cpu": r["telemetry_cpu_us"] < peer["telemetry_cpu_us"],
                                   "detail": f"wall {r['telemetry_us']:+.1f} vs {peer['telemetry_us']:+.1f} µs, "
                                             f"CPU {r['telemetry_cpu_us']:+.1f} vs {peer['telemetry_cpu_us']:+.1f} µs "
                                             "(ours over our untraced client; the peer over the bare SDK)"})
    chunk = {(c["setup"], c["provider"]): c for c in per_chunk}
    for (setup, p), c in chunk.items():
        if setup == "ours_on" and ("ours_off", p) in chunk:
            off = chunk[("ours_off", p)]
            checks.append({"check": "per-chunk cost does not grow with telemetry on", "provider": p, "workload": "stream",
                           "passed": c["wall_us_per_chunk"] <= off["wall_us_per_chunk"] * 1.10 + 0.5,
                           "passed_cpu": c["cpu_us_per_chunk"] <= off["cpu_us_per_chunk"] * 1.10 + 0.5,
                           "detail": f"on {c['wall_us_per_chunk']:.2f} vs off {off['wall_us_per_chunk']:.2f} µs/chunk wall, "
                                     f"{c['cpu_us_per_chunk']:.2f} vs {off['cpu_us_per_chunk']:.2f} CPU "
                                     "(met: within 10% + 0.5 µs)"})
    return checks


# --------------------------------------------------------------------------- rendering


def _fmt(row: dict[str, Any]) -> list[str]:
    if row["status"] != "ok":
        return [row["provider"], WORKLOAD_LABELS[row["workload"]], row["label"], f"skipped: {row['reason']}", "", "", "", "", ""]
    wall, cpu = row["wall_us"], row["cpu_us"]
    over = row.get("overhead_us")
    ratio = row.get("ratio")
    telemetry = row.get("telemetry_us")
    return [row["provider"], WORKLOAD_LABELS[row["workload"]], row["label"],
            f"{wall['median']:.1f} ± {wall['iqr'] / 2:.1f}", f"{cpu['median']:.1f} ± {cpu['iqr'] / 2:.1f}",
            "—" if row["setup"] == "bare" else f"{over:+.1f}",
            "—" if row["setup"] == "bare" else f"{row['cpu_overhead_us']:+.1f}",
            "—" if row["setup"] == "bare" else f"{ratio:.3f}",
            "—" if telemetry is None else f"{telemetry:+.1f}"]


HEADERS = ["provider", "workload", "setup", "wall µs/call (median ± IQR/2)", "CPU µs/call", "overhead µs (wall)",
           "overhead µs (CPU)", "ratio (wall)", "instrumentation alone µs (wall)"]


def markdown(report: dict[str, Any]) -> str:
    """The results as a markdown table, then per-chunk, memory, checks."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(_fmt(r)) + " |" for r in report["results"]]
    if report["per_chunk"]:
        lines += ["", "| provider | setup | wall µs per chunk | CPU µs per chunk |", "|---|---|---|---|"]
        lines += [f"| {c['provider']} | {c['setup']} | {c['wall_us_per_chunk']:.2f} | {c['cpu_us_per_chunk']:.2f} |"
                  for c in report["per_chunk"]]
    if report["memory"]:
        lines += ["", "| provider | setup | calls | peak RSS growth | RSS growth |", "|---|---|---|---|---|"]
        lines += [f"| {m['provider']} | {m['setup']} | {m['calls']} | {m['peak_rss_growth_kb']} KiB | {m['rss_growth_kb']} KiB |"
                  for m in report["memory"]]
    if report["checks"]:
        lines += ["", "| target | provider | workload | met (wall) | met (CPU) | measured |", "|---|---|---|---|---|---|"]
        lines += [f"| {c['check']} | {c['provider']} | {c['workload']} | {'yes' if c['passed'] else 'NO'} | "
                  f"{'yes' if c['passed_cpu'] else 'NO'} | {c['detail']} |" for c in report["checks"]]
    made = [f"{s['name']} {s['spans_per_call']:g}" for s in report.get("setups", []) if s.get("spans_per_call")]
    if made:
        lines += ["", "Spans per call (in-memory export): " + ", ".join(made) + "."]
    otlp = report.get("otlp") or {}
    if otlp.get("calls"):
        lines += ["", f"OTLP/HTTP batch export: {otlp['calls']} calls, about {otlp['spans_expected']} spans made, "
                      f"{otlp['collector_spans_received']} received by the loopback collector "
                      "(BatchSpanProcessor defaults: a tight loop outruns one export thread and the queue drops the rest)."]
    return "\n".join(lines)


def print_rich(report: dict[str, Any]) -> None:
    """The results as a compact rich table (short setup names), then the other tables as markdown."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="µs per call against zero-latency in-memory replay (median, ± IQR/2)")
    for h in ("provider", "workload", "setup", "wall µs", "CPU µs", "Δ wall", "Δ CPU", "ratio", "instr. alone"):
        table.add_column(h, justify="left" if h in ("provider", "workload", "setup") else "right")
    last = None
    for r in report["results"]:
        if last is not None and (r["provider"], r["workload"]) != last:
            table.add_section()
        last = (r["provider"], r["workload"])
        if r["status"] != "ok":
            table.add_row(r["provider"], r["workload"], r["setup"], f"skipped: {r['reason']}", style="dim")
            continue
        bare = r["setup"] == "bare"
        table.add_row(
            r["provider"], r["workload"], r["setup"],
            f"{r['wall_us']['median']:.1f} ± {r['wall_us']['iqr'] / 2:.1f}",
            f"{r['cpu_us']['median']:.1f} ± {r['cpu_us']['iqr'] / 2:.1f}",
            "—" if bare else f"{r['overhead_us']:+.1f}",
            "—" if bare else f"{r['cpu_overhead_us']:+.1f}",
            "—" if bare else f"{r['ratio']:.3f}",
            "—" if r.get("telemetry_us") is None else f"{r['telemetry_us']:+.1f}",
            style="bold" if r["setup"].startswith("ours") else None,
        )
    console.print(table)
    console.print("setups: " + "; ".join(f"{s['name']} = {s['label']}" for s in report["setups"]), highlight=False)
    rest = markdown({**report, "results": []}).split("\n", 2)[2]
    console.print(rest, markup=False, highlight=False)


# --------------------------------------------------------------------------- profiling


def profile_ours(provider: str = "openai", workload: str = "stream100", calls: int = 2000, top: int = 25) -> str:
    """cProfile of sik_llms with in-memory telemetry on, in this process: the top functions by own time."""
    import cProfile
    import io
    import pstats

    exporters = memory_exporters()
    call = ours_call(provider, workload, (exporters.tracer_provider, exporters.meter_provider))
    for _ in range(20):
        call()
    exporters.drain()
    prof = cProfile.Profile()
    prof.enable()
    for i in range(calls):
        call()
        if i % 100 == 99:
            exporters.drain()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    return buf.getvalue()


if __name__ == "__main__":  # the worker entry point: python -m harness.bench worker SETUP [--endpoint URL]
    if len(sys.argv) >= 3 and sys.argv[1] == "worker":
        ep = sys.argv[sys.argv.index("--endpoint") + 1] if "--endpoint" in sys.argv else None
        sys.exit(worker_main(sys.argv[2], ep))
    print("usage: python -m harness.bench worker SETUP [--endpoint URL]  (or: sik-llms bench)", file=sys.stderr)
    sys.exit(2)
