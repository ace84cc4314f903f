"""Scraped by the real Prometheus exporter, our metrics read as the guide's queries expect."""

from __future__ import annotations

import contextlib
import re

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest

from sik_llms import create_client, telemetry
from tests.conftest import Script, anthropic_sse, error_body, ok, openai_sse, scripted

MESSAGES = [{"role": "user", "content": "hi"}]


def scrape_after_calls() -> str:
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry, disable_target_info=True)
    mp = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    with telemetry.use_providers(None, mp):
        with scripted(
            Script(ok(openai_sse("hi", prompt_tokens=150, completion_tokens=75, cached=50)))
        ):
            create_client("gpt-4o-mini", api_key="sk-test")(MESSAGES)
        with scripted(Script(ok(anthropic_sse("hi", cache_write=20)))):
            create_client("claude-sonnet-4-6", api_key="sk-test")(MESSAGES)
        with scripted(Script((500, error_body("openai", 500, "boom"), {}))):
            with contextlib.suppress(Exception):
                create_client("gpt-4o-mini", api_key="sk-test", max_retries=0)(MESSAGES)
    return generate_latest(registry).decode()


def test_exposed_names_match_the_guide():
    text = scrape_after_calls()
    names = set(re.findall(r"^([a-z_]+)\{", text, flags=re.M))
    expected = {
        "llm_tokens_input_total",
        "llm_tokens_output_total",
        "llm_cache_read_tokens_total",
        "llm_cache_write_tokens_total",
        "llm_cost_usd_total",  # the guide writes llm_cost_total_usd; counters always end in _total
        "llm_requests_total",
        "llm_requests_failed_total",
        "llm_request_duration_seconds_bucket",
        "llm_request_duration_seconds_count",
        "llm_request_duration_seconds_sum",
        "gen_ai_client_token_usage_bucket",
        "gen_ai_client_operation_duration_seconds_bucket",
    }
    assert expected <= names, sorted(expected - names)
    assert re.search(
        r'^llm_tokens_input_total\{.*llm_model="gpt-4o-mini".*llm_provider="openai".*\} 150\.0$',
        text,
        re.M,
    )
    assert re.search(r'^llm_requests_failed_total\{.*llm_model="gpt-4o-mini".*\} 1\.0$', text, re.M)
    assert re.search(r'^llm_requests_total\{.*llm_model="gpt-4o-mini".*\} 2\.0$', text, re.M)
    # duration buckets are sized for seconds (the original used millisecond-sized defaults)
    assert re.search(r'llm_request_duration_seconds_bucket\{[^}]*le="0\.01"', text)
