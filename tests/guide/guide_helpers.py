"""Shared by the guide's tests (``tests/guide/``): where the calls go, fresh interpreters, checks.

The fixtures (``guide_sim``, ``guide_env``, ``cassette_env``) are in this folder's conftest.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.collector import Collector
from harness.simulator import simulator_fixture

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT.parent / "shared" / "seed" / "otel_101.md"
CASSETTES = ROOT / "cassettes"

# --------------------------------------------------------------------------- where calls go

#: The simulator's script for the guide's prompts (anything else gets its deterministic default
#: answer). The agent rules make the guide's ReasoningAgent tree come true: think, use the
#: calculator once, think twice more, answer.
GUIDE_SCENARIO: dict[str, Any] = {
    "name": "guide",
    "description": "the prompts of shared/seed/otel_101.md",
    "rules": [
        {
            "name": "agent done",
            "match": {
                "response_format": True,
                "last_user": "15 * 23 + 7",
                "last_user_regex": "Thought 2:",
            },
            "reply": {"json": {"thought": "Both steps agree: 352.", "next_action": "finished"}},
        },
        {
            "name": "agent check",
            "match": {
                "response_format": True,
                "last_user": "15 * 23 + 7",
                "last_user_regex": r"Tool calculator\(",
            },
            "reply": {
                "json": {
                    "thought": "15 * 23 = 345, plus 7 is 352.",
                    "next_action": "continue_thinking",
                }
            },
        },
        {
            "name": "agent first",
            "match": {"response_format": True, "last_user": "15 * 23 + 7"},
            "reply": {
                "json": {
                    "thought": "Multiply first, with the calculator.",
                    "next_action": "use_tool",
                    "tool_name": "calculator",
                }
            },
        },
        {
            "name": "agent tool arguments",
            "match": {"last_user": "15 * 23 + 7", "tools_offered": ["calculator"]},
            "reply": {"tool_calls": [{"name": "calculator", "arguments": {"a": 15, "b": 23}}]},
        },
        {
            "name": "agent answer",
            "match": {"last_user": "15 * 23 + 7"},
            "reply": {"text": "15 * 23 + 7 = 352."},
        },
        {
            "name": "capital",
            "match": {"last_user": "capital of France"},
            "reply": {"text": "The capital of France is Paris."},
        },
        {"name": "sum", "match": {"last_user": "What's 2+2?"}, "reply": {"text": "2 + 2 = 4."}},
        {
            "name": "hello",
            "match": {"last_user_regex": "^Hello$"},
            "reply": {"text": "Hello! How can I help you today?"},
        },
        {
            "name": "quantum",
            "match": {"last_user": "Explain quantum computing"},
            "reply": {
                "text": "Quantum computers use qubits, which can hold superpositions of 0 and 1."
            },
        },
    ],
}

guide_sim = simulator_fixture(scope="module", scenario=GUIDE_SCENARIO)


def parent_of(span: Any) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def hex_trace(span: Any) -> str:
    return format(span.context.trace_id, "032x")


# --------------------------------------------------------------------------- fresh processes


def run_script(
    tmp_path: Path, name: str, code: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python <name>`` in a fresh interpreter, with the project's environment minus OTEL_* and keys."""
    (tmp_path / name).write_text(code, encoding="utf-8")
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))
    }
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, name],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def trace_resources(collector: Collector) -> list[dict[str, Any]]:
    """Resource attributes of every batch of spans the collector received."""
    return [r for e in collector.exports() if "/v1/traces" in e.path for r in e.resources]


def assert_one_call_tree(spans: list[Any]) -> None:
    """The collector received one call's three spans, chained request > inference > HTTP."""
    by_name = {s.name: s for s in spans}
    names = [s.name for s in spans]
    assert sorted(by_name) == ["http.request", "llm.openai.stream", "llm.request"], names
    assert len({s.trace_id for s in spans}) == 1
    assert by_name["llm.request"].parent_id is None
    assert by_name["llm.openai.stream"].parent_id == by_name["llm.request"].span_id
    assert by_name["http.request"].parent_id == by_name["llm.openai.stream"].span_id
