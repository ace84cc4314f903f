"""Every checker rule: one input that keeps the conventions, one that breaks exactly that rule."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from harness.semconv import (
    SPEC_VERSION,
    Expected,
    LogRecordData,
    MetricRecord,
    SemconvError,
    SpanEvent,
    SpanRecord,
    assert_semconv,
    check,
)
from harness.semconv.rules import DURATION_BUCKETS, TOKEN_BUCKETS

CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "server.address": "api.openai.com",
    "server.port": 443,
}


def span(
    name: str = "chat gpt-4o-mini", attrs: dict[str, Any] | None = None, **kw: Any
) -> SpanRecord:
    fields: dict[str, Any] = {
        "name": name, "kind": "CLIENT", "span_id": kw.pop("span_id", 2), "parent_id": kw.pop("parent_id", None),
        "trace_id": 1, "attributes": CHAT if attrs is None else attrs,
    }  # fmt: skip
    fields.update(kw)
    return SpanRecord(**fields)


def chat(**extra: Any) -> SpanRecord:
    return span(attrs={**CHAT, **extra})


def messages(parts: list[dict[str, Any]], role: str = "user") -> str:
    return json.dumps([{"role": role, "parts": parts}])


def token_point(**kw: Any) -> MetricRecord:
    base = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.token.type": "input",
    }
    fields: dict[str, Any] = {
        "name": "gen_ai.client.token.usage", "kind": "histogram", "unit": "{token}",
        "attributes": base, "bounds": TOKEN_BUCKETS,
    }  # fmt: skip
    fields.update(kw)
    return MetricRecord(**fields)


def details(**attrs: Any) -> LogRecordData:
    base = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"}
    return LogRecordData("gen_ai.client.inference.operation.details", {**base, **attrs})


# rule -> (telemetry that keeps it, telemetry that breaks it), each as check() keyword arguments
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "attribute.deprecated": ({"spans": [chat()]}, {"spans": [chat(**{"gen_ai.system": "openai"})]}),
    "attribute.unknown": (
        {"spans": [chat(**{"gen_ai.usage.input_tokens": 3})]},
        {"spans": [chat(**{"gen_ai.usage.input_token": 3})]},
    ),
    "attribute.type": (
        {"spans": [chat(**{"gen_ai.request.temperature": 0.5})]},
        {"spans": [chat(**{"gen_ai.request.temperature": "0.5"})]},
    ),
    "attribute.enum": (
        {"spans": [chat(**{"gen_ai.response.finish_reasons": ("stop",)})]},
        {"spans": [chat(**{"gen_ai.response.finish_reasons": ("completed",)})]},
    ),
    "attribute.required": (
        {"spans": [chat()]},
        {"spans": [span(attrs={k: v for k, v in CHAT.items() if k != "server.port"})]},
    ),
    "span.required": (
        {"spans": [chat()]},
        {"spans": [span(attrs={k: v for k, v in CHAT.items() if k != "gen_ai.provider.name"})]},
    ),
    "span.forbidden": (
        {
            "spans": [
                span(
                    "execute_tool search",
                    {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
                    kind="INTERNAL",
                )
            ]
        },
        {
            "spans": [
                span(
                    "execute_tool search",
                    {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": "search",
                        "gen_ai.provider.name": "openai",
                    },
                    kind="INTERNAL",
                )
            ]
        },
    ),
    "span.conditional": (
        {
            "spans": [
                chat(**{"gen_ai.request.stream": True, "gen_ai.response.time_to_first_chunk": 0.2})
            ]
        },
        {"spans": [chat(**{"gen_ai.response.time_to_first_chunk": 0.2})]},
    ),
    "span.kind": ({"spans": [chat()]}, {"spans": [replace(chat(), kind="SERVER")]}),
    "span.name": ({"spans": [chat()]}, {"spans": [replace(chat(), name="llm.openai.stream")]}),
    "span.error-type": (
        {"spans": [replace(chat(**{"error.type": "timeout"}), status="ERROR")]},
        {"spans": [chat(**{"error.type": "timeout"})]},
    ),
    "content.encoding": (
        {
            "logs": [
                details(
                    **{
                        "gen_ai.input.messages": [
                            {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
                        ]
                    }
                )
            ]
        },
        {
            "logs": [
                details(**{"gen_ai.input.messages": messages([{"type": "text", "content": "hi"}])})
            ]
        },
    ),
    "content.schema": (
        {
            "spans": [
                chat(
                    **{
                        "gen_ai.input.messages": messages(
                            [{"type": "tool_call_response", "id": "c1", "response": "4"}], "tool"
                        )
                    }
                )
            ]
        },
        {
            "spans": [
                chat(**{"gen_ai.input.messages": messages([{"type": "uri", "modality": "image"}])})
            ]
        },
    ),
    "content.enum": (
        {
            "spans": [
                chat(
                    **{
                        "gen_ai.output.messages": json.dumps(
                            [{"role": "assistant", "parts": [], "finish_reason": "tool_call"}]
                        )
                    }
                )
            ]
        },
        {
            "spans": [
                chat(
                    **{
                        "gen_ai.output.messages": json.dumps(
                            [{"role": "assistant", "parts": [], "finish_reason": "tool_calls"}]
                        )
                    }
                )
            ]
        },
    ),
    "content.empty-part": (
        {
            "spans": [
                chat(
                    **{
                        "gen_ai.input.messages": messages(
                            [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}],
                            "assistant",
                        )
                    }
                )
            ]
        },
        {
            "spans": [
                chat(
                    **{
                        "gen_ai.input.messages": messages(
                            [{"type": "text", "content": ""}], "assistant"
                        )
                    }
                )
            ]
        },
    ),
    "event.as-span-event": (
        {"spans": [chat()], "logs": [details()]},
        {
            "spans": [
                replace(
                    chat(), events=(SpanEvent("gen_ai.client.inference.operation.details", {}),)
                )
            ]
        },
    ),
    "event.deprecated": (
        {"logs": [details()]},
        {"logs": [LogRecordData("gen_ai.user.message", {"gen_ai.provider.name": "openai"})]},
    ),
    "event.unknown": (
        {"logs": [details()]},
        {"logs": [LogRecordData("gen_ai.client.inference.details", {})]},
    ),
    "event.required": (
        {"logs": [details()]},
        {
            "logs": [
                LogRecordData(
                    "gen_ai.client.inference.operation.details", {"gen_ai.operation.name": "chat"}
                )
            ]
        },
    ),
    "event.severity": (
        {
            "logs": [
                LogRecordData(
                    "gen_ai.client.operation.exception",
                    {"exception.type": "TimeoutError"},
                    severity_number=13,
                )
            ]
        },
        {
            "logs": [
                LogRecordData(
                    "gen_ai.client.operation.exception",
                    {"exception.type": "TimeoutError"},
                    severity_number=17,
                )
            ]
        },
    ),
    "trace.duplicate-operation": (
        {
            "spans": [
                span("llm.request", {"llm.model": "gpt-4o-mini"}, span_id=1, kind="INTERNAL"),
                replace(chat(), parent_id=1),
            ]
        },
        {
            "spans": [
                span("chat gpt-4o-mini", CHAT, span_id=1, kind="INTERNAL"),
                replace(chat(), parent_id=1),
            ]
        },
    ),
    "trace.usage-double-counted": (
        {
            "spans": [
                span(
                    "invoke_agent a",
                    {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "a"},
                    span_id=1,
                    kind="INTERNAL",
                ),
                replace(chat(**{"gen_ai.usage.input_tokens": 5}), parent_id=1),
            ]
        },
        {
            "spans": [
                span(
                    "invoke_agent a",
                    {
                        "gen_ai.operation.name": "invoke_agent",
                        "gen_ai.agent.name": "a",
                        "gen_ai.usage.input_tokens": 5,
                    },
                    span_id=1,
                    kind="INTERNAL",
                ),
                replace(chat(**{"gen_ai.usage.input_tokens": 5}), parent_id=1),
            ]
        },
    ),
    "trace.exception-duplicated": (
        {
            "spans": [
                span("llm.request", {}, span_id=1, kind="INTERNAL", status="ERROR"),
                replace(
                    chat(**{"error.type": "E"}),
                    parent_id=1,
                    status="ERROR",
                    events=(
                        SpanEvent("exception", {"exception.type": "E", "exception.message": "m"}),
                    ),
                ),
            ]
        },
        {
            "spans": [
                span(
                    "llm.request",
                    {},
                    span_id=1,
                    kind="INTERNAL",
                    status="ERROR",
                    events=(
                        SpanEvent("exception", {"exception.type": "E", "exception.message": "m"}),
                    ),
                ),
                replace(
                    chat(**{"error.type": "E"}),
                    parent_id=1,
                    status="ERROR",
                    events=(
                        SpanEvent("exception", {"exception.type": "E", "exception.message": "m"}),
                    ),
                ),
            ]
        },
    ),
    "metric.unknown": (
        {"metrics": [token_point()]},
        {"metrics": [token_point(name="gen_ai.client.token.usages")]},
    ),
    "metric.kind": (
        {"metrics": [token_point()]},
        {"metrics": [token_point(kind="counter", bounds=None)]},
    ),
    "metric.unit": ({"metrics": [token_point()]}, {"metrics": [token_point(unit="tokens")]}),
    "metric.buckets": (
        {
            "metrics": [
                token_point(
                    name="gen_ai.client.operation.duration", unit="s", bounds=DURATION_BUCKETS
                )
            ]
        },
        {
            "metrics": [
                token_point(
                    name="gen_ai.client.operation.duration", unit="s", bounds=(0, 5, 10, 25, 50)
                )
            ]
        },
    ),
    "metric.required": (
        {"metrics": [token_point()]},
        {
            "metrics": [
                token_point(
                    attributes={"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai"}
                )
            ]
        },
    ),
    "metric.forbidden": (
        {"metrics": [token_point()]},
        {
            "metrics": [
                token_point(attributes={**token_point().attributes, "error.type": "timeout"})
            ]
        },
    ),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_passes_conforming_telemetry_and_catches_its_violation(rule: str) -> None:
    good, bad = CASES[rule]
    assert check(**good).violations == []
    found = check(**bad).violations
    assert rule in {v.rule for v in found}, [str(v) for v in found]


def test_the_report_names_the_spec_version_and_what_it_checked() -> None:
    report = check(spans=[chat()], metrics=[token_point()], logs=[details()])
    assert report.ok and report.spec_version == SPEC_VERSION and "v1.41" in SPEC_VERSION
    assert (report.spans_checked, report.metric_points_checked, report.log_records_checked) == (
        1,
        1,
        1,
    )
    assert "0 violation(s)" in report.render()


def test_span_names_can_be_left_to_the_instrumentation() -> None:
    seed_named = replace(chat(), name="llm.openai.stream")
    assert check(spans=[seed_named], span_names=False).ok


def test_declared_violations_pass_and_undeclared_ones_fail() -> None:
    bad = replace(chat(), name="llm.openai.stream")
    report = assert_semconv(spans=[bad], expected=["span.name"])
    assert report.by_rule() == {"span.name": 1}
    with pytest.raises(SemconvError, match="1 unexpected violation"):
        assert_semconv(spans=[bad])


def test_an_expected_violation_that_stopped_occurring_fails() -> None:
    with pytest.raises(SemconvError, match="no longer occur"):
        assert_semconv(spans=[chat()], expected=[Expected("span.name", "span 'llm.*'")])


def test_expectations_can_name_the_subject_and_attribute() -> None:
    bad = chat(**{"gen_ai.system": "openai"})
    assert_semconv(
        spans=[bad], expected=[Expected("attribute.deprecated", "span 'chat*'", "gen_ai.system")]
    )
    with pytest.raises(SemconvError):
        assert_semconv(
            spans=[bad],
            expected=[Expected("attribute.deprecated", "span 'chat*'", "gen_ai.prompt")],
        )
