"""Every instrumentation on the same recording: sik_llms and the installed peers, side by side.

One recorded interaction is replayed offline through sik_llms and through the official SDK
under each peer instrumentation (opentelemetry-instrumentation-openai-v2, OpenLLMetry, the
Anthropic SDK's own tracing). Each runs in its own process (peers patch the SDKs globally),
with the same settings: content capture on (``SPAN_AND_EVENT``, ``TRACELOOP_TRACE_CONTENT``)
and GenAI names opted in. What each emitted is captured in memory and held against the
conventions by ``harness.semconv.check``.

Worker: ``python -m harness.semconv.peers PEER`` reads ``[[cassette, index], ...]`` as JSON on
stdin and prints one JSON object per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PEERS: dict[str, str] = {
    "sik_llms": "sik_llms (ours)",
    "openai_v2": "opentelemetry-instrumentation-openai-v2",
    "openllmetry": "OpenLLMetry (opentelemetry-instrumentation-openai / -anthropic)",
    "anthropic_sdk": "Anthropic SDK's own tracing",
}
#: which providers each peer instruments
PEER_PROVIDERS = {
    "sik_llms": ("openai", "anthropic"),
    "openai_v2": ("openai",),
    "openllmetry": ("openai", "anthropic"),
    "anthropic_sdk": ("anthropic",),
}
#: what the side-by-side trees show of each span
TREE_ATTRIBUTES = (
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.usage.input_tokens",
)
SETTINGS = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
    "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
    "TRACELOOP_TRACE_CONTENT": "true",
}


@dataclass
class PeerRun:
    """What one instrumentation emitted for one recording, and how it conforms."""

    peer: str
    status: str  # "ok", "skipped" (not installed / not for this provider) or "failed"
    reason: str = ""
    tree: str = ""
    attributes: list[str] = field(default_factory=list)  # every attribute key it emitted
    violations: dict[str, int] = field(default_factory=dict)  # rule -> count
    examples: list[str] = field(default_factory=list)  # one rendered violation per rule

    @property
    def total(self) -> int:
        return sum(self.violations.values())


def _route(uri: str) -> tuple[str, str, str]:
    """(provider, api, SDK base URL) of a recorded request URL."""
    parts = urlsplit(uri)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    for suffix, provider, api in (("/chat/completions", "openai", "chat"), ("/responses", "openai", "responses"),
                                  ("/messages", "anthropic", "messages")):  # fmt: skip
        if path.endswith(suffix):
            base = origin + path[: -len(suffix)]
            if provider == "anthropic":
                base = base[: -len("/v1")] if base.endswith("/v1") else base
            return provider, api, base
    raise ValueError(f"{path or '/'} is not an LLM API this comparison replays")


def _providers(peer: str) -> tuple[Any, Any, Any, Any, Any, Any]:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import (
        Counter,
        Histogram,
        MeterProvider,
        ObservableCounter,
        UpDownCounter,
    )
    from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    # delta: each collection holds only what the last recording added
    delta = dict.fromkeys(
        (Counter, Histogram, ObservableCounter, UpDownCounter), AggregationTemporality.DELTA
    )
    spans, reader, logs = (
        InMemorySpanExporter(),
        InMemoryMetricReader(preferred_temporality=delta),
        InMemoryLogRecordExporter(),
    )
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    mp = MeterProvider(metric_readers=[reader])
    lp = LoggerProvider()
    lp.add_log_record_processor(SimpleLogRecordProcessor(logs))
    if peer != "sik_llms":  # peers read the globals; ours is given its providers per context
        from opentelemetry import _logs, metrics, trace

        trace.set_tracer_provider(tp)
        metrics.set_meter_provider(mp)
        _logs.set_logger_provider(lp)
    return tp, mp, lp, spans, reader, logs


def _instrument(peer: str, tp: Any, mp: Any, lp: Any) -> None:
    if peer == "openai_v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp, logger_provider=lp)
    elif peer == "openllmetry":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop

        Traceloop().instrument(tracer_provider=tp, meter_provider=mp)
        AnthropicInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)


def _sdk_call(
    provider: str,
    api: str,
    base: str,
    body: dict[str, Any],
    transport: Any,
    extra: dict[str, Any],
    beta: bool,
) -> None:
    import httpx2

    from harness.bench.calls import sdk_call_kwargs

    http = httpx2.Client(transport=transport)
    if provider == "openai":
        import openai

        sdk = openai.OpenAI(
            api_key="sk-replay-0000", base_url=base, max_retries=0, http_client=http, **extra
        )
        create = sdk.chat.completions.create if api == "chat" else sdk.responses.create
    else:
        import anthropic

        sdk = anthropic.Anthropic(
            api_key="sk-replay-0000", base_url=base, max_retries=0, http_client=http, **extra
        )
        create = sdk.beta.messages.create if beta else sdk.messages.create
    result = create(**sdk_call_kwargs(create, body))
    if body.get("stream"):
        for _ in result:  # consume the stream: instrumentations finish their spans at its end
            pass


class _Session:
    """One peer set up in this process, replaying recordings one after another."""

    def __init__(self, peer: str) -> None:
        os.environ.update(SETTINGS)
        self.peer = peer
        self.tp, self.mp, self.lp, self.spans, self.reader, self.logs = _providers(peer)
        self.problem = ""
        try:
            _instrument(peer, self.tp, self.mp, self.lp)
        except ImportError as exc:
            self.problem = f"not importable here: {exc}"

    def run(self, cassette: Path, index: int) -> PeerRun:
        if self.problem:
            return PeerRun(self.peer, "skipped", self.problem)
        self.spans.clear()
        self.logs.clear()
        self.reader.get_metrics_data()  # drop what an earlier recording left (delta temporality)
        try:
            return _replay(
                self.peer,
                cassette,
                index,
                self.tp,
                self.mp,
                self.lp,
                self.spans,
                self.reader,
                self.logs,
            )
        except Exception as exc:
            return PeerRun(self.peer, "failed", f"{type(exc).__name__}: {exc}"[:300])


def run_here(peer: str, cassette: Path, index: int) -> PeerRun:
    """Replay in this process with ``peer``'s instrumentation (the worker's job)."""
    return _Session(peer).run(cassette, index)


def _replay(
    peer: str,
    cassette: Path,
    index: int,
    tp: Any,
    mp: Any,
    lp: Any,
    spans: Any,
    reader: Any,
    logs: Any,
) -> PeerRun:
    import httpx2

    from harness.cassettes import load_cassette
    from harness.semconv.check import check
    from harness.spans.tree import build_tree

    recorded = load_cassette(cassette).interactions[index]
    provider, api, base = _route(recorded.request.uri)
    if provider not in PEER_PROVIDERS[peer]:
        return PeerRun(peer, "skipped", f"does not instrument {provider}")
    raw = recorded.request.body
    body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    response = recorded.response
    headers = {
        k.lower(): v[0]
        for k, v in response.headers.items()
        if v and k.lower() not in ("content-length", "transfer-encoding")
    }
    headers.setdefault(
        "content-type", "text/event-stream" if recorded.streamed else "application/json"
    )
    transport = httpx2.MockTransport(
        lambda _r: httpx2.Response(response.status, headers=headers, content=response.body)
    )
    try:
        if peer == "sik_llms":
            _run_ours(provider, recorded, body, transport, tp, mp, lp)
        else:
            extra = {"open_telemetry": {"tracer_provider": tp}} if peer == "anthropic_sdk" else {}
            try:
                _sdk_call(
                    provider, api, base, body, transport, extra, "beta=true" in recorded.request.uri
                )
            except Exception:  # recorded errors: the SDK raises, the spans stay
                if response.status < 400:
                    raise
    except Exception as exc:
        return PeerRun(peer, "failed", f"{type(exc).__name__}: {exc}"[:300])
    tp.force_flush()
    finished = spans.get_finished_spans()
    report = check(finished, reader, logs.get_finished_logs())
    keys = sorted({k for s in finished for k in (s.attributes or {})}
                  | {k for r in logs.get_finished_logs() for k in (r.log_record.attributes or {})})  # fmt: skip
    examples = {}
    for v in report.violations:
        examples.setdefault(v.rule, str(v))
    tree = build_tree(finished, attributes=TREE_ATTRIBUTES, durations=False).render()
    return PeerRun(
        peer,
        "ok",
        tree=tree,
        attributes=keys,
        violations=report.by_rule(),
        examples=list(examples.values()),
    )


def _run_ours(
    provider: str, recorded: Any, body: dict[str, Any], transport: Any, tp: Any, mp: Any, lp: Any
) -> None:
    from sik_llms.errors import LLMError
    from sik_llms.providers import anthropic, openai
    from sik_llms.telemetry import use_providers
    from sik_llms.transport import use_transport

    parts = urlsplit(recorded.request.uri)
    module = openai if provider == "openai" else anthropic
    client, messages = module.client_from_recorded_request(
        parts.path + (f"?{parts.query}" if parts.query else ""), body
    )
    with use_providers(tp, mp, lp), use_transport(sync=transport), suppress(LLMError):
        client(messages)


def run_in_subprocess(
    peer: str, targets: list[tuple[Path, int]], timeout: float = 600
) -> list[PeerRun]:
    """Each target replayed under ``peer`` in one fresh interpreter (peers patch SDKs
    globally, so each peer gets its own process); never raises."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACELOOP_"))}
    cmd = [sys.executable, "-m", "harness.semconv.peers", peer]
    given = json.dumps([[str(path), index] for path, index in targets])
    try:
        done = subprocess.run(
            cmd, input=given, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return [PeerRun(peer, "failed", f"timed out after {timeout:.0f} s") for _ in targets]
    runs = [
        PeerRun(**json.loads(line)) for line in done.stdout.splitlines() if line.startswith("{")
    ]
    if done.returncode != 0 or len(runs) != len(targets):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [
            PeerRun(peer, "failed", f"worker exited {done.returncode}: {tail}"[:300])
            for _ in targets
        ]
    return runs


def compare(cassette: Path, index: int = 0, peers: list[str] | None = None) -> list[PeerRun]:
    """Every peer (default: all of ``PEERS``) on one recorded interaction."""
    return [run_in_subprocess(p, [(Path(cassette), index)])[0] for p in (peers or list(PEERS))]


def side_by_side(runs: list[PeerRun], width: int = 60) -> str:
    """The runs' span trees in columns, headed by each peer's conformance count."""
    shown = [r for r in runs if r.status == "ok"]
    heads = [f"{r.peer}: {r.total} violation(s)" for r in shown]
    columns = [r.tree.splitlines() for r in shown]
    height = max((len(c) for c in columns), default=0)
    lines = ["  ".join(h[:width].ljust(width) for h in heads)]
    lines.append("  ".join("-" * width for _ in shown))
    for i in range(height):
        lines.append(
            "  ".join((c[i] if i < len(c) else "")[:width].ljust(width) for c in columns).rstrip()
        )
    for r in runs:
        if r.status != "ok":
            lines.append(f"{r.peer}: {r.status}: {r.reason}")
    return "\n".join(lines)


def _main(argv: list[str]) -> int:
    """Worker: ``PEER`` and a JSON list of [cassette, index] on stdin; one JSON line per run."""
    session = _Session(argv[0])
    for cassette, index in json.loads(sys.stdin.read()):
        print(json.dumps(vars(session.run(Path(cassette), int(index)))), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - the worker entry point
    sys.exit(_main(sys.argv[1:]))
