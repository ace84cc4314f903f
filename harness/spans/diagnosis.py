"""``assert_tree``: assert a partial span tree, and explain a mismatch so it never misleads.

The message names the pattern line that found no span (1-based in the pattern string, plus
``file:line`` in your test when the pattern is written there), then, for each span with that
name in the place it was looked for, the exact reason it does not match: a differing
attribute, a missing child, sitting one level deeper than written, already taken by an earlier
line, or coming before its previous sibling (only then "out of order"). Then the numbered
pattern and the actual tree, rendered with every attribute the pattern names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from harness.spans.pattern import (
    EXACT_COUNT,
    Matcher,
    PatternLine,
    located,
    parse_pattern,
    pattern_origin,
)
from harness.spans.render import render

if TYPE_CHECKING:  # the tree module imports this one for SpanTree.assert_tree
    from harness.spans.tree import SpanNode, SpanTree


def assert_tree(tree: SpanTree, pattern: str, *, exact: bool = False) -> None:
    """Raise AssertionError, showing the failing pattern line and the actual tree, on mismatch.

    A pattern that cannot be read raises ValueError naming the line; an empty one, ValueError.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    origin = pattern_origin(pattern)
    try:
        lines = parse_pattern(pattern)
    except ValueError as exc:
        raise ValueError(located(str(exc), origin)) from None
    if not lines:
        raise ValueError("empty span-tree pattern: write one span name (or glob) per line")
    matcher = Matcher(exact)
    nodes = list(tree.nodes())
    failure = _locate(matcher, lines, tree.roots, nodes, None, "the tree", exact, nodes)
    if failure is None:
        return
    raise AssertionError(report(tree, pattern, lines, failure, matcher, origin))


# ---------------------------------------------------------------------- where it failed


@dataclass
class Failure:
    """A pattern line that found no span, with where it was looked for."""

    line: PatternLine
    candidates: list[SpanNode]  # the spans the line's siblings were matched against, in order
    parent: SpanNode | None  # the span they sit under (None: the top, or a `...` block)
    where: str  # "the tree" or "`name`", for the message
    scope: list[SpanNode]  # where spans with the line's name are looked for
    taken: dict[int, int] = field(default_factory=dict)  # id(node) -> line that matched it
    previous: SpanNode | None = None  # the span the line before it matched


def _locate(
    matcher: Matcher,
    lines: list[PatternLine],
    candidates: list[SpanNode],
    everywhere: list[SpanNode],
    parent: SpanNode | None,
    where: str,
    exact: bool,
    scope: list[SpanNode],
    at: PatternLine | None = None,
) -> Failure | None:
    """The first failing line, followed into the span that matches it but not its children."""
    if exact:
        counted = matcher.count_mismatch(lines, candidates, at)
        if counted is not None:
            return Failure(counted, candidates, parent, where, scope)
    if matcher.sequence(lines, candidates, everywhere, exact=exact, at=at) is None:
        return None
    cursor, taken, previous = 0, {}, None
    for line in lines:
        if line.anywhere:
            failure = _locate(
                matcher, line.children, everywhere, everywhere, None, where, False, everywhere
            )
            if failure is not None:
                return failure
            continue
        tried = range(cursor, min(cursor + 1, len(candidates)) if exact else len(candidates))
        found = next((i for i in tried if matcher.node(line, candidates[i])), None)
        if found is None:
            return _drill(matcher, line, candidates, parent, where, scope, taken, previous)
        taken[id(candidates[found])] = line.number
        previous, cursor = candidates[found], found + 1
    return None  # unreachable: sequence() said a line fails


def _drill(
    matcher: Matcher,
    line: PatternLine,
    candidates: list[SpanNode],
    parent: SpanNode | None,
    where: str,
    scope: list[SpanNode],
    taken: dict[int, int],
    previous: SpanNode | None,
) -> Failure:
    """Follow ``line`` into the first span that matches it itself but not its children."""
    ordered = [*candidates, *(n for n in scope if n not in candidates)]
    for node in ordered:
        if id(node) in taken or matcher.mismatches(line, node, deep=False):
            continue
        if matcher.children(line, node) is not None:
            inner = _locate(
                matcher,
                line.children,
                node.children,
                list(node.descendants()),
                node,
                f"`{node.name}`",
                matcher.exact,
                list(node.descendants()),
                at=line,
            )
            if inner is not None:
                return inner
    return Failure(line, candidates, parent, where, scope, taken, previous)


# ---------------------------------------------------------------------- the message


def report(
    tree: SpanTree,
    pattern: str,
    lines: list[PatternLine],
    failure: Failure,
    matcher: Matcher,
    origin: tuple[str, int] | None = None,
) -> str:
    """The whole AssertionError text for ``failure``."""
    missing = failure.line
    if missing.name == EXACT_COUNT:
        why = f"{missing.note} (exact=True: every child must be listed, in order)"
    else:
        near = [n for n in failure.scope if fnmatchcase(n.name, missing.name)]
        if near:
            reasons = [
                f"    {n.name} (under {n.parent.name if n.parent else 'no parent'}): "
                + "; ".join(matcher.mismatches(missing, n, deep=True) or [_placement(n, failure)])
                for n in near[:5]
            ]
            why = (
                f"spans with that name in {failure.where}, and why they do not match:\n"
                + "\n".join(reasons)
            )
        else:
            names = sorted({n.name for n in failure.scope})
            why = (
                f"no span in {failure.where} is named like {missing.name!r}; "
                f"spans there: {', '.join(names) or 'none'}"
            )
    keys = sorted(
        {k for line in _all_lines(lines) for k in line.fields if not k.startswith("status")}
    )
    actual = render(tree, also=keys)
    numbered = []
    for number, text in enumerate(pattern.splitlines(), start=1):
        if text.strip():
            marker = ""
            if number == missing.number:
                marker = (
                    "  <-- children differ" if missing.name == EXACT_COUNT else "  <-- not found"
                )
            numbered.append(f"  {number:>3} | {text.rstrip()}{marker}")
    mode = " (exact children)" if matcher.exact else ""
    return (
        f"span tree does not match the pattern{mode}\n"
        f"{located(f'pattern line {missing.number}', origin, missing.number)}: `{missing.text}`\n"
        f"  {why}\n\n"
        "expected (pattern):\n" + "\n".join(numbered) + "\n\n"
        "actual tree:\n" + _indent(actual)
    )


def _placement(node: SpanNode, failure: Failure) -> str:
    """Why a span that matches the line itself was still not taken for it."""
    if id(node) in failure.taken:
        return (
            f"matches, but pattern line {failure.taken[id(node)]} already matched it "
            "(each span matches one line; the tree has no other)"
        )
    if node not in failure.candidates:
        if failure.parent is None:
            return (
                "matches, but is not a root span; put a `...` line above it to match it "
                "at any depth"
            )
        return (
            f"matches, but sits deeper, under `{node.parent.name if node.parent else '?'}`, "
            f"not directly under `{failure.parent.name}`; put a `...` line above it to match "
            "at any depth"
        )
    if failure.previous is not None and failure.candidates.index(node) < failure.candidates.index(
        failure.previous
    ):
        return (
            f"matches, but comes before `{failure.previous.name}` (matched by line "
            f"{failure.taken[id(failure.previous)]}): out of order, siblings must appear in the "
            "order the pattern lists them"
        )
    return "matches, but with exact=True the spans at this level differ from the pattern's"


def _all_lines(lines: list[PatternLine]) -> list[PatternLine]:
    out: list[PatternLine] = []
    for line in lines:
        out += [line, *line.events, *_all_lines(line.children)]
    return out


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" if line else "\n" for line in text.rstrip("\n").split("\n"))


__all__ = ["Failure", "assert_tree", "report"]
