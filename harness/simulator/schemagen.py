"""Generate a JSON value that validates against a JSON schema, deterministically.

Used when a request asks for structured output or forces a tool and no scenario scripted the
answer: the SDK (``chat.completions.parse``, pydantic models, tool argument parsing) must get
something it accepts. Covers the subset providers accept for strict schemas: objects, arrays,
enums, const, numbers with bounds, strings with formats and lengths, booleans, null, $ref/$defs,
anyOf/oneOf/allOf and type lists.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

_WORDS = ("alpha", "bravo", "delta", "echo", "lima", "nova", "orbit", "quartz", "sierra", "tango")
_MAX_DEPTH = 12


class SchemaError(ValueError):
    """The schema uses something we cannot satisfy (e.g. a dangling $ref)."""


#: what a ``fill`` hook returns to let the generator decide
SKIP: Any = object()
Fill = Callable[[str, dict[str, Any]], Any]


def generate(
    schema: dict[str, Any], rng: random.Random, name: str = "value", fill: Fill | None = None
) -> Any:
    """A value valid for ``schema``; ``name`` (the property name) flavours strings.

    ``fill(property_name, subschema)`` may supply a value for an enum or a plain string (the
    caller grounds it in the conversation: a city the user named, a tool the prompt listed);
    it returns ``SKIP`` to leave the choice to the generator. Values it gives are kept only
    when they fit the subschema's enum.
    """
    return _gen(schema, schema, rng, name, 0, fill)


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise SchemaError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise SchemaError(f"$ref {ref!r} does not resolve in the schema")
        node = node[part]
    return node


def _gen(
    schema: Any,
    root: dict[str, Any],
    rng: random.Random,
    name: str,
    depth: int,
    fill: Fill | None = None,
) -> Any:
    if schema is True or schema == {} or not isinstance(schema, dict):
        return f"{name} {rng.choice(_WORDS)}"
    if depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        merged = {
            **_resolve(root, schema["$ref"]),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
        return _gen(merged, root, rng, name, depth + 1, fill)
    if "const" in schema:
        return schema["const"]
    if (
        fill is not None
        and ("enum" in schema or schema.get("type") == "string")
        and "format" not in schema
    ):
        value = fill(name, schema)
        if value is not SKIP and ("enum" not in schema or value in schema["enum"]):
            return value
    if "enum" in schema:
        return rng.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [
                o for o in schema[key] if not (isinstance(o, dict) and o.get("type") == "null")
            ]
            return _gen((options or schema[key])[0], root, rng, name, depth + 1, fill)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _resolve(root, part["$ref"]) if "$ref" in part else part
            for k, v in part.items():
                if k in ("properties",) and k in merged:
                    merged[k] = {**merged[k], **v}
                elif k == "required" and k in merged:
                    merged[k] = list(dict.fromkeys([*merged[k], *v]))
                else:
                    merged[k] = v
        return _gen(merged, root, rng, name, depth + 1, fill)
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        kind = non_null[0] if non_null else "null"
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    maker = _MAKERS.get(kind)
    if maker is None:
        raise SchemaError(f"unsupported JSON schema type {kind!r} at {name!r}")
    return maker(schema, root, rng, name, depth, fill)


def _object(
    schema: dict[str, Any],
    root: dict[str, Any],
    rng: random.Random,
    name: str,
    depth: int,
    fill: Fill | None,
) -> Any:
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", props.keys()))
    out: dict[str, Any] = {}
    for key, sub in props.items():
        if key in required or depth < 3:
            out[key] = _gen(sub, root, rng, key, depth + 1, fill)
    return out


def _array(
    schema: dict[str, Any],
    root: dict[str, Any],
    rng: random.Random,
    name: str,
    depth: int,
    fill: Fill | None,
) -> Any:
    lo = int(schema.get("minItems", 1))
    hi = int(schema.get("maxItems", max(lo, 3)))
    count = max(lo, min(hi, 2))
    items = schema.get("items", {})
    if isinstance(schema.get("prefixItems"), list):
        return [_gen(s, root, rng, name, depth + 1, fill) for s in schema["prefixItems"]]
    values = [_gen(items, root, rng, name, depth + 1, fill) for _ in range(count)]
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for v in values:
            if v not in seen:
                seen.append(v)
        values = seen
    return values


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> float | int:
    """A number within minimum/maximum (exclusive bounds respected), on multipleOf when given."""
    nudge = 1 if integer else 1e-6
    lo = (
        schema["minimum"] if "minimum" in schema else schema.get("exclusiveMinimum", -nudge) + nudge
    )
    hi = (
        schema["maximum"]
        if "maximum" in schema
        else schema.get("exclusiveMaximum", lo + 100 + nudge) - nudge
    )
    hi = max(hi, lo)
    step = schema.get("multipleOf")
    if step:
        first, last = math.ceil(lo / step), math.floor(hi / step)
        value: float | int = step * rng.randint(first, max(first, last))
        return int(value) if integer else value
    if integer:
        low, high = math.ceil(lo), math.floor(hi)
        return rng.randint(low, max(low, high))
    return min(max(round(rng.uniform(lo, hi), 4), lo), hi)


def _string(schema: dict[str, Any], rng: random.Random, name: str) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z"
    if fmt == "date":
        return f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if fmt == "time":
        return "10:00:00"
    if fmt == "email":
        return f"{rng.choice(_WORDS)}@example.com"
    if fmt in ("uri", "url"):
        return f"https://example.com/{rng.choice(_WORDS)}"
    if fmt == "uuid":
        return f"00000000-0000-4000-8000-{rng.randint(0, 10**11):012d}"
    text = f"{name} {rng.choice(_WORDS)}"
    lo = int(schema.get("minLength", 0))
    hi = schema.get("maxLength")
    while len(text) < lo:
        text += f" {rng.choice(_WORDS)}"
    if hi is not None:
        text = text[: int(hi)]
    return text


_MAKERS: dict[str, Any] = {
    "object": _object,
    "array": _array,
    "integer": lambda s, r, g, n, d, f: _number(s, g, True),
    "number": lambda s, r, g, n, d, f: _number(s, g, False),
    "string": lambda s, r, g, n, d, f: _string(s, g, n),
    "boolean": lambda s, r, g, n, d, f: g.random() < 0.5,
    "null": lambda s, r, g, n, d, f: None,
}
