"""Zero-config: build SDK providers from the environment for the signals that have none.

This is the only module that imports the OpenTelemetry SDK and exporters, and only when the
user opted in with ``OTEL_SDK_DISABLED=false``. Exit is bounded: the SDK's own atexit
shutdown can block for 30 s on a dead collector, so we disable it and flush with a deadline.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from sik_llms.telemetry.config import ZeroConfig, logger, warn_once

EXIT_FLUSH_SECONDS = 1.0


def build_resource(cfg: ZeroConfig) -> Any:
    from opentelemetry.sdk.resources import Resource

    from sik_llms._version import __version__

    attrs: dict[str, Any] = dict(cfg.resource_attributes)
    attrs["service.name"] = cfg.service_name  # OTEL_SERVICE_NAME beats OTEL_RESOURCE_ATTRIBUTES
    attrs.setdefault("service.version", __version__)
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


def _exporters(cfg: ZeroConfig) -> tuple[Any, Any]:
    """(span exporter class, metric exporter class) for the configured protocol."""
    if cfg.protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter, OTLPMetricExporter
        except ImportError:
            warn_once(
                "grpc-missing",
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc but the gRPC exporter is not installed: "
                "pip install opentelemetry-exporter-otlp-proto-grpc. Using http/protobuf.",
            )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter, OTLPMetricExporter


def install(cfg: ZeroConfig, traces: bool, metrics: bool) -> tuple[Any, Any]:
    """Create and register global providers for the requested signals; returns them (or None)."""
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace as trace_api

    resource = build_resource(cfg)
    span_exporter_cls, metric_exporter_cls = _exporters(cfg)
    grpc = cfg.protocol == "grpc"
    tracer_provider = meter_provider = None
    if traces:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider = TracerProvider(
            resource=resource, sampler=build_sampler(cfg), shutdown_on_exit=False
        )
        kwargs: dict[str, Any] = {"endpoint": cfg.traces_endpoint, "timeout": cfg.export_timeout_s}
        if not grpc:
            kwargs["headers"] = cfg.traces_headers
        else:
            kwargs["headers"] = tuple(cfg.traces_headers.items())
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter_cls(**kwargs), **cfg.bsp))
        trace_api.set_tracer_provider(tracer_provider)
    if metrics:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        kwargs = {"endpoint": cfg.metrics_endpoint, "timeout": cfg.export_timeout_s}
        kwargs["headers"] = tuple(cfg.metrics_headers.items()) if grpc else cfg.metrics_headers
        reader = PeriodicExportingMetricReader(
            metric_exporter_cls(**kwargs), export_interval_millis=cfg.metric_interval_ms
        )
        meter_provider = MeterProvider(
            resource=resource, metric_readers=[reader], shutdown_on_exit=False
        )
        metrics_api.set_meter_provider(meter_provider)
    logger.info(
        "sik_llms zero-config telemetry: service=%s traces=%s metrics=%s",
        cfg.service_name,
        cfg.traces_endpoint if traces else "(yours)",
        cfg.metrics_endpoint if metrics else "(yours)",
    )
    atexit.register(bounded_shutdown, tracer_provider, meter_provider, EXIT_FLUSH_SECONDS)
    return tracer_provider, meter_provider


def bounded_shutdown(tracer_provider: Any, meter_provider: Any, seconds: float) -> bool:
    """Shut providers down but never wait more than ``seconds`` (the collector may be dead).

    Returns True when shutdown finished in time. The work runs on a daemon thread, so an
    exporter stuck in retries cannot keep the process alive.
    """

    def work() -> None:
        for provider in (tracer_provider, meter_provider):
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
