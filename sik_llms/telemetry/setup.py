"""Zero-config: build SDK providers from the environment for the signals that have none.

This is the only module that imports the OpenTelemetry SDK and exporters, and only when the
user opted in with ``OTEL_SDK_DISABLED=false``. Per signal, ``OTEL_<SIGNAL>_EXPORTER`` picks
the exporters (``otlp`` by default; ``console``; ``prometheus`` for metrics; ``none`` leaves
the signal off: no provider is installed for it). OTLP goes over ``http/protobuf`` or ``grpc``
(the gRPC exporter is the ``sik-llms[grpc]`` extra). Exit is bounded: the SDK's own atexit
shutdown can block for 30 s on a dead collector, so we disable it and flush with a deadline.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from pathlib import Path
from typing import Any

from sik_llms.telemetry.config import SignalConfig, ZeroConfig, logger, warn_once

EXIT_FLUSH_SECONDS = 1.0

# (module, class) of each OTLP exporter, by protocol and signal
_OTLP = {
    ("http/protobuf", "traces"): (
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("http/protobuf", "metrics"): (
        "opentelemetry.exporter.otlp.proto.http.metric_exporter",
        "OTLPMetricExporter",
    ),
    ("http/protobuf", "logs"): (
        "opentelemetry.exporter.otlp.proto.http._log_exporter",
        "OTLPLogExporter",
    ),
    ("grpc", "traces"): (
        "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
        "OTLPSpanExporter",
    ),
    ("grpc", "metrics"): (
        "opentelemetry.exporter.otlp.proto.grpc.metric_exporter",
        "OTLPMetricExporter",
    ),
    ("grpc", "logs"): ("opentelemetry.exporter.otlp.proto.grpc._log_exporter", "OTLPLogExporter"),
}


def default_service_name() -> str:
    """The spec's default ``service.name``: ``unknown_service:<process.executable.name>``."""
    name = Path(sys.executable or "").name or Path(sys.argv[0] if sys.argv else "").name
    return f"unknown_service:{name}" if name else "unknown_service"


def build_resource(cfg: ZeroConfig) -> Any:
    """The SDK resource (``telemetry.sdk.*`` included) with the user's attributes and name."""
    from opentelemetry.sdk.resources import Resource

    attrs: dict[str, Any] = dict(cfg.resource_attributes)
    # OTEL_SERVICE_NAME beats OTEL_RESOURCE_ATTRIBUTES; neither set: the spec's default
    attrs["service.name"] = cfg.service_name or default_service_name()
    return Resource.create(attrs)


def build_sampler(cfg: ZeroConfig) -> Any:
    from opentelemetry.sdk.trace import sampling

    ratio = 1.0 if cfg.sampler_arg is None else cfg.sampler_arg
    return {
        "always_on": lambda: sampling.ALWAYS_ON,
        "always_off": lambda: sampling.ALWAYS_OFF,
        "traceidratio": lambda: sampling.TraceIdRatioBased(ratio),
        "parentbased_always_on": lambda: sampling.ParentBased(sampling.ALWAYS_ON),
        "parentbased_always_off": lambda: sampling.ParentBased(sampling.ALWAYS_OFF),
        "parentbased_traceidratio": lambda: sampling.ParentBased(sampling.TraceIdRatioBased(ratio)),
    }[cfg.sampler]()


def otlp_exporter(signal: str, sc: SignalConfig) -> Any:
    """The OTLP exporter of ``signal`` with every setting passed explicitly.

    Explicit, so the exporter does not re-read the environment with its own (different)
    precedence. gRPC without its package falls back to http/protobuf, saying how to install it.
    """
    import importlib

    proto = sc.protocol
    if proto == "grpc":
        try:
            importlib.import_module("opentelemetry.exporter.otlp.proto.grpc")
        except ImportError:
            warn_once(
                "grpc-missing",
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc but the gRPC exporter is not installed: "
                "pip install 'sik-llms[grpc]' (opentelemetry-exporter-otlp-proto-grpc). "
                "Using http/protobuf.",
            )
            proto = "http/protobuf"
            from sik_llms.telemetry.config import signal_endpoint

            sc = SignalConfig(
                sc.exporters, proto, signal_endpoint(signal, proto=proto), sc.headers, sc.timeout_s
            )
    module, name = _OTLP[(proto, signal)]
    cls = getattr(importlib.import_module(module), name)
    if proto == "grpc":
        exporter = cls(
            endpoint=sc.endpoint, headers=tuple(sc.headers.items()), timeout=sc.timeout_s
        )
        if not sc.headers:
            # the gRPC exporter treats "no headers" as "read OTEL_EXPORTER_OTLP_HEADERS"; a
            # per-signal list that parsed empty must stay empty (the per-signal value alone)
            exporter._headers = ()
        return exporter
    return cls(endpoint=sc.endpoint, headers=sc.headers, timeout=sc.timeout_s)


def _tracer_provider(cfg: ZeroConfig, resource: Any) -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    sc = cfg.signals["traces"]
    provider = TracerProvider(resource=resource, sampler=build_sampler(cfg), shutdown_on_exit=False)
    for name in sc.exporters:
        if name == "otlp":
            provider.add_span_processor(BatchSpanProcessor(otlp_exporter("traces", sc), **cfg.bsp))
        elif name == "console":
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider


def _metric_readers(cfg: ZeroConfig) -> list[Any]:
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )

    sc = cfg.signals["metrics"]
    readers: list[Any] = []
    for name in sc.exporters:
        if name == "otlp":
            readers.append(
                PeriodicExportingMetricReader(
                    otlp_exporter("metrics", sc), export_interval_millis=cfg.metric_interval_ms
                )
            )
        elif name == "console":
            readers.append(
                PeriodicExportingMetricReader(
                    ConsoleMetricExporter(), export_interval_millis=cfg.metric_interval_ms
                )
            )
        elif name == "prometheus":
            reader = _prometheus_reader()
            if reader is not None:
                readers.append(reader)
    return readers


def _prometheus_reader() -> Any:
    """A Prometheus reader served on ``OTEL_EXPORTER_PROMETHEUS_HOST:PORT`` (localhost:9464)."""
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server
    except ImportError:
        warn_once(
            "prometheus-missing",
            "OTEL_METRICS_EXPORTER=prometheus but the Prometheus exporter is not installed: "
            "pip install opentelemetry-exporter-prometheus. Metrics are not exported.",
        )
        return None
    host = os.environ.get("OTEL_EXPORTER_PROMETHEUS_HOST") or "localhost"
    raw_port = os.environ.get("OTEL_EXPORTER_PROMETHEUS_PORT") or "9464"
    try:
        port = int(raw_port)
    except ValueError:
        warn_once(
            "prometheus-port",
            f"OTEL_EXPORTER_PROMETHEUS_PORT={raw_port!r} is not a port number; using 9464.",
        )
        port = 9464
    try:
        start_http_server(port=port, addr=host)
    except OSError as exc:
        warn_once(
            "prometheus-bind",
            f"Prometheus metrics endpoint {host}:{port} could not start ({exc}); metrics are not scraped.",
        )
        return None
    return PrometheusMetricReader()


def _logger_provider(cfg: ZeroConfig, resource: Any) -> Any:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import (
        BatchLogRecordProcessor,
        ConsoleLogRecordExporter,
        SimpleLogRecordProcessor,
    )

    sc = cfg.signals["logs"]
    provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    for name in sc.exporters:
        if name == "otlp":
            provider.add_log_record_processor(BatchLogRecordProcessor(otlp_exporter("logs", sc)))
        elif name == "console":
            provider.add_log_record_processor(SimpleLogRecordProcessor(ConsoleLogRecordExporter()))
    return provider


def install(
    cfg: ZeroConfig, traces: bool, metrics: bool, logs: bool = False
) -> tuple[Any, Any, Any]:
    """Create and register global providers for the requested signals; returns them (or None).

    A signal whose exporter is ``none`` gets no provider: it stays off.
    """
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace as trace_api

    resource = build_resource(cfg)
    tracer_provider = meter_provider = logger_provider = None
    if traces and cfg.signals["traces"].exporters:
        tracer_provider = _tracer_provider(cfg, resource)
        trace_api.set_tracer_provider(tracer_provider)
    if metrics and cfg.signals["metrics"].exporters:
        readers = _metric_readers(cfg)
        if readers:
            from opentelemetry.sdk.metrics import MeterProvider

            meter_provider = MeterProvider(
                resource=resource, metric_readers=readers, shutdown_on_exit=False
            )
            metrics_api.set_meter_provider(meter_provider)
    if logs and cfg.signals["logs"].exporters:
        from opentelemetry import _logs as logs_api

        logger_provider = _logger_provider(cfg, resource)
        logs_api.set_logger_provider(logger_provider)

    def where(provider: Any, signal: str, requested: bool) -> str:
        if not requested:
            return "(yours)"
        if provider is None:
            return "off"
        return ",".join(
            cfg.signals[signal].endpoint if e == "otlp" else e
            for e in cfg.signals[signal].exporters
        )

    logger.info(
        "sik_llms zero-config telemetry: service=%s traces=%s metrics=%s logs=%s",
        resource.attributes.get("service.name"),
        where(tracer_provider, "traces", traces),
        where(meter_provider, "metrics", metrics),
        where(logger_provider, "logs", logs),
    )
    atexit.register(
        bounded_shutdown, tracer_provider, meter_provider, EXIT_FLUSH_SECONDS, logger_provider
    )
    return tracer_provider, meter_provider, logger_provider


def bounded_shutdown(
    tracer_provider: Any, meter_provider: Any, seconds: float, logger_provider: Any = None
) -> bool:
    """Shut providers down but never wait more than ``seconds`` (the collector may be dead).

    Returns True when shutdown finished in time. The work runs on a daemon thread, so an
    exporter stuck in retries cannot keep the process alive.
    """

    def work() -> None:
        for provider in (tracer_provider, meter_provider, logger_provider):
            if provider is not None:
                try:
                    provider.shutdown()
                except Exception:  # telemetry must never break exit
                    logger.debug("provider shutdown failed", exc_info=True)

    thread = threading.Thread(target=work, name="sik-llms-otel-shutdown", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        logger.warning(
            "sik_llms: telemetry export did not finish within %.1f s at exit (collector "
            "unreachable?); unsent spans and metrics were dropped.",
            seconds,
        )
        return False
    return True
