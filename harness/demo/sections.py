"""The demo's report as plain data, built from captured spans and scraped metrics (pure).

Each section is a JSON-ready dict: the trip's X-ray tree with per-step totals and the slowest
step marked, the Prometheus families with the guide's derived queries, the 401 and the
429-then-retry scenarios, and where to look next. Nothing here is typed in; every figure is read
from a ``SpanNode`` tree or a Prometheus registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from harness.spans.render import render
from harness.spans.tree import SpanNode, SpanTree
from harness.trip_tools import TRIP_QUESTION
from sik_llms.telemetry import names as n

__all__ = [
    "error_section",
    "metrics_section",
    "next_steps",
    "node_data",
    "retry_section",
    "trip_section",
    "xray",
]


def xray(root: SpanNode) -> str:
    """The guide's X-ray view of one trace, by the harness's own renderer (the one ``str(tree)``,
    snapshots and ``sik-llms replay`` use): durations, tokens, cost, the slowest step marked."""
    return render(SpanTree([root], []), style="xray")


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
        return (
            int(a.get(n.LLM_TOKENS_INPUT, 0)),
            int(a.get(n.LLM_TOKENS_OUTPUT, 0)),
            float(a.get(n.LLM_COST_TOTAL, 0.0)),
        )
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


def trip_section(root: SpanNode, answer: str) -> dict[str, Any]:
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
        "xray": xray(root),
    }


def _scenario_root(tree: Any, predicate: Callable[[SpanNode], bool]) -> SpanNode:
    found = [r for r in tree.roots if r.name == n.SPAN_REQUEST and predicate(r)]
    if not found:
        raise LookupError("the scenario's llm.request span was not captured")
    return found[-1]


def error_section(tree: Any, error_name: str) -> dict[str, Any]:
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
                (
                    c.attributes.get(n.HTTP_RESPONSE_STATUS_CODE)
                    for c in _nodes(root)
                    if c.name == n.SPAN_HTTP
                ),
                None,
            ),
        },
        "tree": data,
        "xray": xray(root),
    }


def _nodes(node: SpanNode) -> Iterator[SpanNode]:
    yield node
    for child in node.children:
        yield from _nodes(child)


def retry_section(tree: Any, answer: str) -> dict[str, Any]:
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
        "xray": xray(root),
    }


def metrics_section(registry: Any) -> dict[str, Any]:
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
            labels = tuple(
                sorted((k, v) for k, v in sample.labels.items() if not k.startswith("otel_scope"))
            )
            row = series.setdefault(labels, {"labels": dict(labels)})
            if family.type == "histogram":
                row["count" if sample.name.endswith("_count") else "sum"] = sample.value
            else:
                row["value"] = sample.value
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
            if family.type == "histogram" and sample.name.endswith(("_count", "_sum")):
                values[sample.name] = values.get(sample.name, 0.0) + sample.value
        name = family.name + ("_total" if family.type == "counter" else "")
        families.append(
            {"name": name, "type": family.type, "series": [series[k] for k in sorted(series)]}
        )
    families.sort(key=lambda f: _METRIC_ORDER.get(f["name"], 99))
    others = sorted(
        {f.name for f in text_string_to_metric_families(text) if not f.name.startswith("llm_")}
    )

    def ratio(a: str, b: str) -> float | None:
        return round(values[a] / values[b], 4) if values.get(b) else None

    derived = [
        {
            "query": "llm_tokens_input_total / llm_requests_total",
            "value": ratio("llm_tokens_input_total", "llm_requests_total"),
        },
        {
            "query": "llm_tokens_output_total / llm_requests_total",
            "value": ratio("llm_tokens_output_total", "llm_requests_total"),
        },
        {
            "query": "llm_requests_failed_total / llm_requests_total",
            "value": ratio("llm_requests_failed_total", "llm_requests_total"),
        },
        {
            "query": "llm_reasoning_iterations_total / llm_reasoning_requests_total",
            "value": ratio("llm_reasoning_iterations_total", "llm_reasoning_requests_total"),
        },
        {
            "query": "llm_reasoning_success_total / llm_reasoning_requests_total",
            "value": ratio("llm_reasoning_success_total", "llm_reasoning_requests_total"),
        },
    ]
    return {"families": families, "derived": derived, "also_exported": others}


_METRIC_ORDER = {
    name: i
    for i, name in enumerate(
        [
            "llm_tokens_input_total",
            "llm_tokens_output_total",
            "llm_cache_read_tokens_total",
            "llm_cache_write_tokens_total",
            "llm_cost_usd_total",
            "llm_requests_total",
            "llm_requests_failed_total",
            "llm_request_duration_seconds",
            "llm_reasoning_iterations_total",
            "llm_reasoning_tool_calls_total",
            "llm_reasoning_requests_total",
            "llm_reasoning_success_total",
        ]
    )
}


def next_steps(trip_cassette: str) -> list[dict[str, str]]:
    """Where to look next; ``trip_cassette`` is the path to show for the trip's cassette (as the
    user can type it: relative inside a checkout, the installed file's path otherwise)."""
    return [
        {
            "what": "replay any cassette and print its span tree",
            "how": f"sik-llms replay {trip_cassette}",
        },
        *_NEXT_STEPS,
    ]


_NEXT_STEPS: list[dict[str, str]] = [
    {
        "what": "run the provider simulator for your own code",
        "how": "sik-llms simulate --scenario record_suite",
    },
    {"what": "receive OTLP on loopback and count what arrives", "how": "sik-llms collect"},
    {
        "what": "send this tour's spans to Jaeger or a collector",
        "how": "sik-llms demo --otlp http://localhost:4318",
    },
    {"what": "the same tour, live against the simulator", "how": "sik-llms demo --live"},
    {"what": "the trace as a timeline in your browser", "how": "sik-llms demo --html trace.html"},
    {"what": "rebuild the cassette library", "how": "sik-llms record"},
    {"what": "README: Quick start, and The guide, verified", "how": "README.md"},
]
