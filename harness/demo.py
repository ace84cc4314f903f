"""``sik-llms demo``: the guide's X-ray view, from real replayed calls, the same on every run.

The tour replays the project's cassettes (``cassettes/openai/*.yaml``, recorded by
``sik-llms record`` against the simulator's seeded latency model) through the instrumented
client and ReasoningAgent, on a virtual clock, with spans and metrics captured in memory:

1. the trip-planning request as the guide's X-ray tree (durations, tokens, cost per step;
   the agent's iterations and tool calls; the slowest step marked);
2. the metrics the guide lists, scraped by the real Prometheus exporter (names as Prometheus
   shows them), plus the guide's derived queries;
3. beyond the happy path: a 401 (``error=true``), a 429 answered on the retry (two
   ``http.request`` spans), and the guide's CostBasedSampler keeping an expensive call while
   dropping a cheap one;
4. where to look next.

Everything printed comes from the captured spans and metrics; nothing is typed in. The report
is built once as plain data (``--json`` prints it) and rendered as text (rich colour on a TTY),
or as a self-contained HTML waterfall (``harness.demo_html``). ``live=True`` runs the same tour
against the simulator in real time instead of replaying.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult

from harness.cassettes import suite
from harness.demo_tools import TRIP_QUESTION
from harness.spans.tree import SpanNode, build_tree
from sik_llms import telemetry
from sik_llms.telemetry import names as n

WIDTH = 80
PROVIDER = "openai"
Progress = Callable[[str], None]


# --------------------------------------------------------------------------- the guide's sampler


class GuideCostBasedSampler(Sampler):
    """The guide's ``CostBasedSampler``, as printed in "Sampling Strategies"."""

    def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                      attributes: Any = None, links: Any = None, trace_state: Any = None) -> SamplingResult:
        attributes = attributes or {}
        if "reasoning" in name.lower():
            return SamplingResult(Decision.RECORD_AND_SAMPLE)
        model = attributes.get("llm.model", "")
        if "gpt-4" in model or "claude-3-opus" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE)
        if "gpt-3.5" in model or "gpt-4o-mini" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 5 == 0 else Decision.DROP)

    def get_description(self) -> str:
        return "GuideCostBasedSampler"


class CostBasedSampler(GuideCostBasedSampler):
    """The guide's sampler with its one bug fixed: cheap models are checked first.

    As printed, ``"gpt-4" in "gpt-4o-mini"`` is true, so the cheap model is always kept.
    """

    def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                      attributes: Any = None, links: Any = None, trace_state: Any = None) -> SamplingResult:
        model = (attributes or {}).get("llm.model", "")
        if "gpt-3.5" in model or "gpt-4o-mini" in model or "haiku" in model:
            return SamplingResult(Decision.RECORD_AND_SAMPLE if trace_id % 10 == 0 else Decision.DROP)
        return super().should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "CostBasedSampler"


# --------------------------------------------------------------------------- running the calls


@dataclass
class Runner:
    """Runs suite calls either from cassettes (virtual clock) or against a live simulator."""

    live: bool
    cassettes: Path
    clock: Any = None
    targets: dict[str, suite.Target] | None = None
    progress: Progress = lambda _msg: None

    def target(self, provider: str, name: str) -> suite.Target:
        if self.live:
            assert self.targets is not None
            return self.targets[provider]
        from harness.cassettes import load_cassette

        meta = load_cassette(self.path(provider, name)).metadata.get(suite.SUITE_KEY) or {}
        base_url = meta.get("base_url") or suite.SIMULATOR_BASE_URLS[provider]
        return suite.Target(provider, base_url, suite.SIMULATOR_KEY)

    def path(self, provider: str, name: str) -> Path:
        return suite.cassette_path(self.cassettes, provider, name)

    @contextmanager
    def call(self, provider: str, name: str) -> Iterator[suite.Target]:
        """The block's requests are answered by the cassette (replay) or the simulator (live)."""
        self.progress(f"{'calling the simulator' if self.live else 'replaying'}: {provider}/{name}")
        target = self.target(provider, name)
        if self.live:
            yield target
            return
        from harness.cassettes import use_cassette

        path = self.path(provider, name)
        if not path.is_file():
            raise FileNotFoundError(f"cassette {path} is missing: run 'sik-llms record' to rebuild the library")
        with use_cassette(path, mode="none", timing="virtual", clock=self.clock, unused="error"):
            yield target


def _otlp_endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v1/traces") else f"{url}/v1/traces"


def run_tour(*, live: bool = False, cassettes: Path | None = None, otlp: str | None = None,
             progress: Progress = lambda _msg: None) -> dict[str, Any]:
    """Run the whole tour and return the report (plain, JSON-ready data)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry

    from harness.spans.capture import capture
    from harness.clock import VirtualClock

    cassettes = Path(cassettes or suite.CASSETTE_ROOT)
    registry = CollectorRegistry()
    prom = PrometheusMetricReader(registry=registry, disable_target_info=True)
    meter_provider = MeterProvider(metric_readers=[prom, InMemoryMetricReader()], shutdown_on_exit=False)
    clock = None if live else VirtualClock()
    report: dict[str, Any] = {"title": "sik-llms demo: the guide's X-ray vision, from real calls",
                              "mode": "live" if live else "replay"}
    with ExitStack() as stack:
        targets = None
        if live:
            targets, _sim = stack.enter_context(_live_targets())
        runner = Runner(live=live, cassettes=cassettes, clock=clock, targets=targets, progress=progress)
        cap = stack.enter_context(capture(clock=clock if clock is not None else None))
        batch = None
        if otlp:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            batch = BatchSpanProcessor(OTLPSpanExporter(endpoint=_otlp_endpoint(otlp), timeout=2),
                                       schedule_delay_millis=200, export_timeout_millis=2000)
            cap.tracer_provider.add_span_processor(batch)
        with telemetry.use_providers(cap.tracer_provider, meter_provider):
            trip_answer = _trip(runner, cap)
            error_node = _error_401(runner, cap)
            retry_node = _retry_429(runner, cap)
        spans = cap.spans()
        tree = build_tree(spans, order=cap.start_order())
        trip_root = next(r for r in tree.roots if r.name == "trip_planning.request")
        report["trip"] = _trip_section(trip_root, trip_answer)
        report["metrics"] = _metrics_section(registry)
        report["scenarios"] = [
            _error_section(tree, error_node),
            _retry_section(tree, retry_node),
            _sampler_section(runner, progress),
        ]
        if batch is not None:
            flushed = batch.force_flush(timeout_millis=3000)
            batch.shutdown()
            report["otlp"] = {"endpoint": _otlp_endpoint(otlp or ""), "spans": len(spans), "flushed": bool(flushed)}
    report["next"] = NEXT_STEPS
    return report


@contextmanager
def _live_targets() -> Iterator[tuple[dict[str, suite.Target], Any]]:
    from harness.simulator import Simulator

    with Simulator(scenario=suite.SCENARIO, seed=7) as sim:
        bases = {"openai": sim.openai_base_url, "anthropic": sim.anthropic_base_url}
        yield {p: suite.Target(p, url, suite.SIMULATOR_KEY) for p, url in bases.items()}, sim


def _trip(runner: Runner, cap: Any) -> str:
    tracer = cap.tracer("trip-planner")
    with runner.call(PROVIDER, "agent_trip") as target:
        with tracer.start_as_current_span("trip_planning.request") as root:
            root.set_attribute("user.question", TRIP_QUESTION)
            agent = suite.make_trip_agent(target)
            response = agent([{"role": "user", "content": TRIP_QUESTION}])
            root.set_attribute("response.length", len(response.response))
    return response.response


def _error_401(runner: Runner, cap: Any) -> str:
    with runner.call(PROVIDER, "error_401") as target:
        outcome = suite.error_401(target)
    return type(outcome.error).__name__ if outcome.error else "no error"


def _retry_429(runner: Runner, cap: Any) -> str:
    with runner.call(PROVIDER, "retry_429") as target:
        outcome = suite.retry_429(target)
    return outcome.summary


# --------------------------------------------------------------------------- tree -> data


LABELS: dict[str, str] = {
    "trip_planning.request": "Trip Planning Request",
    n.SPAN_AGENT: "ReasoningAgent.stream",
    n.SPAN_FINAL_ANSWER: "Final answer",
}


def _label(node: SpanNode) -> str:
    a = node.attributes
    if node.name in LABELS:
        return LABELS[node.name]
    if m := re.fullmatch(r"reasoning\.thinking\.iteration_(\d+)", node.name):
        action = a.get(n.REASONING_NEXT_ACTION)
        return f"Thinking iteration {m.group(1)}" + (f" -> {action}" if action else "")
    if node.name.startswith("reasoning.tool."):
        return f"Tool: {node.name.removeprefix('reasoning.tool.')}"
    if node.name == n.SPAN_REQUEST:
        return f"llm.request {a.get(n.LLM_MODEL, '')}".strip()
    if node.name == n.SPAN_HTTP:
        status = a.get(n.HTTP_RESPONSE_STATUS_CODE, "-")
        resend = a.get(n.HTTP_RESEND_COUNT)
        return f"http.request {status}" + (f" (resend {resend})" if resend else "")
    return node.name


def _llm_totals(node: SpanNode) -> tuple[int, int, float]:
    """Tokens in / out and cost of every llm.request at or below ``node`` (counted once)."""
    if node.name == n.SPAN_REQUEST:
        a = node.attributes
        return int(a.get(n.LLM_TOKENS_INPUT, 0)), int(a.get(n.LLM_TOKENS_OUTPUT, 0)), float(a.get(n.LLM_COST_TOTAL, 0.0))
    tin = tout = 0
    cost = 0.0
    for child in node.children:
        i, o, c = _llm_totals(child)
        tin, tout, cost = tin + i, tout + o, cost + c
    return tin, tout, cost


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def node_data(node: SpanNode, t0: int) -> dict[str, Any]:
    """One span as report data (times in seconds from the trace start)."""
    tin, tout, cost = _llm_totals(node)
    return {
        "name": node.name,
        "label": _label(node),
        "kind": node.kind,
        "status": "error" if node.status == "ERROR" else "ok",
        "start_s": round((node.start_ns - t0) / 1e9, 6),
        "duration_s": round(node.duration_seconds, 6),
        "tokens_in": tin,
        "tokens_out": tout,
        "cost_usd": round(cost, 8),
        "slowest": False,
        "attributes": {k: _plain(v) for k, v in sorted(node.attributes.items())},
        "children": [node_data(c, t0) for c in node.children],
    }


def _walk(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield data
    for child in data["children"]:
        yield from _walk(child)


def _trip_section(root: SpanNode, answer: str) -> dict[str, Any]:
    tree = node_data(root, root.start_ns)
    agent = next(d for d in _walk(tree) if d["name"] == n.SPAN_AGENT)
    steps = agent["children"]
    if steps:
        max(steps, key=lambda s: s["duration_s"])["slowest"] = True
    a = agent["attributes"]
    llm_calls = sum(1 for d in _walk(tree) if d["name"] == n.SPAN_REQUEST)
    http_calls = sum(1 for d in _walk(tree) if d["name"] == n.SPAN_HTTP)
    slowest = next((s for s in steps if s["slowest"]), None)
    costliest = max(steps, key=lambda s: s["cost_usd"]) if steps else None
    return {
        "question": TRIP_QUESTION,
        "answer_first_line": answer.strip().splitlines()[0] if answer.strip() else "",
        "summary": {
            "duration_s": tree["duration_s"],
            "cost_usd": tree["cost_usd"],
            "tokens_in": tree["tokens_in"],
            "tokens_out": tree["tokens_out"],
            "llm_calls": llm_calls,
            "http_requests": http_calls,
            "reasoning_effort": a.get(n.LLM_REASONING_EFFORT),
            "iterations": a.get(n.LLM_REASONING_ITERATIONS_TOTAL),
            "tool_calls": a.get(n.LLM_REASONING_TOOL_CALLS_TOTAL),
            "slowest_step": slowest["label"] if slowest else None,
            "slowest_step_s": slowest["duration_s"] if slowest else None,
            "costliest_step": costliest["label"] if costliest else None,
            "costliest_step_usd": costliest["cost_usd"] if costliest else None,
        },
        "tree": tree,
    }


def _scenario_root(tree: Any, predicate: Callable[[SpanNode], bool]) -> SpanNode:
    found = [r for r in tree.roots if r.name == n.SPAN_REQUEST and predicate(r)]
    if not found:
        raise LookupError("the scenario's llm.request span was not captured")
    return found[-1]


def _error_section(tree: Any, error_name: str) -> dict[str, Any]:
    root = _scenario_root(tree, lambda r: r.status == "ERROR")
    data = node_data(root, root.start_ns)
    a = root.attributes
    return {
        "id": "error_401",
        "title": "A failing call: 401, found by the guide's error=true query",
        "facts": {
            "exception": error_name,
            "status": root.status,
            "error.type": a.get(n.ERROR_TYPE),
            "error=true": root.status == "ERROR",
            "exception_event": any(e.name == "exception" for e in root.events),
            "http.response.status_code": next(
                (c.attributes.get(n.HTTP_RESPONSE_STATUS_CODE) for c in _nodes(root) if c.name == n.SPAN_HTTP), None),
        },
        "tree": data,
    }


def _nodes(node: SpanNode) -> Iterator[SpanNode]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def _retry_section(tree: Any, answer: str) -> dict[str, Any]:
    root = _scenario_root(tree, lambda r: sum(1 for c in _nodes(r) if c.name == n.SPAN_HTTP) >= 2)
    http = [c for c in _nodes(root) if c.name == n.SPAN_HTTP]
    return {
        "id": "retry_429",
        "title": "Rate limited, then retried: one call, two http.request spans",
        "facts": {
            "answer": answer,
            "http_requests": len(http),
            "statuses": [c.attributes.get(n.HTTP_RESPONSE_STATUS_CODE) for c in http],
            "resend_counts": [c.attributes.get(n.HTTP_RESEND_COUNT, 0) for c in http],
            "call_status": root.status,
        },
        "tree": node_data(root, root.start_ns),
    }


def _sampler_section(runner: Runner, progress: Progress) -> dict[str, Any]:
    """Expensive and cheap calls through the guide's sampler (as printed, and fixed)."""
    from harness.spans.capture import IncrementalIdGenerator

    calls = [("expensive", "gpt-4o", suite.expensive), ("text", "gpt-4o-mini", suite.text)]
    rows = []
    for sampler_cls in (CostBasedSampler, GuideCostBasedSampler):
        exporter = InMemorySpanExporter()
        provider = TracerProvider(sampler=ParentBased(root=sampler_cls()), id_generator=IncrementalIdGenerator(),
                                  shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        meters = MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
        for name, model, fn in calls:
            before = len(exporter.get_finished_spans())
            with ExitStack() as stack:
                stack.enter_context(telemetry.use_providers(provider, meters))
                target = stack.enter_context(runner.call(PROVIDER, name))
                outcome = fn(target)
            kept = exporter.get_finished_spans()[before:]
            response = outcome.responses[0]
            rows.append({
                "sampler": sampler_cls().get_description(),
                "model": model,
                "cost_usd": round(float(response.total_cost), 8),
                "decision": "kept" if kept else "dropped",
                "spans_exported": len(kept),
            })
    return {
        "id": "cost_sampler",
        "title": "CostBasedSampler: keep the expensive call, drop the cheap one",
        "note": ("As printed in the guide, 'gpt-4' in 'gpt-4o-mini' is true, so the cheap model is always "
                 "kept; the fixed sampler checks cheap models first. Both wrapped in ParentBased so a "
                 "kept call keeps its whole tree."),
        "rows": rows,
    }


def _metrics_section(registry: Any) -> dict[str, Any]:
    """The guide's metrics as the real Prometheus exporter exposes them, plus derived queries."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    text = generate_latest(registry).decode()
    families = []
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("llm_"):
            continue
        series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_created")):
                continue
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if not k.startswith("otel_scope")))
            row = series.setdefault(labels, {"labels": dict(labels)})
            if family.type == "histogram":
                row["count" if sample.name.endswith("_count") else "sum"] = sample.value
            else:
                row["value"] = sample.value
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
            if family.type == "histogram" and sample.name.endswith(("_count", "_sum")):
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
        name = family.name + ("_total" if family.type == "counter" else "")
        families.append({"name": name, "type": family.type, "series": [series[k] for k in sorted(series)]})
    families.sort(key=lambda f: _METRIC_ORDER.get(f["name"], 99))
    others = sorted({f.name for f in text_string_to_metric_families(text) if not f.name.startswith("llm_")})

    def ratio(a: str, b: str) -> float | None:
        return round(values[a] / values[b], 4) if values.get(b) else None

    derived = [
        {"query": "llm_tokens_input_total / llm_requests_total",
         "value": ratio("llm_tokens_input_total", "llm_requests_total")},
        {"query": "llm_tokens_output_total / llm_requests_total",
         "value": ratio("llm_tokens_output_total", "llm_requests_total")},
        {"query": "llm_requests_failed_total / llm_requests_total",
         "value": ratio("llm_requests_failed_total", "llm_requests_total")},
        {"query": "llm_reasoning_iterations_total / llm_reasoning_requests_total",
         "value": ratio("llm_reasoning_iterations_total", "llm_reasoning_requests_total")},
        {"query": "llm_reasoning_success_total / llm_reasoning_requests_total",
         "value": ratio("llm_reasoning_success_total", "llm_reasoning_requests_total")},
    ]
    return {"families": families, "derived": derived, "also_exported": others}


_METRIC_ORDER = {name: i for i, name in enumerate([
    "llm_tokens_input_total", "llm_tokens_output_total", "llm_cache_read_tokens_total",
    "llm_cache_write_tokens_total", "llm_cost_usd_total", "llm_requests_total", "llm_requests_failed_total",
    "llm_request_duration_seconds", "llm_reasoning_iterations_total", "llm_reasoning_tool_calls_total",
    "llm_reasoning_requests_total", "llm_reasoning_success_total",
])}

NEXT_STEPS: list[dict[str, str]] = [
    {"what": "replay any cassette and print its span tree", "how": "sik-llms replay cassettes/openai/agent_trip.yaml"},
    {"what": "run the provider simulator for your own code", "how": "sik-llms simulate --scenario record_suite"},
    {"what": "receive OTLP on loopback and count what arrives", "how": "sik-llms collect"},
    {"what": "send this tour's spans to Jaeger or a collector", "how": "sik-llms demo --otlp http://localhost:4318"},
    {"what": "the same tour, live against the simulator", "how": "sik-llms demo --live"},
    {"what": "the trace as a timeline in your browser", "how": "sik-llms demo --html trace.html"},
    {"what": "rebuild the cassette library", "how": "sik-llms record"},
    {"what": "README: Quick start, and The guide, verified", "how": "README.md"},
]


# --------------------------------------------------------------------------- text rendering

Segment = tuple[str, str]  # (text, rich style)
Line = list[Segment]


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f}s"


def _fmt_cost(cost: float) -> str:
    return f"${cost:.5f}" if cost else ""


def _fmt_tokens(tin: int, tout: int) -> str:
    return f"{tin:,}->{tout:,}" if tin or tout else ""


def _tree_lines(node: dict[str, Any], prefix: str = "", last: bool = True, top: bool = True) -> list[Line]:
    connector = "" if top else ("`- " if last else "|- ")
    label = node["label"]
    mark = "  <- slowest" if node["slowest"] else ""
    room = 44 - len(prefix) - len(connector) - len(mark)
    if len(label) > room:
        label = label[: max(room - 1, 1)] + "~"
    left = f"{prefix}{connector}{label}{mark}"
    style = "bold red" if node["status"] == "error" else ("bold" if top else "")
    cols = f"{_fmt_s(node['duration_s']):>8} {_fmt_tokens(node['tokens_in'], node['tokens_out']):>14} " \
           f"{_fmt_cost(node['cost_usd']):>9}"
    line: Line = [(prefix + connector, "dim"), (label, style)]
    if mark:
        line.append((mark, "bold yellow"))
    line.append((" " * (44 - len(left)) + " " + cols.rstrip(), "cyan"))
    lines = [line]
    child_prefix = prefix + ("" if top else ("   " if last else "|  "))
    for i, child in enumerate(node["children"]):
        lines += _tree_lines(child, child_prefix, i == len(node["children"]) - 1, top=False)
    return lines


def _header(title: str) -> list[Line]:
    return [[("", "")], [(title, "bold magenta")], [("=" * min(len(title), WIDTH), "magenta")]]


def _wrap(text: str, indent: str = "  ") -> list[Line]:
    import textwrap

    return [[(line, "")] for line in textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent)]


def report_lines(report: dict[str, Any]) -> list[Line]:
    """The report as styled lines (plain text = the segments joined)."""
    out: list[Line] = [[(report["title"], "bold")]]
    source = ("live: the simulator in real time" if report["mode"] == "live"
              else "replayed from cassettes/openai/*.yaml on a virtual clock (deterministic)")
    out.append([(source, "dim")])

    trip = report["trip"]
    s = trip["summary"]
    out += _header(f"1. X-ray of one request: \"{trip['question']}\"")
    out.append([(f"{_fmt_s(s['duration_s'])} total, ${s['cost_usd']:.5f}, {s['tokens_in']:,} input + "
                 f"{s['tokens_out']:,} output tokens, {s['llm_calls']} LLM calls", "")])
    out.append([(f"agent: effort {s['reasoning_effort']}, {s['iterations']} iterations, "
                 f"{s['tool_calls']} tool calls", "")])
    out.append([("", "")])
    head = f"{'span':<44} {'duration':>8} {'tokens in->out':>14} {'cost':>9}"
    out.append([(head, "dim")])
    out += _tree_lines(trip["tree"])
    out.append([("", "")])
    out.append([(f"Slowest step: {s['slowest_step']} ({_fmt_s(s['slowest_step_s'])}); "
                 f"costliest: {s['costliest_step']} (${s['costliest_step_usd']:.5f})", "yellow")])
    out.append([(f"Answer: {trip['answer_first_line']}"[:WIDTH], "green")])

    m = report["metrics"]
    out += _header("2. Metrics (as Prometheus scrapes them, after every call above)")
    for fam in m["families"]:
        out.append([(fam["name"], "bold cyan"), (f"  ({fam['type']})", "dim")])
        for row in fam["series"]:
            labels = ",".join(f'{k}="{v}"' for k, v in row["labels"].items())
            if fam["type"] == "histogram":
                value = f"count {row.get('count', 0):g}  sum {row.get('sum', 0):.3f}"
            else:
                value = f"{row['value']:.6g}"
            text = f"  {{{labels}}}"
            if len(text) + len(value) + 2 > WIDTH:
                out.append([(text[:WIDTH], "")])
                out.append([(f"{value:>{WIDTH}}", "green")])
            else:
                out.append([(text + " " * (WIDTH - len(text) - len(value)), ""), (value, "green")])
    out.append([("", "")])
    out.append([("The guide's derived queries:", "bold")])
    for d in m["derived"]:
        value = "n/a" if d["value"] is None else f"{d['value']:g}"
        q = f"  {d['query']}"
        out.append([(q + " " * max(1, WIDTH - len(q) - len(value)), ""), (value, "green")])
    if m["also_exported"]:
        out += _wrap("Also exported (GenAI conventions): " + ", ".join(m["also_exported"]))

    out += _header("3. Beyond the happy path")
    for sc in report["scenarios"]:
        out.append([("", "")])
        out.append([(sc["title"], "bold")])
        if "tree" in sc:
            out += _tree_lines(sc["tree"])
        for key, value in sc.get("facts", {}).items():
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            out.append([(f"  {key}: ", "dim"), (str(value)[: WIDTH - len(key) - 4], "")])
        if "rows" in sc:
            out.append([(f"  {'sampler':<22} {'model':<12} {'cost':>10} {'decision':>9} {'spans':>6}", "dim")])
            for r in sc["rows"]:
                style = "green" if r["decision"] == "kept" else "red"
                out.append([(f"  {r['sampler']:<22} {r['model']:<12} {'$' + format(r['cost_usd'], '.5f'):>10} ", ""),
                            (f"{r['decision']:>9}", style), (f" {r['spans_exported']:>6}", "")])
            out += _wrap(sc["note"])
    if "otlp" in report:
        o = report["otlp"]
        out += _header("OTLP export")
        out.append([(f"{o['spans']} spans sent to {o['endpoint']} (flushed: {o['flushed']})"[:WIDTH], "")])

    out += _header("4. Where to look next")
    for step in report["next"]:
        out.append([(f"  {step['how']}", "bold green")])
        out.append([(f"      {step['what']}", "dim")])
    return out


def render_text(report: dict[str, Any]) -> str:
    """Plain text, every line at most 80 columns."""
    return "\n".join("".join(seg[0] for seg in line).rstrip() for line in report_lines(report)) + "\n"


def print_report(report: dict[str, Any], *, color: bool | None = None) -> None:
    """Print with rich colour when stdout is a terminal (or ``color=True``), else plain."""
    import sys

    if color is None:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if not color:
        sys.stdout.write(render_text(report))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    for line in report_lines(report):
        text = Text()
        for segment, style in line:
            text.append(segment, style=style or None)
        console.print(text)


__all__ = [
    "CostBasedSampler",
    "GuideCostBasedSampler",
    "print_report",
    "render_text",
    "report_lines",
    "run_tour",
]
