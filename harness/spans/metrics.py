"""Metrics read out of an ``InMemoryMetricReader`` as plain, deterministically sorted dicts.

The SDK's ``MetricsData`` is nested four deep (resource, scope, metric, point) and carries
timestamps; tests want "what was recorded, by name and labels", so that is what this returns.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    Sum,
)

MetricPoint = dict[str, Any]


def read_metrics(reader: InMemoryMetricReader) -> list[MetricPoint]:
    """One dict per data point: name, unit, type, attributes, then value or histogram fields."""
    data = reader.get_metrics_data()
    points: list[MetricPoint] = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    entry: MetricPoint = {
                        "name": metric.name,
                        "unit": metric.unit or "",
                        "type": _kind(metric.data),
                        "attributes": dict(sorted((point.attributes or {}).items())),
                    }
                    if isinstance(metric.data, Histogram):
                        entry.update(_histogram(point))
                    else:
                        entry["value"] = point.value
                    points.append(entry)
    # name, then labels; unit and type break ties between same-named instruments of two
    # instrumentations, so the order never depends on which registered first
    return sorted(
        points,
        key=lambda p: (
            p["name"],
            sorted((k, str(v)) for k, v in p["attributes"].items()),
            p["unit"],
            p["type"],
        ),
    )


def _kind(data: Any) -> str:
    if isinstance(data, Sum):
        return "counter" if data.is_monotonic else "updown_counter"
    if isinstance(data, Gauge):
        return "gauge"
    if isinstance(data, Histogram):
        return "histogram"
    return type(data).__name__.lower()


def _histogram(point: Any) -> dict[str, Any]:
    bounds = [*point.explicit_bounds, float("inf")]
    return {
        "count": point.count,
        "sum": point.sum,
        "min": point.min,
        "max": point.max,
        # only the buckets something fell into: upper bound -> count
        "buckets": {bound: n for bound, n in zip(bounds, point.bucket_counts, strict=True) if n},
    }


def metric_value(
    points: list[MetricPoint], name: str, default: Any, attributes: dict[str, Any]
) -> Any:
    """Sum of the points of ``name`` whose attributes include ``attributes`` (``_`` may stand for ``.``)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    matching = [
        p for p in points if p["name"] == name and _labels_match(p["attributes"], attributes)
    ]
    if not matching:
        if default is not ...:
            return default
        known = sorted({p["name"] for p in points})
        series = [p["attributes"] for p in points if p["name"] == name]
        hint = f"; its series: {series}" if series else f"; recorded metrics: {known or 'none'}"
        raise LookupError(f"no metric {name!r} with attributes {attributes}{hint}")
    return aggregate(matching)


def aggregate(points: list[MetricPoint]) -> Any:
    """Points of one metric added up: a number for counters and gauges, else a histogram dict
    (count and sum added, min and max of all, bucket counts added)."""
    if points[0]["type"] == "histogram":
        merged: dict[str, Any] = {"count": 0, "sum": 0, "min": None, "max": None, "buckets": {}}
        for p in points:
            merged["count"] += p["count"]
            merged["sum"] += p["sum"]
            merged["min"] = p["min"] if merged["min"] is None else min(merged["min"], p["min"])
            merged["max"] = p["max"] if merged["max"] is None else max(merged["max"], p["max"])
            for bound, n in p["buckets"].items():
                merged["buckets"][bound] = merged["buckets"].get(bound, 0) + n
        merged["buckets"] = dict(sorted(merged["buckets"].items()))
        return merged
    return sum(p["value"] for p in points)


def _labels_match(actual: dict[str, Any], wanted: dict[str, Any]) -> bool:
    for key, value in wanted.items():
        candidates = [k for k in actual if k == key or k.replace(".", "_") == key]
        if not any(actual[k] == value for k in candidates):
            return False
    return True


__all__ = ["MetricPoint", "aggregate", "metric_value", "read_metrics"]
