"""Spans: capture one block's telemetry in memory, then read it as a tree.

Modules, each importing only those listed before it: ``defaults`` (which attributes the
default render shows and which values it masks: the one home of those lists), ``values`` (how
span values read as text: durations, costs, masks), ``metrics`` (metric points as plain
dicts), ``render`` (the tree as deterministic text: plain and X-ray), ``pattern`` (the pattern
language: parsing, matching, operators), ``diagnosis`` (``assert_tree`` and its failure
message), ``metric_pattern`` (``assert_metrics``), ``tree`` (``SpanTree`` / ``SpanNode``: data
and queries; renders and asserts through the modules before it), ``snapshot`` (the syrupy
extension), ``routing`` (one process-wide provider per signal, routed to the current
capture), ``capture`` (the context manager).

Public API: ``capture`` / ``Capture``, ``build_tree`` / ``SpanTree`` / ``SpanNode``,
``render``, ``assert_tree``, ``assert_metrics``, ``SpanTreeSnapshot``.
"""

from harness.spans.capture import Capture, IncrementalIdGenerator, capture
from harness.spans.diagnosis import assert_tree
from harness.spans.metric_pattern import assert_metrics
from harness.spans.render import render
from harness.spans.snapshot import SpanTreeSnapshot
from harness.spans.tree import SpanNode, SpanTree, build_tree

__all__ = [
    "Capture",
    "IncrementalIdGenerator",
    "SpanNode",
    "SpanTree",
    "SpanTreeSnapshot",
    "assert_metrics",
    "assert_tree",
    "build_tree",
    "capture",
    "render",
]
