"""Re-recording after a prompt change, as a user does it: ``new_episodes`` writes nothing and
names the command that re-records; ``--llm-record-mode=all`` rewrites the cassette in one run,
and keeps it only when the test passes."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest

from harness.simulator import Simulator


@pytest.fixture(scope="session")
def base_url():
    with Simulator() as sim:  # on loopback: recording talks to it, replay never does
        yield sim.openai_base_url
"""

TEST = """
import os

import openai
import pytest

PROMPT = "Summarize: the harness works."


@pytest.mark.llm_cassette
def test_summary(base_url):
    client = openai.OpenAI(base_url=base_url, api_key="sk-sim")
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": PROMPT}]
    )
    assert reply.choices[0].message.content
    assert not os.environ.get("FAIL_AFTER_CALL")
"""

CASSETTE = "cassettes/test_app/test_summary.yaml"
COMMAND = "pytest 'test_app.py::test_summary' --llm-record-mode=all"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FAIL_AFTER_CALL", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=TEST)
    run = pytester.runpytest_subprocess("-p", "no:randomly", "--llm-record-mode=once")
    run.assert_outcomes(passed=1)
    pytester.makepyfile(test_app=TEST.replace("the harness works", "the harness changed"))
    return pytester


def _cassette(project: pytest.Pytester) -> str:
    return (project.path / CASSETTE).read_text()


def test_new_episodes_after_a_prompt_change_writes_nothing_and_names_the_rewrite_command(
    project: pytest.Pytester,
) -> None:
    before = _cassette(project)
    run = project.runpytest_subprocess("-p", "no:randomly", "--llm-record-mode=new_episodes")
    assert run.ret != 0
    text = run.stdout.str()
    assert "1 of 1 recorded interaction(s) never requested" in text
    assert "nothing was written to the cassette" in text
    assert COMMAND in text
    assert "Traceback" not in text
    assert _cassette(project) == before  # no stale entry appended for other tests to trip on
    project.runpytest_subprocess("-p", "no:randomly").assert_outcomes(failed=1)  # still a miss


def test_rewrite_mode_re_records_in_one_run_and_keeps_the_file_only_if_the_test_passes(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _cassette(project)
    with monkeypatch.context() as env:
        env.setenv("FAIL_AFTER_CALL", "1")
        project.runpytest_subprocess("-p", "no:randomly", "--llm-record-mode=all").assert_outcomes(
            failed=1
        )
    assert _cassette(project) == before  # the failing run kept the old recording

    project.runpytest_subprocess("-p", "no:randomly", "--llm-record-mode=all").assert_outcomes(
        passed=1
    )
    after = _cassette(project)
    assert "the harness changed" in after and "the harness works" not in after
    project.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
