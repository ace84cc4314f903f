"""The OTEL_* rules zero-config reads, as pure functions over an environment mapping."""

from __future__ import annotations

import logging

import pytest

from sik_llms.telemetry import config


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ("otlp",)),
        ("none", ()),
        ("NONE", ()),
        ("console", ("console",)),
        ("otlp,console", ("otlp", "console")),
        ("zipkin", ("otlp",)),  # unknown: warned about and ignored, the default stays
    ],
)
def test_traces_exporter_choices(raw, expected):
    env = {} if raw is None else {"OTEL_TRACES_EXPORTER": raw}
    assert config.exporters("traces", env) == expected


def test_prometheus_is_a_metrics_exporter_only(caplog):
    assert config.exporters("metrics", {"OTEL_METRICS_EXPORTER": "prometheus"}) == ("prometheus",)
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        assert config.exporters("logs", {"OTEL_LOGS_EXPORTER": "prometheus"}) == ("otlp",)
    assert "OTEL_LOGS_EXPORTER names 'prometheus'" in caplog.text


def test_grpc_defaults_to_port_4317_without_a_path():
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    assert config.signal_endpoint("traces", env) == "http://localhost:4317"
    assert (
        config.signal_endpoint("logs", {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"})
        == "http://c:4317"
    )


def test_a_per_signal_protocol_does_not_leak_into_the_other_signals():
    env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}
    assert config.protocol("traces", env) == "grpc"
    assert config.protocol("metrics", env) == "http/protobuf"
    cfg = config.read_zero_config(env)
    assert cfg.signals["traces"].endpoint == "http://localhost:4317"
    assert cfg.signals["metrics"].endpoint == "http://localhost:4318/v1/metrics"


def test_a_per_signal_timeout_is_used_alone():
    env = {"OTEL_EXPORTER_OTLP_TIMEOUT": "2000", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "500"}
    assert config.timeout_seconds("metrics", env) == 0.5
    assert config.timeout_seconds("traces", env) == 2.0
    assert config.timeout_seconds("logs", {}) == 10.0


@pytest.mark.parametrize(
    ("general", "logs_url"),
    [
        ("http://c:4318", "http://c:4318/v1/logs"),
        ("http://c:4318/v1/traces", "http://c:4318/v1/logs"),
        ("http://c/v1/traces/dataset", "http://c/v1/logs/dataset"),
        # whole segments only: not a substring match
        ("http://c/api/v1/metrics-proxy", "http://c/api/v1/metrics-proxy/v1/logs"),
        ("http://c/v1/tracesx", "http://c/v1/tracesx/v1/logs"),
    ],
)
def test_general_endpoint_re_pointing_matches_whole_path_segments(general, logs_url):
    assert config.signal_endpoint("logs", {"OTEL_EXPORTER_OTLP_ENDPOINT": general}) == logs_url


def test_a_malformed_header_entry_is_dropped_and_the_rest_kept(caplog):
    with caplog.at_level(logging.WARNING, logger="sik_llms"):
        got = config.headers("metrics", {"OTEL_EXPORTER_OTLP_HEADERS": "a=1,oops,=x,b=2"})
    assert got == {"a": "1", "b": "2"}
    assert "malformed entry 'oops'" in caplog.text


def test_the_service_name_is_left_to_the_spec_default_when_unset():
    assert config.read_zero_config({}).service_name is None
    assert (
        config.read_zero_config({"OTEL_RESOURCE_ATTRIBUTES": "service.name=a"}).service_name == "a"
    )
