"""The README is a front page whose links resolve and whose examples run on the current code.

The README's Python examples are extracted from the file itself and run offline: the client
and telemetry examples against the provider simulator, the simulator example as written, the
harness example as a pytest test replaying the project's cassette. An example that stops
being true of the code fails here, not in a reader's terminal.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from tests.harness.docs.conftest import run_python

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"
MAX_LINES = 250
QUICK_START = ["./dev demo", "./dev test"]

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def sections(text: str) -> dict[str, str]:
    """The README's ``## `` sections by heading."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def code_blocks(section: str, language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(section) if lang == language]


def readme_section(title: str) -> str:
    found = sections(README.read_text(encoding="utf-8"))
    assert title in found, f"README has no '## {title}' section (has: {', '.join(found)})"
    return found[title]


def test_readme_stays_a_front_page_of_at_most_250_lines():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, (
        f"README.md has {lines} lines; move detail into docs/ (limit {MAX_LINES})"
    )


def test_every_relative_link_in_the_readme_resolves_to_a_file():
    broken = []
    for target in _LINK.findall(README.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://|mailto:|#", target):
            continue
        path = (ROOT / target.split("#", 1)[0]).resolve()
        if not path.is_file():
            broken.append(target)
    assert not broken, f"README.md links to missing files: {broken}"


def test_quick_start_is_exactly_the_two_commands_that_work_on_a_fresh_machine():
    blocks = code_blocks(readme_section("Quick start"), "bash")
    assert len(blocks) == 1, "the quick start has one bash block"
    commands = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]
    assert [c for c in commands if c] == QUICK_START
    for command in QUICK_START:
        assert (ROOT / command.split()[0]).is_file()


def test_readme_extras_table_lists_exactly_the_extras_pyproject_defines():
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    rows = re.findall(r"^\| `([a-z-]+)` \|", readme_section("Install"), flags=re.M)
    assert set(rows) == extras, f"README extras {sorted(rows)} != pyproject extras {sorted(extras)}"


# ---------------------------------------------------------------------- the examples run


def test_client_and_telemetry_examples_run_against_the_simulator_and_export_their_spans():
    from harness.collector import Collector
    from harness.simulator import Simulator

    section = readme_section("Telemetry")
    client_code = code_blocks(readme_section("The client"), "python")[0]
    telemetry_code = code_blocks(section, "python")[0]
    shell = code_blocks(section, "bash")[0].replace("\\\n", " ")
    otel_env = dict(re.findall(r"\b(OTEL_[A-Z_]+)=(\S+)", shell))
    assert otel_env.get("OTEL_SDK_DISABLED") == "false"
    with Simulator() as sim, Collector() as collector:
        otel_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.endpoint  # the README's localhost:4318
        result = run_python(
            client_code + "\n" + telemetry_code,
            OPENAI_BASE_URL=sim.openai_base_url,
            OPENAI_API_KEY="sk-sim",
            **otel_env,
        )
        assert result.returncode == 0, result.stderr
        trace_id, span_id = result.stdout.strip().splitlines()[-1].split()
        spans = [s for s in collector.wait_for_spans(3) if s.trace_id == trace_id]
    assert "capital of France" in result.stdout
    assert sorted(s.name for s in spans) == ["http.request", "llm.openai.stream", "llm.request"]
    request = next(s for s in spans if s.name == "llm.request")
    assert request.span_id == span_id and request.service == otel_env["OTEL_SERVICE_NAME"]


def test_simulator_example_runs_as_written():
    code = code_blocks(readme_section("The simulator"), "python")[0]
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["The letter 'r' appears 3 times in \"strawberry\".", "2"]


def test_harness_example_passes_as_a_pytest_test(pytester: pytest.Pytester):
    code = code_blocks(readme_section("Testing LLM code: the harness"), "python")[0]
    pytester.makepyfile(test_readme_example=code)
    pytester.makeini(f"[pytest]\nllm_cassette_dir = {ROOT / 'cassettes'}\n")
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update")
    first.assert_outcomes(passed=1)
    again = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    again.assert_outcomes(passed=1)
    snapshot = next(pytester.path.glob("__snapshots__/**/*.txt")).read_text(encoding="utf-8")
    shown = code_blocks(readme_section("Testing LLM code: the harness"), "")[0]
    assert snapshot.startswith(shown), (
        "the README shows the start of the snapshot the example writes"
    )


def test_harness_example_passes_in_a_project_of_its_own_after_the_record_command_it_shows(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    # a user who installed the wheel has no repository cassettes: the README names the command
    section = readme_section("Testing LLM code: the harness")
    command = re.search(r"`(sik-llms record [^`]+)`", section)
    assert command, "the harness section names the command that makes the example's cassette"
    monkeypatch.delenv("CI", raising=False)  # recording is refused under CI, by design
    made = pytester.run(sys.executable, "-m", "harness.cli", *command.group(1).split()[1:])
    assert made.ret == 0, made.stderr.str()
    pytester.makepyfile(test_readme_example=code_blocks(section, "python")[0])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update")
    result.assert_outcomes(passed=1)
