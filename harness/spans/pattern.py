"""Partial span-tree assertions from an indented text pattern.

Each line names a span and, optionally, what else must hold::

    llm.request llm.model=gpt-4o-mini llm.tokens.input=12
      llm.openai.* [CLIENT] llm.streaming=true
        http.request http.response.status_code=200
      · exception exception.type=ValueError

- the first word is the span name or a glob (``llm.*``); a name with spaces is written in
  double quotes (``"chat gpt-4o-mini"``, as the rendered tree shows it);
- ``key=value`` pairs must equal the span's attributes; values parse as int, float,
  true/false, a JSON list (``["stop"]``) or a string (quote it if it has spaces: ``k="a b"``);
  a string value with ``*`` or ``?`` is a glob; a masked value (``<id>``) matches any value;
- ``[KIND]``, ``status=ERROR``, ``status.description=...`` and a duration (``1.20s``, ``350ms``)
  match those span fields, so lines pasted from a rendered plain tree work as patterns;
- a line starting with ``·`` requires an event on the enclosing span;
- an indented line is a child; siblings must appear in the given order, others may sit between
  them (only what is named must match);
- a ``...`` line: the lines indented under it may match at any depth below its parent
  (at the top: anywhere in the tree). Top-level lines otherwise match root spans.

Tree-drawing characters (``├── └── │``) count as indentation. Line numbers count from 1 at
the first line of the pattern string (the one right after the opening quotes).

This module parses and matches; ``harness.spans.diagnosis`` asserts and explains a mismatch.
"""

from __future__ import annotations

import inspect
import json
import linecache
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from harness.spans.values import format_duration, parse_scalar, render_value

if TYPE_CHECKING:  # trees are only read here
    from harness.spans.tree import SpanNode

_TOKEN = re.compile(r'[^\s"\[]*"(?:[^"\\]|\\.)*"|[^\s"\[]*\[[^\]]*\]|\S+')
_DURATION = re.compile(r"\d+(\.\d+)?(s|ms|us)")
_DRAWING = " │├└─\t"
_GLOB = re.compile(r"[*?\[]")


@dataclass
class PatternLine:
    """One parsed pattern line: a span (or a ``·`` event, or a ``...`` line) and its needs."""

    number: int
    text: str
    name: str = "*"
    kind: str | None = None
    duration: str | None = None
    fields: dict[str, tuple[str, Any]] = field(default_factory=dict)  # key -> (raw, parsed)
    ops: dict[str, str] = field(default_factory=dict)  # key -> operator other than "="
    events: list[PatternLine] = field(default_factory=list)
    children: list[PatternLine] = field(default_factory=list)
    anywhere: bool = False  # a "..." line
    note: str = ""  # on an EXACT_COUNT line: what differs


def parse_pattern(pattern: str) -> list[PatternLine]:
    """Parse an indented pattern into top-level lines with nested children."""
    root = PatternLine(0, "<root>")
    stack: list[tuple[int, PatternLine]] = [(-1, root)]
    for number, raw in enumerate(pattern.splitlines(), start=1):
        stripped = raw.lstrip(_DRAWING)
        if not stripped.strip() or stripped.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        line = _parse_line(number, stripped.strip())
        if line.name == "·":
            parent.events.append(line)
            continue
        parent.children.append(line)
        stack.append((indent, line))
    return root.children


def _parse_line(number: int, text: str) -> PatternLine:
    tokens = tokenize(text)
    if tokens[0] == "...":
        if len(tokens) > 1:
            raise ValueError(f"pattern line {number}: `...` stands alone on its line: {text!r}")
        return PatternLine(number, text, anywhere=True)
    line = PatternLine(number, text, name=read_name(tokens[0], number))
    for token in tokens[1:]:
        if token in ("◀", "slowest"):
            continue
        if token.startswith("[") and token.endswith("]") and "=" not in token:
            line.kind = token[1:-1].upper()
        elif _DURATION.fullmatch(token):
            line.duration = token
        elif (split := split_field(token)) is not None:
            key, op, raw_value = split
            line.fields[key] = (raw_value, parse_scalar(raw_value))
            if op != "=":
                line.ops[key] = op
        elif line.name == "·":
            line.kind = token  # event name
        else:
            raise ValueError(
                f"pattern line {number}: cannot read {token!r} in {text!r} "
                "(expected key=value, [KIND] or a duration)"
            )
    return line


def tokenize(text: str) -> list[str]:
    """Split a pattern line into tokens; quoted strings and ``[...]`` lists stay whole."""
    return _TOKEN.findall(text)


def read_name(token: str, number: int) -> str:
    """A line's first token as a name: JSON-unquoted when written in double quotes."""
    if len(token) >= 2 and token.startswith('"') and token.endswith('"'):
        try:
            return json.loads(token)
        except ValueError as exc:
            raise ValueError(
                f"pattern line {number}: cannot read the quoted name {token!r}: {exc}"
            ) from None
    return token


_HERE = os.path.dirname(os.path.abspath(__file__))
_FIELD = re.compile(r"([^\s=<>!\"]+)(>=|<=|!=|=|>|<)(.*)", re.S)
OPERATORS = ("=", "!=", ">", ">=", "<", "<=")


def split_field(token: str) -> tuple[str, str, str] | None:
    """``key=value`` (or ``!=``, ``>``, ``>=``, ``<``, ``<=``) as (key, operator, raw value)."""
    found = _FIELD.fullmatch(token)
    if found is None:
        return None
    return found.group(1), found.group(2), found.group(3)


def field_matches(actual: Any, op: str, raw: str, expected: Any, key: str = "") -> bool:
    """Whether ``actual`` satisfies ``key<op>raw`` (``expected`` is ``raw`` parsed).

    ``=``: equality as documented for patterns (globs, masked ``<...>`` values match anything
    present); ``!=``: its negation; ``>``, ``>=``, ``<``, ``<=``: numbers only.
    """
    if op == "=":
        return _value_matches(actual, raw, expected) or render_value(key, actual) == raw
    if op == "!=":
        return not field_matches(actual, "=", raw, expected, key)
    numbers = (int, float)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return False
    if not (isinstance(actual, numbers) and isinstance(expected, numbers)):
        return False
    return {
        ">": actual > expected,
        ">=": actual >= expected,
        "<": actual < expected,
        "<=": actual <= expected,
    }[op]


# ---------------------------------------------------------------------- matching


class Matcher:
    """Matches pattern lines against span nodes; ``exact`` also requires listed children only."""

    def __init__(self, exact: bool) -> None:
        self.exact = exact

    def node(self, line: PatternLine, node: SpanNode) -> bool:
        return not self.mismatches(line, node, deep=True)

    def mismatches(self, line: PatternLine, node: SpanNode, *, deep: bool) -> list[str]:
        """Why ``node`` does not match ``line`` (empty when it does)."""
        problems: list[str] = []
        if not fnmatchcase(node.name, line.name):
            return [f"name is {node.name!r}"]
        if line.kind and node.kind != line.kind:
            problems.append(f"kind is {node.kind}, expected {line.kind}")
        if line.duration and format_duration(node.duration_ns) != line.duration:
            problems.append(
                f"duration is {format_duration(node.duration_ns)}, expected {line.duration}"
            )
        for key, (raw, value) in line.fields.items():
            actual = _field(node, key)
            if actual is _ABSENT:
                problems.append(f"{key} is missing")
            elif not field_matches(actual, line.ops.get(key, "="), raw, value, key):
                op = line.ops.get(key, "")
                problems.append(f"{key} is {actual!r}, expected {op + ' ' if op else ''}{value!r}")
        for event in line.events:
            if not any(_event_matches(event, e) for e in node.events):
                problems.append(f"no event like `{event.text}` (line {event.number})")
        if deep and not problems:
            missing = self.children(line, node)
            if missing is not None:
                problems.append(f"child line {missing.number} `{missing.text}` not found under it")
        return problems

    def children(self, line: PatternLine, node: SpanNode) -> PatternLine | None:
        """The first child pattern line that finds no match under ``node`` (None: all match)."""
        return self.sequence(
            line.children, node.children, list(node.descendants()), exact=self.exact, at=line
        )

    def count_mismatch(
        self, lines: list[PatternLine], candidates: list[SpanNode], at: PatternLine | None
    ) -> PatternLine | None:
        """With ``exact``, a synthetic line (named ``EXACT_COUNT``, numbered as the parent line
        ``at``, else the first line) when ``lines`` list another number of spans than there are."""
        plain = [line for line in lines if not line.anywhere]
        if len(plain) == len(candidates):
            return None
        found = ", ".join(c.name for c in candidates) or "none"
        where = "under it" if at is not None else "at the top"
        line = at if at is not None else (plain or lines)[0]
        return PatternLine(
            line.number,
            line.text,
            name=EXACT_COUNT,
            note=f"exactly {len(plain)} span(s) {where}, found {len(candidates)}: {found}",
        )

    def sequence(
        self,
        lines: list[PatternLine],
        candidates: list[SpanNode],
        everywhere: list[SpanNode],
        *,
        exact: bool,
        at: PatternLine | None = None,
    ) -> PatternLine | None:
        """The first of ``lines`` that finds no match among ``candidates`` in order (None: all
        match); ``at`` is the line whose children these are (None: the top of the pattern)."""
        if exact:
            counted = self.count_mismatch(lines, candidates, at)
            if counted is not None:
                return counted
        cursor = 0
        for line in lines:
            if line.anywhere:
                missing = self.sequence(line.children, everywhere, everywhere, exact=False)
                if missing is not None:
                    return missing
                continue
            while cursor < len(candidates) and not self.node(line, candidates[cursor]):
                if exact:
                    return line
                cursor += 1
            if cursor == len(candidates):
                return line
            cursor += 1
        return None


_ABSENT = object()
#: The name of the synthetic line reporting an ``exact=True`` child-count mismatch.
EXACT_COUNT = "\0"


def _field(node: SpanNode, key: str) -> Any:
    if key == "status":
        return node.status
    if key == "status.description":
        return node.status_description if node.status_description is not None else _ABSENT
    return node.attributes.get(key, _ABSENT)


def _value_matches(actual: Any, raw: str, expected: Any) -> bool:
    if raw.startswith("<") and raw.endswith(">"):
        return True  # a masked value from a rendered tree: present is enough
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, list):
        return isinstance(actual, list | tuple) and list(actual) == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return actual == expected
    if isinstance(expected, str) and not raw.startswith('"') and _GLOB.search(expected):
        return fnmatchcase(str(actual), expected)
    return str(actual) == str(expected) if isinstance(actual, str) else actual == expected


def _event_matches(line: PatternLine, event: Any) -> bool:
    if line.kind and not fnmatchcase(event.name, line.kind):
        return False
    attributes = event.attributes or {}
    return all(
        key in attributes
        and field_matches(attributes[key], line.ops.get(key, "="), raw, value, key)
        for key, (raw, value) in line.fields.items()
    )


# ---------------------------------------------------------------------- file:line


def pattern_origin(pattern: str) -> tuple[str, int] | None:
    """``(file, line)`` of the pattern string's first line in the test that wrote it, or None.

    Looks at the first caller outside ``harness.spans`` and checks every non-blank line of the
    pattern against the lines of that call expression, so a pattern built at run time (or
    passed in a variable) gets no location rather than a wrong one.
    """
    frame = inspect.currentframe()
    # by file, not module name: a test module may import as ``harness.spans.test_x`` when the
    # tests folder is on sys.path
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == _HERE:
        frame = frame.f_back
    if frame is None:
        return None
    positions = inspect.getframeinfo(frame, context=0).positions
    if positions is None or positions.lineno is None:
        return None
    filename = frame.f_code.co_filename
    first_line, last_line = positions.lineno, positions.end_lineno or positions.lineno
    lines = pattern.splitlines()
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is None:
        return None
    # the call expression's own lines: a pattern written as a literal inside the call
    for candidate in range(first_line, last_line + 1):
        top = candidate - first
        if top < first_line or top + len(lines) - 1 > last_line:
            continue
        if all(
            not text.strip() or text.strip() in linecache.getline(filename, top + i)
            for i, text in enumerate(lines)
        ):
            return filename, top
    return None


def located(message: str, origin: tuple[str, int] | None, number: int | None = None) -> str:
    """``message`` with `` (file:line)`` after its ``pattern line N``, when the origin is known."""
    if origin is None:
        return message
    if number is None:
        prefix = "pattern line "
        if not message.startswith(prefix):
            return message
        digits = message[len(prefix) :].split(":", 1)[0]
        if not digits.isdigit():
            return message
        number = int(digits)
        head, rest = message[: len(prefix) + len(digits)], message[len(prefix) + len(digits) :]
        return f"{head} ({_short(origin[0])}:{origin[1] + number - 1}){rest}"
    return f"{message} ({_short(origin[0])}:{origin[1] + number - 1})"


def _short(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


__all__ = [
    "EXACT_COUNT",
    "OPERATORS",
    "Matcher",
    "PatternLine",
    "field_matches",
    "located",
    "parse_pattern",
    "pattern_origin",
    "read_name",
    "split_field",
    "tokenize",
]
