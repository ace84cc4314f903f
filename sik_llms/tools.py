"""Tools the model may call, described once and converted to each provider's schema.

A ``Parameter``'s type may be a Python type (``str``, ``int``, ``float``, ``bool``, ``list``,
``dict``), a generic (``list[str]``, ``dict[str, int]``, ``Literal[...]``, ``X | None``), an
``Enum``, a pydantic model (nested as an object schema) or a JSON type name (``"string"``...).
``Any`` is rejected: a schema that says nothing leads to arguments that mean nothing.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from enum import Enum, StrEnum
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ToolChoice(StrEnum):
    """Whether the model must call a tool (REQUIRED) or may answer in text (AUTO)."""

    REQUIRED = "required"
    AUTO = "auto"


_JSON_NAMES = {"string", "integer", "number", "boolean", "array", "object", "null"}
_PRIMITIVES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class Parameter(BaseModel):
    """One argument of a tool."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    param_type: Any = str
    required: bool = True
    description: str | None = None
    valid_values: list[Any] | None = None
    any_of: list[Any] | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}", value):
            raise ValueError(
                f"parameter name {value!r} must be an identifier (letters, digits, _ or -)"
            )
        return value

    @model_validator(mode="after")
    def _check_type(self) -> Parameter:
        types_to_check = self.any_of if self.any_of else [self.param_type]
        for t in types_to_check:
            try:
                json_schema(t)
            except TypeError as exc:  # pydantic reports ValueErrors as ValidationErrors
                raise ValueError(f"parameter {self.name!r}: {exc}") from None
        return self

    def schema(self) -> dict[str, Any]:
        """The JSON schema of this parameter (type, description, enum, anyOf)."""
        if self.any_of:
            out: dict[str, Any] = {"anyOf": [json_schema(t) for t in self.any_of]}
        else:
            out = json_schema(self.param_type)
        if self.valid_values is not None:
            out["enum"] = list(self.valid_values)
        if self.description:
            out["description"] = self.description
        return out


class Tool(BaseModel):
    """A function the model may call: name, description, parameters, and optionally ``func``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    parameters: list[Parameter] = Field(default_factory=list)
    description: str | None = None
    func: Callable[..., Any] | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", value):
            raise ValueError(
                f"tool name {value!r} must be 1-64 letters, digits, _ or - (providers reject others)"
            )
        return value

    @model_validator(mode="after")
    def _unique_params(self) -> Tool:
        names = [p.name for p in self.parameters]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"tool {self.name!r} has duplicate parameters: {dupes}")
        return self

    @property
    def all_required(self) -> bool:
        return all(p.required for p in self.parameters)

    def input_schema(self, *, strict: bool = False) -> dict[str, Any]:
        """The object schema of the arguments. ``strict`` applies OpenAI's strict-mode rules."""
        properties = {p.name: p.schema() for p in self.parameters}
        schema: dict[str, Any] = {
            "type": "object",
            "properties": properties,
            "required": [p.name for p in self.parameters if p.required],
            "additionalProperties": False,
        }
        return _strictify(schema) if strict else schema

    def to_openai(self) -> dict[str, Any]:
        """Chat Completions tool schema (strict when every parameter is required)."""
        strict = self.all_required and _strict_compatible(self.input_schema())
        function: dict[str, Any] = {
            "name": self.name,
            "parameters": self.input_schema(strict=strict),
        }
        if self.description:
            function["description"] = self.description
        if strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def to_openai_responses(self) -> dict[str, Any]:
        """Responses API tool schema (flat: name/parameters at the top level)."""
        function = self.to_openai()["function"]
        return {"type": "function", **function, "strict": function.get("strict", False)}

    def to_anthropic(self) -> dict[str, Any]:
        """Anthropic Messages tool schema."""
        out: dict[str, Any] = {"name": self.name, "input_schema": self.input_schema()}
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_function(
        cls, func: Callable[..., Any], name: str | None = None, description: str | None = None
    ) -> Tool:
        """A Tool from a plain (or async) function: signature, type hints and docstring."""
        if not callable(func):
            raise TypeError(f"Tool.from_function needs a function, got {type(func).__name__}")
        tool_name = name or getattr(func, "__name__", None)
        if not tool_name or tool_name == "<lambda>":
            raise ValueError("Tool.from_function: pass name=... for a lambda or unnamed callable")
        try:
            hints = typing.get_type_hints(func)
        except Exception as exc:
            raise TypeError(
                f"Tool.from_function({tool_name}): cannot resolve type hints: {exc}"
            ) from exc
        doc = inspect.getdoc(func) or ""
        summary, arg_docs = _parse_docstring(doc)
        params: list[Parameter] = []
        for pname, p in inspect.signature(func).parameters.items():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(
                    f"Tool.from_function({tool_name}): *args/**kwargs cannot be described to a model"
                )
            if pname in ("self", "cls"):
                continue
            if pname not in hints:
                raise TypeError(
                    f"Tool.from_function({tool_name}): parameter {pname!r} has no type hint; "
                    "annotate it (e.g. `x: int`) so the model knows what to pass"
                )
            hint = hints[pname]
            required = p.default is inspect.Parameter.empty
            if not required:
                hint = _strip_none(hint)
            params.append(
                Parameter(
                    name=pname, param_type=hint, required=required, description=arg_docs.get(pname)
                )
            )
        return cls(
            name=tool_name, parameters=params, description=description or summary or None, func=func
        )


# ---------------------------------------------------------------- schema building


def json_schema(tp: Any) -> dict[str, Any]:
    """The JSON schema for a supported Python type (raises TypeError with advice otherwise)."""
    if tp is Any or tp is object:
        raise TypeError(
            "Parameter type Any is not allowed: give a concrete type so the model knows what to send"
        )
    if isinstance(tp, str):
        if tp not in _JSON_NAMES:
            raise TypeError(f"unknown JSON type name {tp!r}; use one of {sorted(_JSON_NAMES)}")
        return {"type": tp}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if tp in _PRIMITIVES:
        return {"type": _PRIMITIVES[tp]}
    if tp is list:
        return {"type": "array"}
    if tp is dict:
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, Enum):
        values = [m.value for m in tp]
        return {"type": _enum_json_type(values), "enum": values}
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model_schema(tp)
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return {"type": _enum_json_type(list(args)), "enum": list(args)}
    if origin in (list, set, tuple, frozenset) or (
        origin is not None and getattr(origin, "__name__", "") in ("Sequence", "Iterable")
    ):
        items = [a for a in args if a is not Ellipsis]
        out: dict[str, Any] = {"type": "array"}
        if items:
            out["items"] = json_schema(items[0])
        return out
    if origin is dict or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
        out = {"type": "object"}
        if len(args) == 2:
            out["additionalProperties"] = json_schema(args[1])
        return out
    if origin in (Union, types.UnionType):
        return {"anyOf": [json_schema(a) for a in args]}
    if origin is typing.Annotated:
        return json_schema(args[0])
    raise TypeError(
        f"unsupported parameter type {tp!r}: use str/int/float/bool/list/dict, a generic such as "
        "list[str], Literal, an Enum, a pydantic model, or a JSON type name"
    )


def _enum_json_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds <= {str}:
        return "string"
    if kinds <= {int}:
        return "integer"
    if kinds <= {int, float}:
        return "number"
    if kinds <= {bool}:
        return "boolean"
    return "string"


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for fname, field in model.model_fields.items():
        key = field.alias or fname
        prop = json_schema(field.annotation)
        if field.description:
            prop["description"] = field.description
        properties[key] = prop
        if field.is_required():
            required.append(key)
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    doc = model.__doc__
    if (
        doc
        and doc.strip()
        and not doc.startswith(("A base class for creating Pydantic models", "Usage docs"))
    ):
        out["description"] = inspect.cleandoc(doc).split("\n\n")[0]
    return out


def _strictify(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAI strict mode: every object closed and every property required, recursively."""
    out = dict(schema)
    if out.get("type") == "object" and "properties" in out:
        out["properties"] = {k: _strictify(v) for k, v in out["properties"].items()}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    if "items" in out and isinstance(out["items"], dict):
        out["items"] = _strictify(out["items"])
    if "anyOf" in out:
        out["anyOf"] = [_strictify(s) for s in out["anyOf"]]
    return out


def _strict_compatible(schema: dict[str, Any]) -> bool:
    """Strict mode rejects open maps and free-form objects; such tools are sent non-strict."""
    if schema.get("type") == "object":
        if "properties" not in schema or isinstance(schema.get("additionalProperties"), dict):
            return False
        if any(not _strict_compatible(s) for s in schema["properties"].values()):
            return False
        # nested models with optional fields would be forced to required in strict mode
        if set(schema.get("required", [])) != set(schema["properties"]):
            return False
    if isinstance(schema.get("items"), dict) and not _strict_compatible(schema["items"]):
        return False
    return all(_strict_compatible(s) for s in schema.get("anyOf", []))


def _strip_none(hint: Any) -> Any:
    if get_origin(hint) in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Summary paragraph plus per-argument descriptions (Google ``Args:`` or ``:param x:`` style)."""
    if not doc:
        return "", {}
    lines = doc.splitlines()
    summary_lines: list[str] = []
    for line in lines:
        if not line.strip() or re.match(
            r"^\s*(Args|Arguments|Parameters|Returns|Raises|:param)\b", line
        ):
            break
        summary_lines.append(line.strip())
    args: dict[str, str] = {}
    for m in re.finditer(r":param\s+(\w+):\s*(.+)", doc):
        args[m.group(1)] = m.group(2).strip()
    in_args = False
    current: str | None = None
    for line in lines:
        if re.match(r"^\s*(Args|Arguments|Parameters):\s*$", line):
            in_args = True
            continue
        if not in_args or not line.strip():
            continue
        if re.match(r"^\s*(Returns|Raises|Yields|Examples?|Notes?):\s*$", line):
            break
        m = re.match(r"^\s*(\w+)\s*(\([^)]*\))?\s*:\s*(.*)$", line)
        if m:
            current = m.group(1)
            args[current] = m.group(3).strip()
        elif current:
            args[current] = f"{args[current]} {line.strip()}".strip()
    return " ".join(summary_lines), args
