"""Span trees: captured spans arranged parent-to-child, queryable, renderable, assertable.

``build_tree(spans)`` links spans by parent id. Children are ordered by start time, then by the
order they started (when the capture knows it), then by name, so a tree is the same on every
run. Spans whose parent was not captured are kept as *orphans* and reported, not dropped.

Rendering lives in ``harness.spans.render``, partial-tree patterns in ``harness.spans.pattern``;
both only read trees, so they import this module for type hints only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from harness.spans.diagnosis import assert_tree
from harness.spans.render import render


class SpanNode:
    """One span with its children; ``attributes`` is a plain dict."""

    def __init__(self, span: ReadableSpan) -> None:
        self.span = span
        self.name: str = span.name
        self.kind: str = span.kind.name
        self.status: str = span.status.status_code.name
        self.status_description: str | None = span.status.description
        self.attributes: dict[str, Any] = dict(span.attributes or {})
        self.events = list(span.events)
        self.start_ns: int = span.start_time or 0
        self.end_ns: int = span.end_time or self.start_ns
        self.span_id: int = span.context.span_id
        self.trace_id: int = span.context.trace_id
        self.parent: SpanNode | None = None
        self.children: list[SpanNode] = []

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def duration_seconds(self) -> float:
        return self.duration_ns / 1e9

    def descendants(self) -> Iterator[SpanNode]:
        """Every span below this one, depth first, in tree order."""
        for child in self.children:
            yield child
            yield from child.descendants()

    def matches(self, name: str = "*", **attributes: Any) -> bool:
        """Name matches the glob and every given attribute is equal (``_`` may stand for ``.``)."""
        return fnmatchcase(self.name, name) and all(
            _attribute(self.attributes, key) == value for key, value in attributes.items()
        )

    def find_all(self, name: str = "*", **attributes: Any) -> list[SpanNode]:
        """Descendants matching ``name`` (glob) and ``attributes``, in tree order."""
        return [node for node in self.descendants() if node.matches(name, **attributes)]

    def find(self, name: str, **attributes: Any) -> SpanNode:
        """The one descendant matching; an error says how many there were if not exactly one."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return _exactly_one(
            self.find_all(name, **attributes),
            name,
            attributes,
            f"`{self.name}`",
            self.descendants(),
        )

    def __repr__(self) -> str:
        return f"SpanNode({self.name!r}, children={len(self.children)})"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _attribute(attributes: Mapping[str, Any], key: str) -> Any:
    if key in attributes:
        return attributes[key]
    for actual in attributes:
        if actual.replace(".", "_") == key:
            return attributes[actual]
    return _MISSING


def _exactly_one(
    found: list[SpanNode],
    name: str,
    attributes: dict[str, Any],
    where: str,
    searched: Iterable[SpanNode],
) -> SpanNode:
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    if len(found) == 1:
        return found[0]
    wanted = " ".join([name, *(f"{k}={v!r}" for k, v in attributes.items())])
    if found:
        hint = " (add attributes to tell them apart, or use find_all)"
    else:
        searched = list(searched)
        named = [n for n in searched if fnmatchcase(n.name, name)]
        names = sorted({n.name for n in searched})
        seen = sorted(
            {" ".join(f"{k}={_attribute(n.attributes, k)!r}" for k in attributes) for n in named}
        )
        hint = (
            f"; spans so named have {'; '.join(seen[:5])}"
            if named
            else f"; spans there: {', '.join(names) or 'none'}"
        )
    raise LookupError(
        f"expected exactly one span matching `{wanted}` in {where}, found {len(found)}{hint}"
    )


class SpanTree:
    """Root spans (and orphans) of a capture, plus optional metrics, with render options.

    ``str(tree)`` renders it; ``tree == snapshot`` compares its text with a syrupy snapshot
    (stored as a readable ``.txt`` file; keep the tree on the left, since ``snapshot == tree``
    lets syrupy's default serializer go first); ``tree == "text"`` compares with a string.
    """

    def __init__(
        self,
        roots: list[SpanNode],
        orphans: list[SpanNode],
        metrics: list[dict[str, Any]] | None = None,
        unfinished: list[str] | None = None,
        **render_options: Any,
    ) -> None:
        self.roots = roots
        self.orphans = orphans
        self.metrics = metrics
        self.unfinished = unfinished or []
        self.render_options = render_options

    # ------------------------------------------------------------------ query

    def nodes(self) -> Iterator[SpanNode]:
        """Every span, roots and orphans included, depth first."""
        for top in [*self.roots, *self.orphans]:
            yield top
            yield from top.descendants()

    def find_all(self, name: str = "*", **attributes: Any) -> list[SpanNode]:
        return [node for node in self.nodes() if node.matches(name, **attributes)]

    def find(self, name: str, **attributes: Any) -> SpanNode:
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        return _exactly_one(
            self.find_all(name, **attributes), name, attributes, "the tree", self.nodes()
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.nodes())

    # ------------------------------------------------------------------ views

    def render(self, **overrides: Any) -> str:
        """Deterministic text; options: style, verbose, attributes, masks, durations."""
        return render(self, **{**self.render_options, **overrides})

    def xray(self) -> str:
        """The guide's X-ray view: durations, tokens and cost per span, slowest child marked."""
        return self.render(style="xray")

    def assert_tree(self, pattern: str, *, exact: bool = False) -> None:
        """Assert that the tree contains ``pattern`` (an indented partial tree).

        See ``harness.spans.pattern`` for the pattern language. ``exact=True`` also requires
        each listed span to have exactly the listed children (attributes stay partial).
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        assert_tree(self, pattern, exact=exact)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"SpanTree({len(self)} spans)\n{self.render()}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SpanTree):
            return self.render() == other.render()
        if isinstance(other, str):
            return self.render() == other
        if type(other).__name__ == "SnapshotAssertion":
            from harness.spans.snapshot import SpanTreeSnapshot

            return other(extension_class=SpanTreeSnapshot) == self  # type: ignore[operator]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def build_tree(
    spans: Iterable[ReadableSpan],
    *,
    order: Mapping[int, int] | None = None,
    metrics: list[dict[str, Any]] | None = None,
    unfinished: list[str] | None = None,
    **render_options: Any,
) -> SpanTree:
    """Link spans into a tree. ``order`` maps span id to start sequence (ties at equal times)."""
    order = order or {}
    nodes = [SpanNode(span) for span in spans]
    by_id = {(node.trace_id, node.span_id): node for node in nodes}
    roots: list[SpanNode] = []
    orphans: list[SpanNode] = []
    for node in nodes:
        parent_ctx = node.span.parent
        if parent_ctx is None or not parent_ctx.is_valid:
            roots.append(node)
            continue
        parent = by_id.get((parent_ctx.trace_id, parent_ctx.span_id))
        if parent is None:
            orphans.append(node)
        else:
            node.parent = parent
            parent.children.append(node)

    def key(node: SpanNode) -> tuple[int, int, str]:
        return (node.start_ns, order.get(node.span_id, 0), node.name)

    for node in nodes:
        node.children.sort(key=key)
    roots.sort(key=key)
    orphans.sort(key=key)
    return SpanTree(roots, orphans, metrics, unfinished, **render_options)


__all__ = ["SpanNode", "SpanTree", "build_tree"]
