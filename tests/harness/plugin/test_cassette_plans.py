"""What the plugin resolves once per marker (the cassette path, the use_cassette keywords) never
serves a test stale data: a cassette rewritten on disk between two tests is replayed with its new
content, and each test's miss names that test's own re-record command."""

from __future__ import annotations

import pytest

from tests.conftest import openai_sse

pytest_plugins = ["pytester"]

ALPHA = openai_sse("alpha", prompt_tokens=3, completion_tokens=1)

MODULE = f"""
from pathlib import Path

import httpx2
import pytest

from sik_llms import create_client, user_message

WORD = pytest.mark.llm_cassette("openai/word")  # one marker object for every replaying test


def ask(prompt="Say one word."):
    client = create_client("gpt-4o-mini", api_key="test-key", base_url="http://llm.invalid/v1")
    return client([user_message(prompt)]).response


@pytest.mark.llm_cassette(
    "openai/word",
    mode="all",
    real_transport=httpx2.MockTransport(
        lambda request: httpx2.Response(
            200, content={ALPHA!r}, headers={{"content-type": "text/event-stream"}}
        )
    ),
)
def test_0_record():
    assert ask() == "alpha"


@WORD
def test_1_replay_then_rewrite_the_file_on_disk(llm_cassette):
    assert ask() == "alpha"
    path = Path(llm_cassette.path)
    text = path.read_text()  # the answer is recorded one character per event: alpha -> omega
    for old, new in (("l", "m"), ("p", "e"), ("h", "g")):
        text = text.replace(f'"content": "{{old}}"', f'"content": "{{new}}"')
    text = text.replace('"content": "a"', '"content": "o"', 1)
    assert text != path.read_text()
    path.write_text(text)  # the same size, and maybe the same timestamp (one clock tick)


@WORD
def test_2_replays_the_rewritten_file():
    assert ask() == "omega"


@WORD
def test_3_miss():
    ask("Something else.")


@WORD
def test_4_miss():
    ask("Something else.")
"""


def test_a_file_rewritten_between_tests_is_replayed_new_and_each_miss_names_its_own_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # the first test records
    pytester.makepyfile(test_plans=MODULE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(passed=3, failed=2)
    text = result.stdout.str()
    for test in ("test_3_miss", "test_4_miss"):
        assert f"pytest 'test_plans.py::{test}' --llm-record-mode=all" in text
