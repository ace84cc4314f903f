"""Message content schemas: ``gen_ai.input.messages`` / ``output.messages`` / ``system_instructions``.

From ``model/gen-ai/gen-ai-{input,output}-messages.json`` and
``gen-ai-system-instructions.json``: a message is ``{role, parts: [...], name?}`` (output
messages add ``finish_reason``); each part has a ``type`` and the fields of its schema
(``rules.PART_SCHEMAS``); unknown part types are allowed by the schema (``GenericPart``) but
must still carry a ``type``. System instructions are parts only, not messages.
On spans the value may be a JSON string (Python cannot set structured attributes); on events
it must be structured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from harness.semconv import rules as R
from harness.semconv.model import Violation

_PY = {"str": str}


def check_content(subject: str, key: str, value: Any, *, structured: bool) -> Iterator[Violation]:
    """Every schema deviation of one content attribute's value."""
    if isinstance(value, str):
        if structured:
            yield Violation(
                "content.encoding",
                subject,
                "is a JSON string; on events the spec wants the structure itself",
                key,
            )
        try:
            value = json.loads(value)
        except ValueError:
            yield Violation("content.schema", subject, "is not valid JSON", key)
            return
    if not isinstance(value, (list, tuple)):
        yield Violation(
            "content.schema", subject, f"must be an array, not {type(value).__name__}", key
        )
        return
    if key == R.G.GEN_AI_SYSTEM_INSTRUCTIONS:
        for i, part in enumerate(value):
            yield from _check_part(subject, key, f"[{i}]", part)
        return
    for i, message in enumerate(value):
        yield from _check_message(
            subject, key, i, message, output=key == R.G.GEN_AI_OUTPUT_MESSAGES
        )


def _check_message(
    subject: str, key: str, i: int, message: Any, *, output: bool
) -> Iterator[Violation]:
    where = f"[{i}]"
    if not isinstance(message, dict):
        yield Violation("content.schema", subject, f"message {where} is not an object", key)
        return
    role = message.get("role")
    if role not in R.ROLES:
        yield Violation(
            "content.schema",
            subject,
            f"message {where} role {role!r} is not one of {', '.join(sorted(R.ROLES))}",
            key,
        )
    parts = message.get("parts")
    if not isinstance(parts, (list, tuple)):
        yield Violation("content.schema", subject, f"message {where} has no parts array", key)
        return
    for j, part in enumerate(parts):
        yield from _check_part(subject, key, f"{where}.parts[{j}]", part)
    if output:
        reason = message.get("finish_reason")
        if reason is None:
            yield Violation(
                "content.schema", subject, f"output message {where} has no finish_reason", key
            )
        elif reason not in R.FINISH_REASONS:
            yield Violation(
                "content.enum",
                subject,
                f"output message {where} finish_reason {reason!r} is not one of {', '.join(sorted(R.FINISH_REASONS))}",
                key,
            )


def _check_part(subject: str, key: str, where: str, part: Any) -> Iterator[Violation]:
    if not isinstance(part, dict) or not isinstance(part.get("type"), str):
        yield Violation("content.schema", subject, f"part {where} has no string 'type'", key)
        return
    schema = R.PART_SCHEMAS.get(part["type"])
    if schema is None:
        return  # GenericPart: custom types are allowed
    required, fields = schema
    for name in required:
        if name not in part:
            yield Violation(
                "content.schema", subject, f"{part['type']} part {where} lacks '{name}'", key
            )
    for name, typ in fields.items():
        if name not in part:
            continue
        optional = typ.endswith("?")
        if part[name] is None and optional:
            continue
        if not isinstance(part[name], _PY[typ.rstrip("?")]):
            yield Violation(
                "content.schema",
                subject,
                f"{part['type']} part {where} field '{name}' is {type(part[name]).__name__}, not {typ.rstrip('?')}",
                key,
            )
    if part["type"] == "text" and part.get("content") == "":
        yield Violation(
            "content.empty-part",
            subject,
            f"text part {where} is empty: content lost (tool calls and results have tool_call / tool_call_response parts)",
            key,
        )
