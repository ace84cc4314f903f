"""Partial metric assertions from a text pattern, read like the tree patterns.

One metric per line; only what a line names must match::

    gen_ai.client.token.usage gen_ai.token.type=input value=12
    gen_ai.client.operation.duration count=1 sum=<duration>
    llm.requests llm.model=gpt-4o-mini value=1
    llm.cost value>0

- the first word is the metric name or a glob (quoted with ``"..."`` if it has spaces);
- ``label=value`` pairs select points by their attributes (labels), with the tree patterns'
  values and operators (globs, ``<masked>`` = present, ``!=``, ``>``, ``>=``, ``<``, ``<=``);
- the points so selected are added up (as ``Capture.metric_value`` does), then compared with
  ``value=`` (a counter's or gauge's value; a histogram's sum), ``count=``, ``sum=``, ``min=``,
  ``max=`` and ``buckets=[bound:count,...]``; floats compare to 1e-9 relative;
- ``(unit)`` and a type word (``counter``, ``updown_counter``, ``gauge``, ``histogram``) select
  the points of that unit and type (two instrumentations may record one name in two units); so a line of the rendered ``metrics:`` section pastes as a pattern
  (a wall-clock ``sum=<duration>`` there matches any sum).

Blank lines, ``#`` lines and a ``metrics:`` header are skipped. On a mismatch the
AssertionError names the pattern line (and ``file:line`` in the test), the nearest recorded
points with why each does not match, the numbered pattern and every recorded point.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from harness.spans.metrics import MetricPoint, aggregate
from harness.spans.pattern import (
    field_matches,
    located,
    pattern_origin,
    read_name,
    split_field,
    tokenize,
)
from harness.spans.render import metric_line
from harness.spans.values import format_value, parse_scalar

#: Keys that compare the added-up numbers rather than select points by label.
STATISTICS = ("value", "count", "sum", "min", "max", "buckets")
METRIC_TYPES = ("counter", "updown_counter", "gauge", "histogram")


@dataclass
class MetricLine:
    """One parsed metric pattern line."""

    number: int
    text: str
    name: str
    unit: str | None = None
    type: str | None = None
    labels: dict[str, tuple[str, str, Any]] = field(default_factory=dict)  # key -> (op, raw, v)
    stats: dict[str, tuple[str, str, Any]] = field(default_factory=dict)


def parse_metric_pattern(pattern: str) -> list[MetricLine]:
    """The pattern's metric lines, numbered from 1 at the pattern's first line."""
    lines = []
    for number, raw in enumerate(pattern.splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#") or text == "metrics:":
            continue
        tokens = tokenize(text)
        line = MetricLine(number, text, read_name(tokens[0], number))
        for token in tokens[1:]:
            split = split_field(token)
            if token.startswith("(") and token.endswith(")"):
                line.unit = token[1:-1]
            elif token in METRIC_TYPES:
                line.type = token
            elif split is not None:
                key, op, value = split
                parsed = _buckets(value, number) if key == "buckets" else parse_scalar(value)
                (line.stats if key in STATISTICS else line.labels)[key] = (op, value, parsed)
            else:
                raise ValueError(
                    f"pattern line {number}: cannot read {token!r} in {text!r} (expected "
                    "label=value, value=N, count=N, sum=N, min=N, max=N, (unit) or a type)"
                )
        lines.append(line)
    return lines


def _buckets(raw: str, number: int) -> Any:
    if raw.startswith("<"):
        return raw
    try:
        pairs = [item.rsplit(":", 1) for item in raw.strip("[]").split(",") if item]
        return {float(bound): int(count) for bound, count in pairs}
    except ValueError:
        raise ValueError(
            f"pattern line {number}: buckets={raw} is not [bound:count,...] "
            "(as the rendered metrics show them)"
        ) from None


def assert_metrics(points: list[MetricPoint], pattern: str) -> None:
    """Raise AssertionError naming the first line no recorded metric satisfies."""
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    origin = pattern_origin(pattern)
    try:
        lines = parse_metric_pattern(pattern)
    except ValueError as exc:
        raise ValueError(located(str(exc), origin)) from None
    if not lines:
        raise ValueError("empty metric pattern: write one metric name (or glob) per line")
    for line in lines:
        if not any(not problems for _, problems in _attempts(line, points)):
            raise AssertionError(_report(line, points, pattern, origin))


def _attempts(line: MetricLine, points: list[MetricPoint]) -> list[tuple[str, list[str]]]:
    """For each metric named like the line: (name, why its selected points do not match)."""
    out = []
    for name in sorted({p["name"] for p in points if fnmatchcase(p["name"], line.name)}):
        named = [p for p in points if p["name"] == name]
        series = [p for p in named if not _kind_problems(line, p)]
        if not series:
            out.append((name, _kind_problems(line, named[0])))
            continue
        problems: list[str] = []
        chosen = [p for p in series if not _label_problems(line, p)]
        if not chosen:
            problems.append(f"no point has {_wanted(line.labels)}")
        else:
            problems += _stat_problems(line, chosen)
        out.append((name, problems))
    return out


def _kind_problems(line: MetricLine, point: MetricPoint) -> list[str]:
    problems = []
    if line.unit is not None and point["unit"] != line.unit:
        problems.append(f"unit is {point['unit']!r}, expected {line.unit!r}")
    if line.type is not None and point["type"] != line.type:
        problems.append(f"type is {point['type']}, expected {line.type}")
    return problems


def _label_problems(line: MetricLine, point: MetricPoint) -> list[str]:
    problems = []
    for key, (op, raw, value) in line.labels.items():
        labels = point["attributes"]
        actual = labels.get(key, labels.get(key.replace("_", "."), _ABSENT))
        if actual is _ABSENT:
            problems.append(f"{key} is missing")
        elif not field_matches(actual, op, raw, value, key):
            problems.append(f"{key} is {format_value(actual)}, expected {_want(op, raw)}")
    return problems


_ABSENT = object()


def _stat_problems(line: MetricLine, chosen: list[MetricPoint]) -> list[str]:
    total = aggregate(chosen)
    histogram = chosen[0]["type"] == "histogram"
    problems = []
    for key, (op, raw, expected) in line.stats.items():
        if histogram:
            actual = total["sum"] if key == "value" else total[key]
        elif key == "value":
            actual = total
        else:
            problems.append(f"{key}= applies to histograms; this is a {chosen[0]['type']}")
            continue
        if raw.startswith("<") and raw.endswith(">"):
            continue  # masked: present is enough
        if not _compare(actual, op, raw, expected):
            added = f" (the {len(chosen)} points selected, added up)" if len(chosen) > 1 else ""
            shown = _show(actual)
            problems.append(f"{key} is {shown}, expected {_want(op, raw)}{added}")
    return problems


def _compare(actual: Any, op: str, raw: str, expected: Any) -> bool:
    if isinstance(expected, dict):
        return op == "=" and actual == expected
    numbers = (int, float)
    if op == "=" and isinstance(actual, numbers) and isinstance(expected, numbers):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)
    return field_matches(actual, op, raw, expected)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "[" + ",".join(f"{format_value(b)}:{n}" for b, n in value.items()) + "]"
    return format_value(value)


def _want(op: str, raw: str) -> str:
    return raw if op == "=" else f"{op} {raw}"


def _wanted(labels: dict[str, tuple[str, str, Any]]) -> str:
    return " ".join(f"{k}{op}{raw}" for k, (op, raw, _) in labels.items()) or "(any labels)"


def _report(
    line: MetricLine, points: list[MetricPoint], pattern: str, origin: tuple[str, int] | None
) -> str:
    attempts = _attempts(line, points)
    if attempts:
        nearest = []
        for name, problems in attempts[:5]:
            series = [p for p in points if p["name"] == name]
            ranked = sorted(series, key=lambda p: len(_label_problems(line, p)))
            nearest.append(f"    {name}: " + "; ".join(problems))
            nearest += [
                f"      {metric_line(p)}"
                + (f"  ({'; '.join(_label_problems(line, p))})" if _label_problems(line, p) else "")
                for p in ranked[:3]
            ]
        why = "metrics named like it, and why they do not match:\n" + "\n".join(nearest)
    else:
        names = sorted({p["name"] for p in points})
        close = difflib.get_close_matches(line.name, names, n=3, cutoff=0.5)
        why = f"no metric is named like {line.name!r}; " + (
            f"nearest: {', '.join(close)}" if close else f"recorded: {', '.join(names) or 'none'}"
        )
    numbered = [
        f"  {n:>3} | {text.rstrip()}" + ("  <-- not found" if n == line.number else "")
        for n, text in enumerate(pattern.splitlines(), start=1)
        if text.strip()
    ]
    recorded = "\n".join(f"  {metric_line(p)}" for p in points) or "  (no metrics)"
    return (
        "metrics do not match the pattern\n"
        f"{located(f'pattern line {line.number}', origin, line.number)}: `{line.text}`\n"
        f"  {why}\n\n"
        "expected (pattern):\n" + "\n".join(numbered) + "\n\n"
        "recorded metrics:\n" + recorded + "\n"
    )


__all__ = ["METRIC_TYPES", "STATISTICS", "MetricLine", "assert_metrics", "parse_metric_pattern"]
