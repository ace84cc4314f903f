"""Refuse hostile YAML before building it: alias bombs and absurd nesting, in one linear pass.

A 627-byte file of nested anchors (``a: &a [x, x, ...]``, ``b: &b [*a, *a, ...]``...) expands
to 10^9 items once constructed, and a document nested 100,000 deep overflows recursive code.
``check_yaml`` walks the parser's event stream (no construction, no recursion), tracking the
nesting depth and the size each anchored node would have once its aliases are expanded, and
raises ``YamlLimitError`` as soon as either bound is crossed. Its cost is linear in the text.

Bounds (documented, generous for real cassettes: vcrpy files nest < 20 deep and use no aliases):
``MAX_DEPTH`` nesting levels, and an expanded size of at most
``max(MIN_EXPANDED_NODES, EXPANSION_FACTOR * nodes written)``.
"""

from __future__ import annotations

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = ["EXPANSION_FACTOR", "MAX_DEPTH", "MIN_EXPANDED_NODES", "YamlLimitError", "check_yaml"]

MAX_DEPTH = 256
MIN_EXPANDED_NODES = 100_000
EXPANSION_FACTOR = 10


class YamlLimitError(ValueError):
    """The YAML text is too deeply nested or its aliases expand too far; the message says which."""


def check_yaml(text: str) -> None:
    """Raise ``YamlLimitError`` when ``text`` nests deeper than ``MAX_DEPTH`` or its aliases
    would expand past the size bound. Syntax errors are left to the real loader (returns)."""
    stack: list[list] = []  # per open collection: [anchor, expanded size]
    anchors: dict[str, int] = {}
    written = 0
    expanded = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                written += 1
                stack.append([event.anchor, 1])
                if len(stack) > MAX_DEPTH:
                    raise YamlLimitError(
                        f"nested more than {MAX_DEPTH} levels deep (line {event.start_mark.line + 1}); "
                        "a cassette is never that deep: the file is corrupt or hostile"
                    )
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = stack.pop()
            elif isinstance(event, yaml.ScalarEvent):
                written += 1
                anchor, size = event.anchor, 1
            elif isinstance(event, yaml.AliasEvent):
                written += 1
                anchor, size = None, anchors.get(event.anchor, 1)
            else:
                continue
            if anchor is not None:
                anchors[anchor] = size
            if stack:
                stack[-1][1] += size
                size = stack[-1][1]
            else:
                expanded += size
                size = expanded
            bound = max(MIN_EXPANDED_NODES, EXPANSION_FACTOR * written)
            if size > bound:
                raise YamlLimitError(
                    f"YAML aliases expand to more than {bound:,} nodes from {written:,} written "
                    f"(an alias bomb, line {event.start_mark.line + 1}); cassettes need no anchors: "
                    "re-record the file"
                )
    except yaml.YAMLError:
        return
