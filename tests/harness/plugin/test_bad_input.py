"""Bad input through the plugin, as a user sees it: a typo in a cassette name, a corrupt
cassette, a wrong marker keyword or value each give one line naming what to do, no traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REAL = Path(__file__).parents[3] / "cassettes" / "openai" / "text.yaml"

CALL = """
import openai
import pytest


def call():
    client = openai.OpenAI(base_url="http://simulator.invalid/v1")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
"""


def _run(pytester: pytest.Pytester, test: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=CALL + textwrap.dedent(test))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    text = result.stdout.str()
    assert "Traceback" not in text and "During handling" not in text, text
    assert "harness/" not in text, text  # no frames of ours
    return result


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    (pytester.path / "cassettes").mkdir()
    (pytester.path / "cassettes" / "summary.yaml").write_bytes(REAL.read_bytes())
    return pytester


def test_a_typo_in_a_cassette_name_suggests_the_right_one_and_the_record_command(
    project: pytest.Pytester,
) -> None:
    result = _run(
        project,
        """
        @pytest.mark.llm_cassette("sumary")
        def test_summary():
            call()
        """,
    )
    result.stdout.fnmatch_lines(
        [
            "sik-llms: no cassette cassettes/sumary.yaml (did you mean cassettes/summary.yaml?); "
            "fix the name in @pytest.mark.llm_cassette, or record it: "
            "pytest 'test_app.py::test_summary' --llm-record-mode=once (outside CI)"
        ]
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("interactions:\n  - request: [unclosed\n", "not valid YAML at line 3, column 1*"),
        ("just a string\n", "no 'interactions' list at the top level; this is not a vcrpy*"),
    ],
)
def test_a_corrupt_cassette_says_what_is_wrong_and_how_to_re_record(
    project: pytest.Pytester, content: str, reason: str
) -> None:
    (project.path / "cassettes" / "broken.yaml").write_text(content)
    result = _run(
        project,
        """
        @pytest.mark.llm_cassette("broken")
        def test_broken():
            call()
        """,
    )
    result.stdout.fnmatch_lines(
        [
            f"sik-llms: cannot use cassette cassettes/broken.yaml: {reason}"
            "(to re-record it: pytest 'test_app.py::test_broken' --llm-record-mode=all)"
        ]
    )


@pytest.mark.parametrize(
    ("marker", "line"),
    [
        (
            'llm_cassette("summary", mdoe="once")',
            "@pytest.mark.llm_cassette got unknown keyword(s) mdoe (did you mean mode?); "
            "accepted: mode, timing, name, unused, *ignore_fields*",
        ),
        (
            'llm_cassette("summary", mode="onec")',
            "@pytest.mark.llm_cassette(mode='onec'): mode must be one of none, once, "
            "new_episodes, all",
        ),
        (
            'llm_cassette("summary", timing="fast")',
            "@pytest.mark.llm_cassette(timing='fast'): timing must be one of virtual, realtime",
        ),
        (
            "llm_spans(globals_=True)",
            "@pytest.mark.llm_spans takes keywords only, among global_, clock, fresh_context; "
            "got globals_",
        ),
    ],
)
def test_a_wrong_marker_keyword_or_value_is_one_line_listing_the_accepted_ones(
    project: pytest.Pytester, marker: str, line: str
) -> None:
    uses = "llm_spans" if "llm_spans" in marker else ""
    result = _run(
        project,
        f"""
        @pytest.mark.{marker}
        def test_marked({uses}):
            call()
        """,
    )
    result.stdout.fnmatch_lines([line])
