"""Render a ``SpanTree`` as deterministic text: the plain tree, the X-ray view, the metrics.

Plain style, one span per line (a line can be pasted into an ``assert_tree`` pattern)::

    llm.request 1.20s llm.model=gpt-4o-mini llm.tokens.input=12
    └── llm.openai.stream [CLIENT] 1.10s llm.streaming=true

Kind is shown unless INTERNAL, status unless UNSET. Which attributes show by default, and
which values are masked (ids, ports, hosts, fingerprints, timestamps, wall-clock durations,
metrics in a unit of time), is decided once in ``harness.spans.defaults`` for every
instrumentation and your own spans; ``verbose=True`` shows all attributes, ``attributes=[globs]``
picks your own, ``also=[globs]`` adds to the default, ``masks`` adds or (with a value of None)
removes masking rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from harness.spans.defaults import DEFAULT_MASKS, Mask, default_selection, is_time_metric
from harness.spans.values import (
    TEXT_LIMIT,
    format_cost,
    format_duration,
    format_value,
    show_value,
)
from sik_llms.telemetry import names as n

if TYPE_CHECKING:  # the tree module imports this one to render itself
    from harness.spans.tree import SpanNode, SpanTree

N = TypeVar("N")

_NONE = object()


def render(
    tree: SpanTree,
    *,
    style: str = "plain",
    verbose: bool = False,
    attributes: Iterable[str] | None = None,
    also: Iterable[str] = (),
    masks: dict[str, Mask | None] | None = None,
    durations: bool = True,
) -> str:
    """The whole tree as text ending in a newline (roots, orphans, unfinished, metrics).

    ``attributes``: globs of the attributes to show instead of the default view
    (``harness.spans.defaults``); ``also``: globs shown in addition to it; ``masks``: rules
    added to (or, with None, removed from) ``DEFAULT_MASKS``.
    """
    if style not in ("plain", "xray"):
        raise ValueError(f"style must be 'plain' or 'xray', not {style!r}")
    for option, value in (("attributes", attributes), ("also", also)):
        if isinstance(value, str):
            raise TypeError(f"{option} takes a list of globs, not the string {value!r}")
    rules = {**DEFAULT_MASKS, **(masks or {})}
    view = _View(
        xray=style == "xray",
        verbose=verbose,
        attributes=tuple(attributes) if attributes is not None else None,
        also=tuple(also),
        masks={k: v for k, v in rules.items() if v is not None},
        unmasked=tuple(k for k, v in (masks or {}).items() if v is None),
        durations=durations,
    )
    lines: list[str] = []
    line = view.xray_line if style == "xray" else view.plain_line
    for root in tree.roots:
        if style == "xray":
            lines.append(view.xray_header(root))
        _walk(root, "", line, view, lines)
    if tree.orphans:
        lines += [*_gap(lines), "orphans (parent span not captured):"]
        for orphan in tree.orphans:
            _walk(orphan, "  ", line, view, lines)
    if tree.unfinished:
        lines += [
            *_gap(lines),
            "unfinished spans (started, never ended): " + ", ".join(tree.unfinished),
        ]
    if tree.metrics:
        lines += [*_gap(lines), "metrics:"]
        lines += ["  " + metric_line(point, view) for point in tree.metrics]
    if not lines:
        lines.append("(no spans)")
    return "\n".join(lines) + "\n"


def _gap(lines: list[str]) -> list[str]:
    return [""] if lines else []


@dataclass(frozen=True)
class Connectors:
    """The glyphs that draw a tree: before a child (``branch``, ``last`` for the final one)
    and under a parent (``pipe`` while siblings follow, ``space`` after the last)."""

    branch: str
    last: str
    pipe: str
    space: str


UNICODE = Connectors(branch="├── ", last="└── ", pipe="│   ", space="    ")
ASCII = Connectors(branch="|- ", last="`- ", pipe="|  ", space="   ")


@dataclass(frozen=True)
class TreeRow(Generic[N]):
    """One node of a drawn tree: ``first`` is drawn before its line, ``rest`` before the lines
    under it (its events or details); ``depth`` is 0 for the root."""

    node: N
    first: str
    rest: str
    depth: int
    is_last: bool


def tree_rows(
    root: N,
    children: Callable[[N], Sequence[N]],
    *,
    connectors: Connectors = UNICODE,
    indent: str = "",
) -> Iterator[TreeRow[N]]:
    """Every node below and including ``root``, depth first, with the prefixes that draw the
    tree (the one drawing the span tree, the demo and any report share); ``children`` gives a
    node's children in order, so any tree shape works (``SpanNode``, report dicts)."""
    stack: list[tuple[N, str, str, int, bool]] = [(root, indent, indent, 0, True)]
    while stack:
        node, first, rest, depth, is_last = stack.pop()
        yield TreeRow(node, first, rest, depth, is_last)
        kids = list(children(node))
        for i in range(len(kids) - 1, -1, -1):
            last = i == len(kids) - 1
            stack.append(
                (
                    kids[i],
                    rest + (connectors.last if last else connectors.branch),
                    rest + (connectors.space if last else connectors.pipe),
                    depth + 1,
                    last,
                )
            )


def _walk(
    node: SpanNode, indent: str, line: Callable[[SpanNode], str], view: _View, out: list[str]
) -> None:
    for row in tree_rows(node, lambda n: n.children, indent=indent):
        here = row.node
        text = row.first + line(here)
        if here.parent is not None and row.depth > 0 and here is view.slowest(here.parent.children):
            text += "  ◀ slowest"
        out.append(text)
        event_prefix = row.rest + (UNICODE.pipe if here.children else UNICODE.space)
        for event in here.events:
            event_text = view.event_text(event)
            if event_text is not None:
                out.append(event_prefix + event_text)


class _View:
    def __init__(
        self,
        *,
        xray: bool,
        verbose: bool,
        attributes: tuple[str, ...] | None,
        also: tuple[str, ...] = (),
        masks: dict[str, Mask],
        unmasked: tuple[str, ...] = (),
        durations: bool,
    ) -> None:
        self.xray = xray
        self.verbose = verbose
        self.attributes = attributes
        self.also = also
        self.masks = masks
        self.unmasked = unmasked
        self.durations = durations

    # ------------------------------------------------------------------ plain

    def plain_line(self, node: SpanNode) -> str:
        parts = [quote_name(node.name)]
        if node.kind != "INTERNAL":
            parts.append(f"[{node.kind}]")
        if self.durations:
            parts.append(format_duration(node.duration_ns))
        if node.status != "UNSET":
            parts.append(f"status={node.status}")
            if node.status_description:
                parts.append(
                    "status.description="
                    + self.value(node.status_description, "status.description")
                )
        parts += [
            f"{key}={self.value(value, key)}"
            for key, value in self.selected(node.attributes, node.parent)
        ]
        return " ".join(parts)

    def selected(
        self, attributes: dict[str, Any], parent: SpanNode | None = None
    ) -> list[tuple[str, Any]]:
        """Attributes to show; outside verbose mode, ones repeating the parent's value are left out."""
        keys = sorted(attributes)
        if not self.verbose:
            if self.attributes is None:
                chosen = set(default_selection(attributes))
            else:
                chosen = {k for k in keys if any(fnmatchcase(k, g) for g in self.attributes)}
            chosen |= {k for k in keys if any(fnmatchcase(k, g) for g in self.also)}
            inherited = parent.attributes if parent is not None else {}
            keys = [k for k in keys if k in chosen and inherited.get(k, _NONE) != attributes[k]]
        return [(k, attributes[k]) for k in keys]

    def value(self, value: Any, key: str) -> str:
        return show_value(value, key, self.masks, None if self.verbose else TEXT_LIMIT)

    def event_text(self, event: Any) -> str | None:
        attrs = dict(event.attributes or {})
        if not self.verbose:
            if event.name != "exception":
                return None
            attrs = {k: v for k, v in attrs.items() if k in ("exception.type", "exception.message")}
        return " ".join(
            ["·", event.name, *(f"{k}={self.value(v, k)}" for k, v in sorted(attrs.items()))]
        )

    # ------------------------------------------------------------------ xray

    def slowest(self, children: list[SpanNode]) -> SpanNode | None:
        if not self.xray or len(children) < 2 or not self.durations:
            return None
        longest = max(child.duration_ns for child in children)
        if longest == 0:
            return None
        return next(child for child in children if child.duration_ns == longest)

    def xray_header(self, root: SpanNode) -> str:
        tokens, cost = _totals(root)
        parts = [f"trace {root.trace_id}"]
        if self.durations:
            parts.append(f"{format_duration(root.duration_ns)} total")
        if tokens:
            parts.append(f"{tokens} tokens")
        if cost:
            parts.append(f"${format_cost(cost)}")
        return f"{parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else parts[0]

    def xray_line(self, node: SpanNode) -> str:
        parts = [quote_name(node.name)]
        if self.durations:
            parts.append(f"({format_duration(node.duration_ns)})")
        tokens_in, tokens_out = _tokens(node.attributes)
        if tokens_in is not None or tokens_out is not None:
            parts.append(f"{tokens_in or 0}→{tokens_out or 0} tokens")
        cost = _cost(node.attributes)
        if cost:
            parts.append(f"${format_cost(cost)}")
        model = node.attributes.get("llm.model")
        if model and (node.parent is None or node.parent.attributes.get("llm.model") != model):
            parts.append(str(model))
        if node.status == "ERROR":
            error = node.attributes.get("error.type") or node.status_description or ""
            parts.append(f"ERROR {error}".rstrip())
        return " ".join(parts)


def _cost(attributes: dict[str, Any]) -> Any:
    """A call's cost, or an agent run's total over its calls."""
    return attributes.get(n.LLM_COST_TOTAL, attributes.get(n.LLM_REASONING_COST_TOTAL))


def _tokens(attributes: dict[str, Any]) -> tuple[Any, Any]:
    tokens_in = attributes.get("llm.tokens.input", attributes.get("gen_ai.usage.input_tokens"))
    tokens_out = attributes.get("llm.tokens.output", attributes.get("gen_ai.usage.output_tokens"))
    return tokens_in, tokens_out


def _totals(node: SpanNode) -> tuple[int, float]:
    """Tokens and cost of a subtree, counting each call once (the outermost span that has them)."""
    tokens_in, tokens_out = _tokens(node.attributes)
    if tokens_in is not None or tokens_out is not None:
        return int(tokens_in or 0) + int(tokens_out or 0), float(_cost(node.attributes) or 0)
    tokens, cost = 0, 0.0
    for child in node.children:
        child_tokens, child_cost = _totals(child)
        tokens += child_tokens
        cost += child_cost
    return tokens, cost


def quote_name(name: str) -> str:
    """A span name as a pattern token: JSON-quoted when it has spaces or quotes
    (``"chat gpt-4o-mini"``), so rendered lines paste into ``assert_tree`` patterns."""
    if not name or any(c.isspace() for c in name) or name.startswith(('"', "[")):
        return json.dumps(name, ensure_ascii=False)
    return name


def metric_line(point: dict[str, Any], view: _View | None = None) -> str:
    """``name (unit) label=value ... value=N`` or the histogram's count, sum, min, max, buckets."""
    unit = f" ({point['unit']})" if point.get("unit") else ""
    masks = view.masks if view is not None else DEFAULT_MASKS
    labels = " ".join(f"{k}={show_value(v, k, masks)}" for k, v in point["attributes"].items())
    head = f"{point['name']}{unit} {point['type']}" + (f" {labels}" if labels else "")
    masked = metric_mask(point, masks, view.unmasked if view is not None else ())
    if masked is not None and point["type"] == "histogram":
        return f"{head} count={point['count']} sum={masked}"
    if masked is not None:
        return f"{head} value={masked}"
    if point["type"] == "histogram":
        buckets = ",".join(f"{format_value(b)}:{n}" for b, n in point["buckets"].items())
        return (
            f"{head} count={point['count']} sum={format_value(point['sum'])} "
            f"min={format_value(point['min'])} max={format_value(point['max'])} buckets=[{buckets}]"
        )
    return f"{head} value={format_value(point['value'])}"


def metric_mask(
    point: dict[str, Any], masks: dict[str, Mask], unmasked: Iterable[str] = ()
) -> str | None:
    """The placeholder a metric point's value renders as, or None to show it: a mask whose glob
    matches the metric's name, else ``<duration>`` for a unit of time, unless a glob in
    ``unmasked`` (the ``masks={glob: None}`` entries) names the metric."""
    if any(fnmatchcase(point["name"], glob) for glob in unmasked):
        return None
    for glob, mask in masks.items():
        if fnmatchcase(point["name"], glob) and isinstance(mask, str):
            return mask
    return "<duration>" if is_time_metric(point) else None


__all__ = [
    "ASCII",
    "UNICODE",
    "Connectors",
    "TreeRow",
    "metric_line",
    "metric_mask",
    "quote_name",
    "render",
    "tree_rows",
]
