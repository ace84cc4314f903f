"""Tools: parameter types to JSON schema, provider schemas, strictness, from_function."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from sik_llms.tools import Parameter, Tool, ToolChoice, json_schema


class Unit(Enum):
    C = "celsius"
    F = "fahrenheit"


class Address(BaseModel):
    """A postal address."""

    city: str
    zip_code: str | None = Field(default=None, description="postal code")


@pytest.mark.parametrize(
    ("tp", "schema"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (list, {"type": "array"}),
        (dict, {"type": "object"}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (dict[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Unit, {"type": "string", "enum": ["celsius", "fahrenheit"]}),
        (int | None, {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
        ("number", {"type": "number"}),
    ],
)
def test_types_map_to_json_schema(tp: Any, schema: dict[str, Any]) -> None:
    assert json_schema(tp) == schema


def test_nested_models_become_closed_objects() -> None:
    schema = json_schema(list[Address])
    item = schema["items"]
    assert item["type"] == "object" and item["additionalProperties"] is False
    assert item["required"] == ["city"]
    assert item["properties"]["zip_code"]["description"] == "postal code"
    assert item["description"] == "A postal address."


def test_any_and_unknown_types_are_rejected_with_advice() -> None:
    with pytest.raises(ValidationError, match="Any is not allowed"):
        Parameter(name="x", param_type=Any)
    with pytest.raises(ValidationError, match="unknown JSON type name"):
        Parameter(name="x", param_type="strng")
    with pytest.raises(ValidationError, match="unsupported parameter type"):
        Parameter(name="x", param_type=complex)


def test_enums_unions_and_descriptions() -> None:
    p = Parameter(name="unit", param_type=str, valid_values=["c", "f"], description="unit")
    assert p.schema() == {"type": "string", "enum": ["c", "f"], "description": "unit"}
    q = Parameter(name="v", any_of=[int, str])
    assert q.schema() == {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def _weather() -> Tool:
    return Tool(
        name="get_weather",
        description="Weather for a city",
        parameters=[
            Parameter(name="city", param_type=str),
            Parameter(name="address", param_type=Address),
        ],
    )


def test_openai_schema_is_strict_only_when_everything_is_required() -> None:
    tool = Tool(
        name="t",
        parameters=[Parameter(name="a", param_type=str), Parameter(name="b", param_type=int)],
    )
    fn = tool.to_openai()["function"]
    assert fn["strict"] is True
    assert fn["parameters"] == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    optional = Tool(
        name="t", parameters=[Parameter(name="a", param_type=str, required=False)]
    ).to_openai()["function"]
    assert "strict" not in optional and optional["parameters"]["required"] == []
    # a nested model with an optional field cannot be strict either
    assert "strict" not in _weather().to_openai()["function"]


def test_anthropic_and_responses_schemas() -> None:
    tool = _weather()
    anth = tool.to_anthropic()
    assert anth["name"] == "get_weather" and anth["description"] == "Weather for a city"
    assert anth["input_schema"]["required"] == ["city", "address"]
    flat = tool.to_openai_responses()
    assert flat["type"] == "function" and flat["name"] == "get_weather" and flat["strict"] is False


def test_bad_names_and_duplicates() -> None:
    with pytest.raises(ValidationError, match="tool name"):
        Tool(name="has space")
    with pytest.raises(ValidationError, match="duplicate"):
        Tool(name="t", parameters=[Parameter(name="a"), Parameter(name="a")])


def test_from_function_reads_signature_hints_and_docstring() -> None:
    def search(
        query: str, limit: int = 10, tags: list[str] | None = None, unit: Unit = Unit.C
    ) -> list[str]:
        """Search the catalogue.

        Longer explanation that is not the summary.

        Args:
            query: what to look for
            limit: how many results
                at most
            tags: filter tags
        """
        return []

    tool = Tool.from_function(search)
    assert tool.name == "search" and tool.description == "Search the catalogue."
    assert tool.func is search
    by_name = {p.name: p for p in tool.parameters}
    assert by_name["query"].required and not by_name["limit"].required
    assert by_name["limit"].description == "how many results at most"
    assert by_name["tags"].schema() == {
        "type": "array",
        "items": {"type": "string"},
        "description": "filter tags",
    }
    assert by_name["unit"].schema()["enum"] == ["celsius", "fahrenheit"]


def test_from_function_sphinx_style_and_async() -> None:
    async def lookup(key: str) -> str:
        """Look up a key.

        :param key: the key
        """
        return key

    tool = Tool.from_function(lookup)
    assert tool.parameters[0].description == "the key"


def test_from_function_refuses_what_it_cannot_describe() -> None:
    def untyped(x):  # type: ignore[no-untyped-def]
        return x

    def varargs(*args: int) -> None:
        return None

    with pytest.raises(TypeError, match="no type hint"):
        Tool.from_function(untyped)
    with pytest.raises(TypeError, match=r"\*args"):
        Tool.from_function(varargs)
    with pytest.raises(ValueError, match="lambda"):
        Tool.from_function(lambda x: x)


def test_tool_choice_values() -> None:
    assert ToolChoice.REQUIRED == "required" and ToolChoice.AUTO == "auto"
