"""The harness reference (docs/harness.md) documents everything the plugin registers: read
from the plugin itself (its hooks, fixtures, marker keywords, render options), never from a
list kept here, so a new fixture, marker keyword, option or ini key fails this test until it
is documented."""

from __future__ import annotations

from inspect import signature
from pathlib import Path
from typing import Any

from harness import pytest_plugin
from harness.spans import Capture
from harness.spans.capture import capture
from harness.spans.metric_pattern import METRIC_TYPES, STATISTICS
from harness.spans.pattern import OPERATORS
from harness.spans.render import render

REFERENCE = (Path(__file__).resolve().parents[3] / "docs" / "harness.md").read_text()


class _Registry:
    """Stands in for pytest's parser and config: records what the plugin registers."""

    def __init__(self) -> None:
        self.options: list[str] = []
        self.ini: list[str] = []
        self.markers: list[str] = []

    def getgroup(self, *args: Any, **kwargs: Any) -> _Registry:
        return self

    def addoption(self, *names: str, **kwargs: Any) -> None:
        self.options += [name for name in names if name.startswith("--")]

    def addini(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.ini.append(name)

    def addinivalue_line(self, key: str, line: str) -> None:
        if key == "markers":
            self.markers.append(line.split("(", 1)[0].split(":", 1)[0])


def _registered() -> _Registry:
    registry = _Registry()
    pytest_plugin.pytest_addoption(registry)  # type: ignore[arg-type]
    pytest_plugin.pytest_configure(registry)  # type: ignore[arg-type]
    return registry


def _undocumented(names: list[str]) -> list[str]:
    return [name for name in names if f"`{name}" not in REFERENCE]


def test_every_command_line_option_and_ini_key_is_documented() -> None:
    registry = _registered()
    assert registry.options and registry.ini  # the introspection itself works
    assert _undocumented(registry.options) == []
    assert _undocumented(registry.ini) == []


def test_every_marker_and_marker_keyword_is_documented() -> None:
    registry = _registered()
    assert set(registry.markers) >= {"llm_cassette", "llm_spans"}
    assert [m for m in registry.markers if f"@pytest.mark.{m}" not in REFERENCE] == []
    assert _undocumented(pytest_plugin.marker_keywords()) == []
    assert _undocumented(list(signature(capture).parameters)) == []


def test_every_public_fixture_is_documented() -> None:
    fixtures = [
        name
        for name, value in vars(pytest_plugin).items()
        if type(value).__name__ == "FixtureFunctionDefinition" and not name.startswith("_")
    ]
    assert "llm_spans" in fixtures
    assert _undocumented([*fixtures, "simulator_fixture"]) == []


def test_capture_members_render_options_and_pattern_syntax_are_documented() -> None:
    members = [name for name in vars(Capture) if not name.startswith("_")]
    providers = ["tracer_provider", "meter_provider", "logger_provider", "clock"]
    assert _undocumented([*members, *providers]) == []
    options = [name for name in signature(render).parameters if name != "tree"]
    assert _undocumented(options) == []
    assert [op for op in OPERATORS if f"key{op}" not in REFERENCE] == []
    assert _undocumented([f"{stat}=" for stat in STATISTICS]) == []
    assert _undocumented(list(METRIC_TYPES)) == []
