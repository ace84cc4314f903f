"""The OTEL_* environment rules zero-config follows (pure functions, no process state)."""

from __future__ import annotations

import logging

import pytest

from sik_llms.telemetry import config


@pytest.fixture(autouse=True)
def _fresh_warnings():
    config._warned.clear()
    yield
    config._warned.clear()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("False", False),
    ],
)
def test_sdk_disabled_values(value, expected):
    env = {} if value is None else {"OTEL_SDK_DISABLED": value}
    assert config.sdk_disabled(env) is expected


def test_sdk_disabled_bad_value_warns_and_is_ignored(caplog):
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        assert config.sdk_disabled({"OTEL_SDK_DISABLED": "maybe"}) is None
    assert "OTEL_SDK_DISABLED='maybe'" in caplog.text


@pytest.mark.parametrize(
    ("env", "traces", "metrics"),
    [
        ({}, "http://localhost:4318/v1/traces", "http://localhost:4318/v1/metrics"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"},
            "http://c:4318/v1/traces",
            "http://c:4318/v1/metrics",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"},
            "http://c:4318/v1/traces",
            "http://c:4318/v1/metrics",
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c/otlp"},
            "http://c/otlp/v1/traces",
            "http://c/otlp/v1/metrics",
        ),
        # the guide's Honeycomb example: a dataset path after the signal path
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://api.honeycomb.io/v1/traces/your-dataset"},
            "https://api.honeycomb.io/v1/traces/your-dataset",
            "https://api.honeycomb.io/v1/metrics/your-dataset",
        ),
        # the guide's New Relic example: never /v1/traces/v1/traces
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.nr-data.net:4318/v1/traces"},
            "https://otlp.nr-data.net:4318/v1/traces",
            "https://otlp.nr-data.net:4318/v1/metrics",
        ),
        # signal-specific variables are used as-is, and beat the general one
        (
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://general:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:9999/custom",
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://m:9999",
            },
            "http://t:9999/custom",
            "http://m:9999/",
        ),
    ],
)
def test_endpoints(env, traces, metrics):
    assert config.signal_endpoint("traces", env) == traces
    assert config.signal_endpoint("metrics", env) == metrics


def test_headers_are_url_decoded_and_a_per_signal_list_replaces_the_general_one():
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20tok,x-honeycomb-team=abc",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-honeycomb-team=traces-only",
    }
    # the spec and the Python SDK: the per-signal value alone, never merged with the general one
    assert config.headers("traces", env) == {"x-honeycomb-team": "traces-only"}
    assert config.headers("metrics", env) == {
        "authorization": "Bearer tok",
        "x-honeycomb-team": "abc",
    }


def test_malformed_headers_warn_and_are_dropped(caplog):
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        assert config.headers("traces", {"OTEL_EXPORTER_OTLP_HEADERS": "novalue"}) == {}
    assert "OTEL_EXPORTER_OTLP_HEADERS" in caplog.text and "key=value" in caplog.text


def test_zero_config_reads_every_variable():
    cfg = config.read_zero_config(
        {
            "OTEL_SERVICE_NAME": "my-chatbot",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,deployment.environment=prod,team=a%2Cb",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_BSP_MAX_QUEUE_SIZE": "4096",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "256",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_METRIC_EXPORT_INTERVAL": "1500",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2000",
        }
    )
    assert cfg.service_name == "my-chatbot"
    assert cfg.resource_attributes["deployment.environment"] == "prod"
    assert cfg.resource_attributes["team"] == "a,b"
    assert (cfg.sampler, cfg.sampler_arg) == ("parentbased_traceidratio", 0.25)
    assert cfg.bsp == {
        "max_queue_size": 4096,
        "max_export_batch_size": 256,
        "schedule_delay_millis": 100,
        "export_timeout_millis": 30000,
    }
    assert cfg.metric_interval_ms == 1500
    assert cfg.export_timeout_s == 2.0  # the spec's milliseconds, passed to the SDK as seconds
    assert cfg.protocol == "http/protobuf"


@pytest.mark.parametrize(
    ("env", "field", "expected", "variable"),
    [
        (
            {"OTEL_TRACES_SAMPLER": "jaeger_remote"},
            "sampler",
            "parentbased_always_on",
            "OTEL_TRACES_SAMPLER",
        ),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1.5"},
            "sampler_arg",
            1.0,
            "OTEL_TRACES_SAMPLER_ARG",
        ),
        (
            {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "lots"},
            "sampler_arg",
            1.0,
            "OTEL_TRACES_SAMPLER_ARG",
        ),
        (
            {"OTEL_METRIC_EXPORT_INTERVAL": "soon"},
            "metric_interval_ms",
            60000,
            "OTEL_METRIC_EXPORT_INTERVAL",
        ),
        (
            {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
            "protocol",
            "http/protobuf",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
        (
            {"OTEL_RESOURCE_ATTRIBUTES": "oops"},
            "resource_attributes",
            {},
            "OTEL_RESOURCE_ATTRIBUTES",
        ),
    ],
)
def test_bad_values_warn_naming_the_variable_and_fall_back(caplog, env, field, expected, variable):
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        cfg = config.read_zero_config(env)
    assert getattr(cfg, field) == expected
    assert variable in caplog.text


def test_batch_larger_than_queue_is_clamped(caplog):
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        cfg = config.read_zero_config(
            {"OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "500"}
        )
    assert cfg.bsp["max_export_batch_size"] == 100
    assert "OTEL_BSP_MAX_EXPORT_BATCH_SIZE" in caplog.text


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "NO_CONTENT"),
        ("span_only", "SPAN_ONLY"),
        ("EVENT_ONLY", "EVENT_ONLY"),
        ("span_and_event", "SPAN_AND_EVENT"),
        ("true", "SPAN_ONLY"),
        ("false", "NO_CONTENT"),
        ("bogus", "NO_CONTENT"),
    ],
)
def test_capture_modes(value, mode):
    env = {} if value is None else {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": value}
    assert config.capture_mode(env) == mode


def test_semconv_opt_in_is_a_list():
    assert config.semconv_opt_in(
        {"OTEL_SEMCONV_STABILITY_OPT_IN": "http, gen_ai_latest_experimental"}
    )
    assert not config.semconv_opt_in({"OTEL_SEMCONV_STABILITY_OPT_IN": "http"})
    assert not config.semconv_opt_in({})
