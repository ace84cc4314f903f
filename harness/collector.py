"""A loopback OTLP/HTTP receiver that counts and keeps what arrives, with fault modes.

End-to-end tests, the load runner and ``sik-llms demo --otlp`` point exporters here to check
what really left the process: spans (with ids and parents, so orphans and partial traces can
be found), metric points, and the requests that were refused. Fault modes make the collector
slow, rejecting (429 / 503) or unreachable, to prove that telemetry trouble never reaches the
LLM call.
"""

from __future__ import annotations

import gzip
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

FAULTS = ("none", "slow", "reject_429", "reject_503")


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    attributes: dict[str, Any]
    status: str


@dataclass(frozen=True)
class ExportRequest:
    """One POST as received (whatever its path or outcome): the path (a backend's dataset
    suffix included), the headers with lower-cased names, and each resource's attributes."""

    path: str
    headers: dict[str, str]
    resources: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ReceivedLog:
    """One log record as received: its event name (empty for a plain log), attributes and
    body (decoded from OTLP ``AnyValue``: structured values stay structured), and the span it
    belongs to (hex ids, empty when uncorrelated)."""

    event_name: str
    attributes: dict[str, Any]
    body: Any
    trace_id: str
    span_id: str
    service: str


@dataclass
class CollectorState:
    spans: list[ReceivedSpan] = field(default_factory=list)
    exports: list[ExportRequest] = field(default_factory=list)
    metric_points: dict[str, float] = field(default_factory=dict)
    logs: list[ReceivedLog] = field(default_factory=list)
    log_requests: int = 0
    trace_requests: int = 0
    metric_requests: int = 0
    rejected: int = 0
    bad_requests: int = 0
    #: every accepted export body as received (decompressed), when ``keep_bodies``
    bodies: list[bytes] = field(default_factory=list)


def _any_value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _any_value(kv.value) for kv in kvs}


# /v1/traces, /v1/metrics or /v1/logs, optionally followed by one segment (Honeycomb-style datasets)
_SIGNAL_PATH = re.compile(r"/v1/(traces|metrics|logs)(?:/[^/]+)?$")


def decode_spans(body: bytes) -> list[ReceivedSpan]:
    """Spans of an OTLP/HTTP protobuf ``ExportTraceServiceRequest``."""
    return _decode_traces(body)[0]


def _decode_traces(body: bytes) -> tuple[list[ReceivedSpan], tuple[dict[str, Any], ...]]:
    request = trace_service_pb2.ExportTraceServiceRequest()
    request.ParseFromString(body)
    resources = tuple(_attrs(rs.resource.attributes) for rs in request.resource_spans)
    out = []
    for resource_spans in request.resource_spans:
        service = str(_attrs(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                out.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        service=service,
                        attributes=_attrs(span.attributes),
                        status={0: "UNSET", 1: "OK", 2: "ERROR"}.get(span.status.code, "UNSET"),
                    )
                )
    return out, resources


def decode_logs(body: bytes) -> list[ReceivedLog]:
    """Log records of an OTLP/HTTP protobuf ``ExportLogsServiceRequest``."""
    return _decode_logs(body)[0]


def _decode_logs(body: bytes) -> tuple[list[ReceivedLog], tuple[dict[str, Any], ...]]:
    request = logs_service_pb2.ExportLogsServiceRequest()
    request.ParseFromString(body)
    resources = tuple(_attrs(rl.resource.attributes) for rl in request.resource_logs)
    out = []
    for resource_logs in request.resource_logs:
        service = str(_attrs(resource_logs.resource.attributes).get("service.name", ""))
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                out.append(
                    ReceivedLog(
                        event_name=record.event_name,
                        attributes=_attrs(record.attributes),
                        body=_any_value(record.body) if record.HasField("body") else None,
                        trace_id=record.trace_id.hex(),
                        span_id=record.span_id.hex(),
                        service=service,
                    )
                )
    return out, resources


def decode_metric_sums(body: bytes) -> dict[str, float]:
    """Latest value per metric name (sum of its points; histograms count their samples)."""
    return _decode_metrics(body)[0]


def _decode_metrics(body: bytes) -> tuple[dict[str, float], tuple[dict[str, Any], ...]]:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    request.ParseFromString(body)
    resources = tuple(_attrs(rm.resource.attributes) for rm in request.resource_metrics)
    out: dict[str, float] = {}
    for resource_metrics in request.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                points = getattr(metric, kind).data_points if kind else []
                total = 0.0
                for point in points:
                    if kind == "histogram":
                        total += point.count
                    else:
                        total += point.as_double or point.as_int
                out[metric.name] = total
    return out, resources


class Collector:
    """``with Collector() as c: ... c.endpoint`` — an OTLP/HTTP receiver on 127.0.0.1.

    ``fault``: ``none``; ``slow`` (each export waits ``delay`` seconds); ``reject_429`` /
    ``reject_503`` (refuse every export with that status and ``Retry-After: 1``). Change it at
    runtime with ``set_fault``. ``stop()`` (or leaving the block) makes it unreachable.
    """

    def __init__(
        self, port: int = 0, fault: str = "none", delay: float = 2.0, *, keep_bodies: bool = False
    ) -> None:
        self.state = CollectorState()
        self.keep_bodies = keep_bodies  # keep raw OTLP bytes (for tests that grep what left)
        self._lock = threading.Lock()
        self.set_fault(fault, delay)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """Base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT`` (exporters append ``/v1/<signal>``)."""
        return f"http://127.0.0.1:{self.port}"

    def set_fault(self, fault: str, delay: float = 2.0) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown collector fault {fault!r}; choose from {', '.join(FAULTS)}")
        self.fault, self.delay = fault, delay

    def start(self) -> Collector:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="otlp-collector", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self.state.spans)

    def logs(self) -> list[ReceivedLog]:
        with self._lock:
            return list(self.state.logs)

    def exports(self) -> list[ExportRequest]:
        with self._lock:
            return list(self.state.exports)

    def paths(self) -> set[str]:
        """Every path an export was POSTed to (a wrong endpoint shows up here, answered 404)."""
        return {e.path for e in self.exports()}

    def wait_for_spans(self, count: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Poll until ``count`` spans arrived or ``timeout`` passed; returns what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spans = self.spans()
            if len(spans) >= count:
                return spans
            time.sleep(0.02)
        return self.spans()

    def summary(self) -> dict[str, Any]:
        spans = self.spans()
        ids = {s.span_id for s in spans}
        orphans = [s for s in spans if s.parent_id and s.parent_id not in ids]
        return {
            "spans": len(spans),
            "traces": len({s.trace_id for s in spans}),
            "orphans": len(orphans),
            "trace_requests": self.state.trace_requests,
            "metric_requests": self.state.metric_requests,
            "log_requests": self.state.log_requests,
            "rejected": self.state.rejected,
            "bad_requests": self.state.bad_requests,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if collector.fault == "slow":
                    time.sleep(collector.delay)
                elif collector.fault.startswith("reject_"):
                    with collector._lock:
                        collector.state.rejected += 1
                        collector.state.exports.append(ExportRequest(self.path, headers))
                    self._reply(int(collector.fault.rsplit("_", 1)[1]), {"Retry-After": "1"})
                    return
                encoding = headers.get("content-encoding", "").lower()
                signal = _SIGNAL_PATH.search(self.path)
                try:
                    if encoding == "gzip":
                        body = gzip.decompress(body)
                    elif encoding == "deflate":
                        body = zlib.decompress(body)
                    if collector.keep_bodies:
                        with collector._lock:
                            collector.state.bodies.append(body)
                    if signal is None:
                        with collector._lock:
                            collector.state.exports.append(ExportRequest(self.path, headers))
                        self._reply(404)
                        return
                    if signal.group(1) == "traces":
                        spans, resources = _decode_traces(body)
                        with collector._lock:
                            collector.state.trace_requests += 1
                            collector.state.spans.extend(spans)
                            collector.state.exports.append(
                                ExportRequest(self.path, headers, resources)
                            )
                    elif signal.group(1) == "logs":
                        logs, resources = _decode_logs(body)
                        with collector._lock:
                            collector.state.log_requests += 1
                            collector.state.logs.extend(logs)
                            collector.state.exports.append(
                                ExportRequest(self.path, headers, resources)
                            )
                    else:
                        sums, resources = _decode_metrics(body)
                        with collector._lock:
                            collector.state.metric_requests += 1
                            collector.state.metric_points.update(sums)
                            collector.state.exports.append(
                                ExportRequest(self.path, headers, resources)
                            )
                except Exception:
                    with collector._lock:
                        collector.state.bad_requests += 1
                        collector.state.exports.append(ExportRequest(self.path, headers))
                    self._reply(400)
                    return
                self._reply(200)

            def _reply(self, status: int, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
