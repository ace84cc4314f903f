"""What the plugin keeps per process to make a test cheap (parsed cassettes, request views,
served responses, resolved markers, pooled capture providers, SDK clients kept by the code
under test) never lets one test see another's cassette, spans, clock or played interactions.

The inner suites run in this process (``runpytest_inprocess``), so every per-process cache is
shared between their tests exactly as in a real run.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import ROOT, openai_sse

pytest_plugins = ["pytester"]

# two answers of the same length: a re-recorded cassette keeps its size
ALPHA = openai_sse("alpha", prompt_tokens=3, completion_tokens=1)
OMEGA = openai_sse("omega", prompt_tokens=3, completion_tokens=1)

RERECORD_MODULE = f"""
import httpx2
import pytest

from sik_llms import create_client, user_message


def answering(body):
    return httpx2.MockTransport(
        lambda request: httpx2.Response(200, content=body, headers={{"content-type": "text/event-stream"}})
    )


def ask():
    client = create_client("gpt-4o-mini", api_key="test-key", base_url="http://llm.invalid/v1")
    return client([user_message("Say one word.")]).response


@pytest.mark.llm_cassette("openai/word", mode="all", real_transport=answering({ALPHA!r}))
def test_1_record_alpha():
    assert ask() == "alpha"


@pytest.mark.llm_cassette("openai/word")
def test_2_replay_alpha():
    assert ask() == "alpha"


@pytest.mark.llm_cassette("openai/word", mode="all", real_transport=answering({OMEGA!r}))
def test_3_re_record_omega():
    assert ask() == "omega"


@pytest.mark.llm_cassette("openai/word")
def test_4_replay_omega():
    assert ask() == "omega"
"""


def test_a_cassette_re_recorded_in_one_process_is_replayed_with_its_new_content(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)  # recording is refused under CI
    pytester.makepyfile(test_word=RERECORD_MODULE)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(passed=4)
    # and a later run in the same process replays the last recording, not an earlier parse
    again = pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:xdist", "-k", "replay_omega"
    )
    again.assert_outcomes(passed=1)


# the project's recording of one small OpenAI call (the per-test bench replays it too)
SHARED_MODULE = """
import openai
import pytest

from sik_llms import create_client, user_message

PROMPT = "What's the capital of France?"
BASE_URL = "http://simulator.invalid/v1"
# made once, kept across tests, as suites often do
CLIENT = create_client("gpt-5.4-mini", api_key="sk-test-0000", base_url=BASE_URL, stream=False)
RAW = openai.OpenAI(api_key="sk-test-0000", base_url=BASE_URL, max_retries=0)
TREES = []


@pytest.mark.parametrize("i", range(3))
@pytest.mark.llm_cassette("openai/text")
def test_each_test_plays_the_one_recorded_call_once(i, llm_spans):
    assert "Paris" in CLIENT([user_message(PROMPT)]).response
    spans = llm_spans.spans()
    assert sorted(s.name for s in spans) == ["http.request", "llm.openai.stream", "llm.request"]
    assert sorted(s.context.span_id for s in spans) == [1, 2, 3]
    TREES.append(llm_spans.tree(metrics=True).render())
    assert TREES[0] == TREES[-1]  # same ids, same virtual times, same metrics


@pytest.mark.llm_cassette("openai/text")
def test_a_second_call_in_one_test_is_a_miss_even_though_earlier_tests_played_it():
    assert "Paris" in CLIENT([user_message(PROMPT)]).response
    with pytest.raises(Exception, match="already played"):
        CLIENT([user_message(PROMPT)])


@pytest.mark.llm_cassette("openai/text")
def test_the_raw_sdk_client_kept_across_tests_is_replayed(llm_spans):
    answer = RAW.chat.completions.create(
        model="gpt-5.4-mini", messages=[{"role": "user", "content": PROMPT}]
    )
    assert "Paris" in answer.choices[0].message.content


def test_without_a_cassette_the_kept_client_is_refused_before_connecting():
    CLIENT([user_message(PROMPT)])


def test_without_a_cassette_the_kept_raw_sdk_client_is_refused_before_connecting():
    RAW.chat.completions.create(model="gpt-5.4-mini", messages=[{"role": "user", "content": PROMPT}])
"""


def test_tests_sharing_one_cassette_and_kept_clients_each_see_only_their_own(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(f"[pytest]\nllm_cassette_dir = {ROOT / 'cassettes'}\n")
    pytester.makepyfile(test_shared=textwrap.dedent(SHARED_MODULE))
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:xdist")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(
        [
            # pytest adds the failure's message to the line when CI is set, or cuts it to fit
            "FAILED *test_without_a_cassette_the_kept_client_is_refused_before_connecting*",
            "FAILED *test_without_a_cassette_the_kept_raw_sdk_client_is_refused_before_connecting*",
        ],
        consecutive=False,
    )
    refused = [line for line in result.stdout.lines if line.startswith("sik-llms network guard")]
    assert len(refused) == 2 and all("(DNS lookup)" in line for line in refused)
