"""The documentation site builds strictly, documents every CLI option, and its examples run.

The measured tables are included from ``docs/generated/`` (written by ``sik-llms bench`` and
``sik-llms load``), never pasted into a page. Examples are taken from the pages themselves and
run offline against the simulator or the project's cassettes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import COMMANDS  # every command the CLI offers must have its section
from tests.harness.docs.conftest import run_python

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return [body for lang, body in _FENCE.findall(text) if lang == "python"]


def test_site_builds_with_strict_link_checking(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    if not mkdocs.exists():
        pytest.skip("mkdocs is not installed (pip install 'sik-llms[docs]')")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "harness" / "index.html").is_file()


def test_measured_tables_are_included_from_the_generated_files_not_pasted():
    for name, page in (("bench", "bench.md"), ("load", "load.md")):
        generated = DOCS / "generated" / f"{name}.md"
        assert generated.is_file(), f"{generated} is missing: run 'sik-llms {name}' to write it"
        assert "\n|---|" in generated.read_text(encoding="utf-8"), f"{generated} holds no table"
        text = (DOCS / page).read_text(encoding="utf-8")
        assert f'--8<-- "generated/{name}.md"' in text
        assert "\n|---|" not in text, f"docs/{page} must include its table, not contain one"


def test_cli_page_documents_every_option_of_every_command():
    cli = Path(sys.executable).with_name("sik-llms")
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = []
    for command in COMMANDS:
        assert f"## sik-llms {command}" in page, f"docs/cli.md has no section for {command}"
        result = subprocess.run(
            [str(cli), command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert result.returncode == 0, result.stderr
        options = set(
            re.findall(r"^  (?:-\w(?: \S+)?, )?(--[a-z][a-z0-9-]*)", result.stdout, flags=re.M)
        )
        section = page.split(f"## sik-llms {command}", 1)[1].split("\n## ", 1)[0]
        missing += [
            f"{command} {option}"
            for option in sorted(options - {"--help"})
            if f"`{option}" not in section
        ]
    assert not missing, f"docs/cli.md does not document: {missing}"


def test_harness_page_examples_pass_as_pytest_tests(pytester: pytest.Pytester):
    tests = [block for block in python_blocks("harness.md") if "def test_" in block]
    assert len(tests) >= 3
    code = "\n\n".join(tests)
    pytester.makepyfile(test_harness_page=code)
    pytester.makeini(f"[pytest]\nllm_cassette_dir = {ROOT / 'cassettes'}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update")
    result.assert_outcomes(passed=len(re.findall(r"^def test_", code, flags=re.M)))


def test_client_page_examples_run_against_the_simulator(tmp_path):
    from harness.simulator import Simulator

    calls, tools, errors = python_blocks("client.md")
    with Simulator(scenario="travel_agent") as sim:
        env = {"OPENAI_BASE_URL": sim.openai_base_url, "OPENAI_API_KEY": "sk-sim"}
        first = run_python(calls, **env)
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[-1] == "TextResponse"
        second = run_python(tools, **env)
        assert second.returncode == 0, second.stderr
        assert second.stdout.splitlines()[:3] == [
            "get_weather {'city': 'Paris'}",
            "get_weather {'city': 'London'}",
            "City None",
        ]
    scenario = tmp_path / "auth.yaml"
    scenario.write_text("name: auth\nauth: {check: true, keys: [sk-sim]}\nrules: []\n")
    with Simulator(scenario=scenario) as sim:
        third = run_python(errors, OPENAI_BASE_URL=sim.openai_base_url)
    assert third.returncode == 0, third.stderr
    assert third.stdout.split()[:2] == ["401", "openai"]


def test_simulator_page_example_runs_as_written():
    result = run_python(python_blocks("simulator.md")[0])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2"


def test_manual_setup_example_is_used_by_the_next_call():
    from harness.simulator import Simulator

    setup = python_blocks("telemetry.md")[0]
    call = (
        "\nfrom sik_llms import create_client, user_message\n"
        "create_client('gpt-4o-mini')([user_message('hi')])\nprovider.force_flush()\n"
    )
    with Simulator() as sim:
        result = run_python(
            setup + call, OPENAI_BASE_URL=sim.openai_base_url, OPENAI_API_KEY="sk-sim"
        )
    assert result.returncode == 0, result.stderr
    for name in ("llm.request", "llm.openai.stream", "http.request"):
        assert f'"name": "{name}"' in result.stdout


def expand_braces(name: str) -> list[str]:
    """``llm.tokens.{input,output}`` -> ``llm.tokens.input``, ``llm.tokens.output``."""
    match = re.search(r"\{([^{}]*)\}", name)
    if match is None:
        return [name]
    head, tail = name[: match.start()], name[match.end() :]
    return [x for part in match.group(1).split(",") for x in expand_braces(head + part + tail)]


def test_every_attribute_the_telemetry_reference_lists_is_one_sik_llms_emits():
    from sik_llms.telemetry import names

    known = {value for value in vars(names).values() if isinstance(value, str)}
    page = (DOCS / "telemetry.md").read_text(encoding="utf-8")
    table = page.split("## Attributes", 1)[1].split("\n\n", 2)[1]
    listed = [
        name
        for cell in re.findall(r"`([a-z_][a-z0-9_.{},]*)(?:=[a-z_]+)?`", table)
        for name in expand_braces(cell)
        if "." in name
    ]
    assert len(listed) > 40
    unknown = sorted({name for name in listed if name not in known})
    assert not unknown, (
        f"docs/telemetry.md lists attributes sik_llms.telemetry.names lacks: {unknown}"
    )
